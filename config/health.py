"""Issue 14: /healthz and /readyz for a load balancer or an orchestrator, answered before any other middleware (no
host check, no HTTPS redirect, no session, no sign-in or second factor): a probe has no cookie and may use the
machine's address as its host.

- /healthz: the process is up and answers. No database: a database outage must not get every web process restarted.
- /readyz: the database answers and the task queue is reachable with its oldest waiting task young enough
  (config.tasks.queue_health); 503 when not, so the balancer sends no traffic here."""
import json
import logging

from django.db import connection
from django.http import HttpResponse

from .tasks import queue_health

log = logging.getLogger("tuanji.health")


def _json(body: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def healthz(request) -> HttpResponse:
    return _json({"status": "ok"})


def _database_ok() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception as exc:  # noqa: BLE001 — any failure is "not ready", said in the answer
        log.warning("readyz: database unreachable: %s", type(exc).__name__)
        connection.close_if_unusable_or_obsolete()
        return False


def readyz(request) -> HttpResponse:
    database = _database_ok()
    queue = queue_health() if database else {"reachable": False, "oldest_queued_seconds": None, "ready": False}
    ready = database and queue["ready"]
    oldest = queue["oldest_queued_seconds"]
    return _json({"status": "ready" if ready else "unready", "database": database,
                  "task_queue": queue["reachable"],
                  "oldest_queued_seconds": round(oldest, 1) if oldest is not None else None},
                 status=200 if ready else 503)


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthMiddleware:
    """First in MIDDLEWARE: GET or HEAD of a probe path is answered here and goes no further."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
