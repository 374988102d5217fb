"""Issue 12: with CONN_HEALTH_CHECKS a kept database connection that died between two requests (a restart, a
fail-over, an operator's pg_terminate_backend) is replaced before the next request uses it, instead of that request
failing. PostgreSQL only (tests/conftest.py deselects it on SQLite).

Two things differ from production in tests, and the test puts them back:
- CONN_MAX_AGE is 0 in the test settings, so a connection would not outlive a request at all; here it gets 600 s.
- Django's test client does not send `close_old_connections` at the start of a request (a real server does: that
  is where the health check is armed), so `_serve` sends `request_started` first, as WSGIHandler does."""
import time

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import OperationalError, connection
from django.urls import reverse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _serve(client, url):
    request_started.send(sender=WSGIHandler, environ={})  # what a real server does first: close_old_connections
    return client.get(url)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate(pid: int) -> None:
    """From another connection, as an operator would; waits until the backend is gone."""
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} still there")
    finally:
        other.close()


@pytest.fixture
def kept_connection(monkeypatch):
    """The connection lives across requests, as with production's CONN_MAX_AGE."""
    def keep(*, health_checks: bool):
        monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
        monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", health_checks)
        connection.close()  # the next query connects with these
    yield keep
    connection.close()


def test_the_settings_ask_for_health_checks(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_the_request_after_a_killed_backend_succeeds(client_as, member, kept_connection):
    kept_connection(health_checks=True)
    client = client_as(member)
    pages = [reverse("home"), reverse("people:me"), reverse("transfers:mine")]
    assert _serve(client, pages[0]).status_code == 200
    pid = _backend_pid()
    _terminate(pid)
    for url in pages:  # several requests, each answered, the first one included
        assert _serve(client, url).status_code == 200
    assert _backend_pid() != pid


def test_without_health_checks_the_first_request_after_it_fails(client_as, member, kept_connection):
    """The control: what the setting saves the person from."""
    kept_connection(health_checks=False)
    client = client_as(member)
    assert _serve(client, reverse("home")).status_code == 200
    _terminate(_backend_pid())
    with pytest.raises(OperationalError):
        _serve(client, reverse("home"))
    assert _serve(client, reverse("home")).status_code == 200  # Django drops a connection that raised
