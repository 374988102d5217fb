from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/static/", "/i18n/")


class ForcePasswordChangeMiddleware:
    """R-ACC-1: whoever still signs in with the initial password sets a new one before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            # The keep-alive call answers JSON (static/js/session.js): the password page warns before its end too.
            allowed = {reverse("password_change"), reverse("logout"), reverse("session_keepalive")}
            if request.path not in allowed and not request.path.startswith(ALLOWED_PREFIXES):
                return redirect("password_change")
        return self.get_response(request)
