"""Second-factor pages (R-ACC-5): the code after the password (or a passkey), enrolment of an authenticator app or a
passkey with the backup codes, and a custodian's reset of someone's factors (R-AUTH-7). The services are in
access/services.py; the passkey ceremonies in passkeys.py."""
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from access.acting import admin_required, second_factor_url
from access.factors import (
    authenticator_of,
    backup_codes_left,
    has_second_factor,
    needs_second_factor,
    new_key,
    otpauth_uri,
    passkeys_of,
    secret_text,
    session_verified,
)
from access.services import enrol_authenticator, reset_second_factor, verify_code

from ..forms.factors import CodeForm
from .passkeys import NEW_CODES
from .people import person_in_scope, refusal_page

ENROL_KEY = "otp_enrol_key"  # the secret being enrolled, kept in the session until a code confirms it
FEW_BACKUP_CODES = 3


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@never_cache
@login_required
def verify(request):
    """After the password: an admin's code (or backup code) before any admin page."""
    next_url = _next_url(request)
    if session_verified(request):
        return redirect(next_url or "home")
    if not has_second_factor(request.user):
        return redirect("two_factor:enrol") if needs_second_factor(request.user) else redirect("home")
    has_app, has_passkey = authenticator_of(request.user) is not None, passkeys_of(request.user).exists()
    form = CodeForm(request.POST or None, help_text=(
        _("打开手机上的身份验证器，输入“团籍”显示的 6 位数字；手机不在身边时，可输入一个 10 位备用码。") if has_app
        else _("没有通行密钥的设备在身边时，可输入一个 10 位备用码。")))
    if request.method == "POST" and form.is_valid():
        try:
            device = verify_code(actor=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session.cycle_key()  # a session that gains rights gets a new key
            otp_login(request, device)
            left = backup_codes_left(request.user)
            if device.persistent_id.startswith("otp_static.") and left <= FEW_BACKUP_CODES:
                messages.warning(request, _("已使用一个备用码，还剩 %(n)d 个。请尽快重新绑定身份验证器，以获得新的备用码。")
                                 % {"n": left})
            else:
                messages.success(request, _("已通过两步验证。"))
            return redirect(next_url or "home")
    return render(request, "registration/otp_verify.html", {"form": form, "next": next_url, "has_app": has_app,
                                                            "has_passkey": has_passkey})


@never_cache
@login_required
def enrol(request):
    """Binding an authenticator app: a QR code and the secret as text, then a code from the app confirms it."""
    user = request.user
    replacing = has_second_factor(user)
    if not (replacing or needs_second_factor(user)):
        raise PermissionDenied(_("只有团组织管理员需要绑定身份验证器。"))
    verified = session_verified(request)
    if replacing and not verified:
        messages.info(request, _("绑定新的身份验证器之前，请先用现有的身份验证器或备用码验证。"))
        return redirect(second_factor_url(request, next_url=request.path))
    key = request.session.get(ENROL_KEY) or new_key()
    request.session[ENROL_KEY] = key
    next_url = _next_url(request)
    form = CodeForm(request.POST or None, help_text=_("扫描或输入密钥后，身份验证器会显示“团籍”的 6 位数字，每 30 秒更换一次。"))
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = enrol_authenticator(actor=user, key=key, code=form.cleaned_data["code"],
                                                session_verified=verified)
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            del request.session[ENROL_KEY]
            request.session.cycle_key()
            otp_login(request, device)
            response = render(request, "registration/otp_backup_codes.html", {
                "codes": [f"{c[:5]} {c[5:]}" for c in codes], "next": next_url or "/"})
            response["Cache-Control"] = "no-store"  # shown once, never kept by a browser or proxy
            return response
    uri = otpauth_uri(key_hex=key, account=user.name)
    return render(request, "registration/otp_enrol.html", {
        "form": form, "next": next_url, "replacing": replacing, "secret": secret_text(key), "uri": uri,
        "qr_svg": _qr_svg(uri), "backup_left": backup_codes_left(user) if replacing else None,
        "has_app": authenticator_of(user) is not None, "passkeys": passkeys_of(user).count(),
    })


@never_cache
@login_required
def passkey_added(request):
    """After a passkey's registration (members/views/passkeys.py): the backup codes issued with a first factor, once."""
    codes = request.session.pop(NEW_CODES, None)
    next_url = _next_url(request) or reverse("home")
    if not codes:
        messages.success(request, _("通行密钥已添加。"))
        return redirect(next_url)
    response = render(request, "registration/otp_backup_codes.html", {
        "codes": [f"{c[:5]} {c[5:]}" for c in codes], "next": next_url, "passkey": True})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@refusal_page
@admin_required
def reset(request, acting, pk):
    """A custodian (R-AUTH-7) removes a person's authenticator and backup codes; the service checks custody and
    audits, refusal included."""
    person = person_in_scope(acting, pk)
    try:
        reset_second_factor(actor=request.user, acting_org=acting, person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已重置 %(name)s 的两步验证。对方下次打开管理页面前需重新绑定身份验证器，并会在消息中心收到通知。")
                         % {"name": person.name})
    return redirect("people:detail", pk=person.pk)


def _qr_svg(text: str) -> str:
    """The QR code as inline SVG, drawn here (no image service, no script): one path, no style attribute."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")
