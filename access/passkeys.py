"""How passkeys name the person (R-ACC-5, R-AUTH-6). django-otp-webauthn's helper names the account after the
sign-in name — here the whole ID number — which every passkey manager would then store and show. This helper gives
the person's name, with the ID number masked as the product shows it (two people may share a name)."""
from django_otp_webauthn.helpers import WebAuthnHelper


class PasskeyHelper(WebAuthnHelper):
    def get_credential_name(self, user) -> str:
        masked = getattr(user, "masked_id_number", "")
        return f"{user.name} {masked}".strip()

    def get_credential_display_name(self, user) -> str:
        return user.name

    def create_credential(self, *args, **kwargs):
        passkey = super().create_credential(*args, **kwargs)
        passkey.name = "passkey"
        return passkey
