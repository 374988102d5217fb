from .factors import session_verified
from .permissions import permission_scope


class PermissionScopeMiddleware:
    """Admin posts are read once per request and never outlive it (access/permissions.py); an admin whose
    session has shown no second factor holds no admin rights in it (R-ACC-5). After OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with permission_scope(unverified=lambda: _unverified_person(request)):
            return self.get_response(request)


def _unverified_person(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or session_verified(request):
        return None
    return user.pk
