"""Tests: SQLite in memory unless DATABASE_URL names another database."""
from .base import *  # noqa: F403
from .base import env

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
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
