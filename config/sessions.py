"""R-ACC-5: how long a signed-in session lasts.

A session ends after SESSION_IDLE_TIMEOUT without a request (30 minutes) and SESSION_ABSOLUTE_LIFETIME after
sign-in (12 hours) whatever happens in between. Two stamps in the session carry it: when the person signed in and
when they were last active. Activity is written at most once per SESSION_ACTIVITY_RESOLUTION (a minute), so a
signed-in page view does not rewrite the session row every time (docs/decisions.md, "Session lifetime").

Sign-out (`LogoutView` → `logout()` → `session.flush()`) deletes the stored session; a password change ends the
person's other sessions through Django's session auth hash (`update_session_auth_hash` keeps the current one)."""
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.urls import reverse
from django.utils.translation import gettext as _

SIGNED_IN_AT = "_session_signed_in_at"
LAST_ACTIVITY = "_session_last_activity"


def now() -> float:
    return time.time()


def _seconds(name: str) -> float:
    return getattr(settings, name).total_seconds()


def renew(request) -> None:
    """The person is active now (every request does it, the keep-alive call does it at once)."""
    request.session[LAST_ACTIVITY] = now()


def remaining(request) -> dict[str, int]:
    """Seconds until each end: without activity, and at the latest."""
    session, at = request.session, now()
    idle = _seconds("SESSION_IDLE_TIMEOUT") - (at - session.get(LAST_ACTIVITY, at))
    absolute = _seconds("SESSION_ABSOLUTE_LIFETIME") - (at - session.get(SIGNED_IN_AT, at))
    return {"idle_left": max(int(idle), 0), "absolute_left": max(int(absolute), 0)}


def _due(session, at: float) -> str | None:
    last, signed_in = session.get(LAST_ACTIVITY), session.get(SIGNED_IN_AT)
    if last is not None and at - last >= _seconds("SESSION_IDLE_TIMEOUT"):
        return "idle"
    if signed_in is not None and at - signed_in >= _seconds("SESSION_ABSOLUTE_LIFETIME"):
        return "absolute"
    return None


def start(session, at: float | None = None) -> None:
    """The session's clocks start: at the sign-in request (the middleware, below), or where a test signs in
    without one (`Client.force_login`, tests/conftest.py)."""
    at = now() if at is None else at
    session[SIGNED_IN_AT] = session[LAST_ACTIVITY] = at


def _stamp(request, at: float) -> None:
    session = request.session
    if SIGNED_IN_AT not in session:
        start(session, at)  # the sign-in request itself (below), or at once for a session older than this code
    elif at - session.get(LAST_ACTIVITY, 0) >= _seconds("SESSION_ACTIVITY_RESOLUTION"):
        session[LAST_ACTIVITY] = at


def _asks_only(request) -> bool:
    """The page's script asking how long is left (GET on the keep-alive URL) is no activity of the person's."""
    return request.method == "GET" and request.path == reverse("session_keepalive")


class SessionLifetimeMiddleware:
    """After the messages middleware (the sign-in page says why the person was signed out) and before any
    middleware that sends a signed-in person somewhere (the first password, the second factor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            at = now()
            reason = _due(request.session, at)
            if reason is None:
                if not _asks_only(request):
                    _stamp(request, at)
            else:
                logout(request)  # flushes the stored session: its key is worth nothing from here on
                minutes = int(_seconds("SESSION_IDLE_TIMEOUT") // 60)
                hours = int(_seconds("SESSION_ABSOLUTE_LIFETIME") // 3600)
                text = (_("您已 %(n)d 分钟没有操作，为了安全已自动退出登录，请重新登录。") % {"n": minutes} if reason == "idle"
                        else _("本次登录已满 %(n)d 小时，为了安全已自动退出，请重新登录。") % {"n": hours})
                messages.info(request, text, fail_silently=True)
        response = self.get_response(request)
        if request.user.is_authenticated and SIGNED_IN_AT not in request.session:
            _stamp(request, now())  # the sign-in request: its lifetime starts now
        return response


def session_timer(request) -> dict:
    """Context processor: what static/js/session.js needs to warn before the end (templates/partials)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or SIGNED_IN_AT not in request.session:
        return {}
    return {"session_timer": {
        **remaining(request),
        "warn_before": int(_seconds("SESSION_WARNING_BEFORE")),
        "warn_minutes": max(int(_seconds("SESSION_WARNING_BEFORE") // 60), 1),
        "keepalive_url": reverse("session_keepalive"),
    }}
