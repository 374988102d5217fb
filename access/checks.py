"""System checks for R-ACC-5: the second factor is enforced by middleware, so a settings edit that drops or
reorders it would silently turn two factors into one. `manage.py check` (and CI's `check --deploy`) fails then."""
from django.conf import settings
from django.core.checks import Error, register

OTP = "django_otp.middleware.OTPMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
SCOPE = "access.middleware.PermissionScopeMiddleware"


@register()
def second_factor_middleware(app_configs=None, **kwargs) -> list[Error]:
    middleware = list(settings.MIDDLEWARE)
    if OTP not in middleware:
        return [Error("R-ACC-5: django_otp's OTPMiddleware is not installed; an admin's session could never be "
                      "verified.", hint=f"Add {OTP!r} to MIDDLEWARE, after {AUTH!r}.", id="access.E001")]
    errors = []
    if AUTH in middleware and middleware.index(OTP) < middleware.index(AUTH):
        errors.append(Error("R-ACC-5: OTPMiddleware runs before AuthenticationMiddleware.",
                            hint=f"Put {OTP!r} after {AUTH!r}.", id="access.E002"))
    if SCOPE in middleware and middleware.index(SCOPE) < middleware.index(OTP):
        errors.append(Error("R-ACC-5: PermissionScopeMiddleware runs before OTPMiddleware, so it cannot tell a "
                            "verified session from one that is not.", hint=f"Put {SCOPE!r} after {OTP!r}.",
                            id="access.E003"))
    limit = getattr(settings, "OTP_FAILURE_LIMIT", 0)
    if not (isinstance(limit, int) and 1 <= limit <= 20):
        errors.append(Error("R-ACC-5: OTP_FAILURE_LIMIT must be a number of wrong codes from 1 to 20.",
                            id="access.E004"))
    return errors
