"""Two small endpoints of the project itself: the session keep-alive (R-ACC-5) and the CSP report sink."""
import json
import logging

from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from .sessions import remaining, renew

logger = logging.getLogger("tuanji.csp")

REPORT_LIMIT = 16 * 1024  # bytes of a report read; a browser's report is well under 2 KB
REPORT_FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri", "source-file",
                 "line-number", "column-number", "disposition")


@never_cache
@require_http_methods(["GET", "POST"])
def session_keepalive(request):
    """GET: is the session still there, and how long is left (with a fresh CSRF token for the page's forms, in
    case the person signed in again in another tab). POST: the person pressed "继续" — active now.
    Answers JSON, never a redirect to the sign-in page: static/js/session.js reads it."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    if request.method == "POST":
        renew(request)
    return JsonResponse({"signed_in": True, **remaining(request), "csrf": get_token(request)})


@csrf_exempt  # browsers post reports without a token; the view only writes a log line
@require_POST
def csp_report(request):
    """Content-Security-Policy violation reports (`report-uri`), logged at WARNING. Only the known fields, each
    cut short: the body is written by whoever posts it."""
    try:
        body = json.loads(request.read(REPORT_LIMIT) or b"{}")
        report = body.get("csp-report", body) if isinstance(body, dict) else {}
    except (ValueError, UnicodeDecodeError):
        report = {}
    if isinstance(report, dict):
        fields = {key: str(report.get(key, ""))[:300] for key in REPORT_FIELDS if key in report}
        logger.warning("CSP violation: %s", json.dumps(fields, ensure_ascii=False, sort_keys=True))
    return HttpResponse(status=204)
