"""Development: the README's run command uses these."""
from .base import *  # noqa: F403
from .base import env

# The demo (bin/run) runs without DEBUG: with it on, Django answers a missing page with its technical 404
# (URL patterns, settings) whatever templates/404.html says. A developer who wants tracebacks sets
# DJANGO_DEBUG=true. Static files come from WhiteNoise either way (below), never from runserver.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

STATIC_ROOT = None  # served from the source folders (WhiteNoise finders); nothing collected
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True  # an edited CSS file shows on reload, DEBUG or not

# Issue 12: the Content-Security-Policy in report-only mode: a page that breaks it still works, and the browser
# posts the violation to /csp-report/ (config.views.csp_report logs it as "CSP violation: …"). Production and
# the tests enforce it (base.py).
CONTENT_SECURITY_POLICY = None
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}  # noqa: F405
