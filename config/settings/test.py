"""Tests: SQLite in memory unless DATABASE_URL names another database."""
from .base import *  # noqa: F403
from .base import env

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
# As base.py: a kept connection is checked before its first use in a request. CONN_MAX_AGE stays 0 here (env.db's
# default); tests/test_db_health.py gives its connection a lifetime, as production has one, so the check matters.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The real hasher costs ~0.2 s a call here; tests are about rules, not hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "zh-hans"

STATIC_ROOT = None  # served from the source folders (WhiteNoise finders); nothing collected
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A commit here does not wait for the disk (synchronous_commit, this connection only; no server setting): a
    # test database loses nothing it needs by that, and transactional tests commit each statement.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"

# Issue 14: tasks run at once, in the caller (the request, the service): a test sees their outcome on return.
# tests/test_tasks.py and tests/members/test_import_worker.py go through the database backend and a real db_worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TASK_RETRY_DELAYS = [0, 0, 0]
