"""Settings shared by every environment. Values that differ come from the environment (django-environ)."""
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# No django.contrib.admin: the admin site is not part of the product (its English login and its pages are
# what a member met at /admin/); operators read the audit trail and records through the product's pages.
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",  # issue 12: django-csp (its system checks)
    "axes",
    # R-ACC-5: admins' second factor (TOTP devices and single-use backup codes); access/factors.py
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # R-ACC-5: passkeys, as a second factor only (members/views/passkeys.py)
    "pgtrigger",  # R-TR-16: the audit table's triggers (audit/models.py), installed by migrations
    "audit",
    "access",
    "orgs",
    "members",
    "transfers",
    "recruitment",  # issue 16: 发展团员 (docs/recruitment-rules.md)
    "reports",
    "demo",
    # Issue 14: background work on Django's task framework (the django-tasks backport of django.tasks); its
    # database backend's table and worker (`manage.py db_worker`). config/tasks.py, docs/decisions.md.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Issue 14: /healthz and /readyz answered before anything else (no host check, HTTPS redirect, session or sign-in).
    "config.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Issue 12: Content-Security-Policy (CONTENT_SECURITY_POLICY below) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # R-ACC-5: request.user.is_verified(), from the device the session was verified with.
    "django_otp.middleware.OTPMiddleware",
    "access.middleware.PermissionScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # R-ACC-5: ends a session after 30 idle minutes or 12 hours (config/sessions.py); before anything that sends a
    # signed-in person elsewhere, after messages (the sign-in page says why).
    "config.sessions.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.ClientAddressMiddleware",
    "members.middleware.ForcePasswordChangeMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.context_processors.acting_org",
                "transfers.context_processors.transfer_counts",
                "members.context_processors.dev_number_prompt",  # R-ENT-5: the dialog on sign-in (issue 18)
                "config.sessions.session_timer",  # R-ACC-5: the warning before a session ends
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection is checked (one round trip) before its first use in each request: a restarted or failed-over
# database, or a backend killed by an operator, costs a reconnect instead of an error page (tests/test_db_health.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite is shared by the web process, the task worker and the sweeper (bin/run): readers never wait
    # for the writer (WAL), and a writer waits up to 20 s for another one instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.Person"
AUTHENTICATION_BACKENDS = [
    # R-ACC: django-axes first so a locked-out ID number or address never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("name",)}},
    # Issue 12: 8 characters at least once surrounding spaces are stripped (Django's own counts the spaces).
    {"NAME": "members.password_validation.StrippedMinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "members.password_validation.IdNumberDigitsValidator"},
    {"NAME": "members.password_validation.NotBlankValidator"},
    {"NAME": "members.password_validation.NotCurrentPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# R-ACC-4: failures are recorded per ID number (normalized as R-ENT-1 normalizes it) and per client address;
# 5 failures on one ID number lock that ID number, from every address, for 30 minutes, never for good. The
# address locks nothing: behind one school's network or one proxy, other people's failures never lock an
# innocent person out. The login form posts the ID number as "username" (Django's AuthenticationForm).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for "ip_address" among the lockout parameters; R-ACC-4 forbids exactly that (a locked address
# would lock out everyone behind it). Rotating user agents or cookies gains nothing against a per-ID lock.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "members.forms.accounts.login_id_number"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The login name is the ID number: keep it out of axes' log lines (R-AUTH-6).
AXES_SENSITIVE_PARAMETERS = ["username", "password"]
AXES_VERBOSE = False


def proxy_settings(proxy_count: int) -> dict:
    """R-ACC-4: the client is the address the nearest of `proxy_count` trusted reverse proxies saw, i.e. the
    proxy_count-th entry from the right of X-Forwarded-For (django-ipware counts the hops inside that header,
    one fewer); whatever a client writes to the left of it is ignored. With no proxy, only REMOTE_ADDR."""
    if not proxy_count:
        return {"AXES_IPWARE_PROXY_COUNT": None, "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",)}
    return {"AXES_IPWARE_PROXY_COUNT": proxy_count - 1,
            "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")}


# How many reverse proxies stand in front of Django: 0 when clients connect directly (the default, and the
# demo); 1 behind one nginx or load balancer that appends to X-Forwarded-For. Axes, the audit trail and the
# reset-code limit all take the client address from django-ipware with these settings.
PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = proxy_settings(PROXY_COUNT)["AXES_IPWARE_PROXY_COUNT"]
AXES_IPWARE_META_PRECEDENCE_ORDER = proxy_settings(PROXY_COUNT)["AXES_IPWARE_META_PRECEDENCE_ORDER"]
AXES_IPWARE_PROXY_ORDER = "left-most"
IPWARE_STRICT = False  # a client-written prefix of the header never makes the real hop unreadable

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365  # issue 7: the language switch is remembered across browser sessions
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="tuanji@localhost")

SESSION_COOKIE_HTTPONLY = True
# R-ACC-5: a session ends after this long without a request (renewed by every request and by the "继续" button of
# the warning that pages with forms show SESSION_WARNING_BEFORE the end), and this long after sign-in whatever
# happens (config/sessions.py). The cookie and the stored session never outlive the absolute lifetime either.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=12))
SESSION_WARNING_BEFORE = timedelta(minutes=2)
SESSION_ACTIVITY_RESOLUTION = timedelta(seconds=60)  # activity is written to the session at most this often
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())

# Issue 12: Content-Security-Policy (django-csp 4). Scripts, styles, images, fonts and requests come from this site
# only: no inline <script>, no style="…", no on…= handler, no eval (htmx's allowEval is off in base.html), no
# framing. tests/test_headers.py scans every template for inline code. Enforced here (production, tests);
# config/settings/local.py sends it report-only, and violations are logged by config.views.csp_report.
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # data: for the empty favicon (<link rel="icon" href="data:,">)
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
    "report-uri": ["/csp-report/"],
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}
# Powerful browser features this register never uses are off for it and for anything it might embed (passkeys,
# R-ACC-5, and the clipboard of the copy buttons stay on for the site itself).
PERMISSIONS_POLICY = {
    # Only features Chromium knows: an unknown one costs a console warning on every page (no ambient-light-sensor).
    "accelerometer": [], "autoplay": [], "browsing-topics": [],
    "camera": [], "display-capture": [], "geolocation": [], "gyroscope": [], "hid": [], "idle-detection": [],
    "magnetometer": [], "microphone": [], "midi": [], "payment": [], "screen-wake-lock": [], "serial": [],
    "usb": [], "xr-spatial-tracking": [],
    "publickey-credentials-get": ["self"], "publickey-credentials-create": ["self"],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # Django's default, stated: no cross-origin window keeps a handle
CSRF_FAILURE_VIEW = "django.views.csrf.csrf_failure"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# R-ACC-2: how long a reset code lives.
RESET_CODE_TTL = timedelta(hours=env.int("RESET_CODE_TTL_HOURS", default=24))
# R-ACC-2: wrong reset codes are paid for by the client address (counted in the audit trail, so every worker
# sees the same count): past the limit in the window, its guesses are refused unchecked. A code closes on
# misses only when they come from this many different addresses (docs/decisions.md, "Reset-code guesses").
RESET_CODE_GUESS_LIMIT = env.int("RESET_CODE_GUESS_LIMIT", default=10)
RESET_CODE_GUESS_WINDOW = timedelta(minutes=env.int("RESET_CODE_GUESS_WINDOW_MINUTES", default=30))
RESET_CODE_CLOSE_AFTER_ADDRESSES = env.int("RESET_CODE_CLOSE_AFTER_ADDRESSES", default=20)

# R-TR-16: audit events older than this are moved to a compressed file by `manage.py archive_audit` (the only
# path that deletes them); the command refuses anything under 6 months. Files go to AUDIT_ARCHIVE_DIR unless
# the command is given --output.
AUDIT_RETENTION = timedelta(days=env.int("AUDIT_RETENTION_DAYS", default=3 * 365))
AUDIT_ARCHIVE_DIR = Path(env("AUDIT_ARCHIVE_DIR", default=str(BASE_DIR / "archive")))

# R-ACC-5: an admin's session needs a second factor. Wrong codes are counted in the audit trail (shared by every
# worker, like reset-code guesses): this many in the window, and codes are refused unchecked until it has passed.
# django-otp's own per-device exponential delay is off, so there is one rule to explain (docs/decisions.md).
OTP_FAILURE_LIMIT = env.int("OTP_FAILURE_LIMIT", default=5)
OTP_FAILURE_WINDOW = timedelta(minutes=env.int("OTP_FAILURE_WINDOW_MINUTES", default=15))
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = "团籍"
# Passkeys (django-otp-webauthn) after the password, never instead of it. A passkey belongs to one domain, the
# relying party: the demo's is localhost (open http://localhost:8000; browsers refuse passkeys on a bare IP address).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "团籍"
OTP_WEBAUTHN_HELPER_CLASS = "access.passkeys.PasskeyHelper"  # names the person, never the ID number
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=["http://localhost:8000"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_id_numbers": {"()": "audit.logging.MaskIdNumbersFilter"},
                "refusals_in_one_line": {"()": "audit.logging.RefusalsInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_id_numbers"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # runserver's request lines carry query strings (a search by ID number): through the masking filter too.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
                # A 403 is a refusal, not a fault: one line (path, person), no traceback (issue 15).
                "django.request": {"filters": ["refusals_in_one_line"]}},
}
IDENTITY_VERIFIER = env("IDENTITY_VERIFIER", default="members.verification.LocalVerifier")  # R-VER-3

# R-TR-7 and R-TR-8: an OUT or IN step is approved automatically after 15 days, overdue after 72 hours.
TRANSFER_AUTO_APPROVE_AFTER = timedelta(hours=env.int("TRANSFER_AUTO_APPROVE_HOURS", default=15 * 24))
TRANSFER_OVERDUE_AFTER = timedelta(hours=env.int("TRANSFER_OVERDUE_HOURS", default=72))
TRANSFER_BATCH_LIMIT = 30  # R-TR-9
# Issue 14: reminders (reports/reminders.py): escalation to the approvers' superior, and "approved automatically soon".
REMINDER_ESCALATE_AFTER = timedelta(hours=env.int("REMINDER_ESCALATE_HOURS", default=120))
REMINDER_AUTO_SOON = timedelta(hours=env.int("REMINDER_AUTO_SOON_HOURS", default=48))
REMINDER_EVERY = timedelta(minutes=env.int("REMINDER_EVERY_MINUTES", default=10))  # run_schedule: how often
# Issue 15: run_schedule records the dashboard's trend figures this often (reports/trends.py; docs/decisions.md).
TREND_EVERY = timedelta(minutes=env.int("TREND_EVERY_MINUTES", default=60))
# Issue 16: recruitment (docs/recruitment-rules.md, R-REC-*); each default's source is named there.
RECRUIT_MIN_AGE = env.int("RECRUIT_MIN_AGE", default=14)                     # R-REC-3
RECRUIT_AGE_LIMIT = env.int("RECRUIT_AGE_LIMIT", default=28)                 # R-REC-3: under 28 on the day
RECRUIT_MIN_TRAINING_HOURS = env.str("RECRUIT_MIN_TRAINING_HOURS", default="8")  # R-REC-6, 学时 (a decimal)
RECRUIT_ACTIVIST_MIN_MONTHS = env.int("RECRUIT_ACTIVIST_MIN_MONTHS", default=3)  # R-REC-6
RECRUIT_NOTICE_WORKING_DAYS = env.int("RECRUIT_NOTICE_WORKING_DAYS", default=5)  # R-REC-8
RECRUIT_HOLIDAYS = env.list("RECRUIT_HOLIDAYS", default=[])             # R-REC-8: "YYYY-MM-DD", days off
RECRUIT_EXTRA_WORKDAYS = env.list("RECRUIT_EXTRA_WORKDAYS", default=[])  # R-REC-8: weekend days worked (调休)
RECRUIT_MAJORITY_BASIS = env.str("RECRUIT_MAJORITY_BASIS", default="entitled")  # R-REC-9: or "present"
RECRUIT_APPROVAL_DAYS = env.int("RECRUIT_APPROVAL_DAYS", default=30)       # R-REC-10
RECRUIT_REVERSAL_HOURS = env.int("RECRUIT_REVERSAL_HOURS", default=24)     # R-REC-13
# The address the site is reached at (https://tuanji.example.org), for links in the reminder mail; none when empty.
SITE_URL = env("SITE_URL", default="").rstrip("/")


# Issue 14: background work (imports, the marked workbook, transfer mail) is a task (STYLE rule 12). One setting
# picks the backend: "database" (the default: the tasks' table in DATABASE_URL, run by `manage.py db_worker`, nothing
# more to run; bin/run and compose.yaml start one) or "rq" (Redis at REDIS_URL, run by
# `manage.py rqworker --with-scheduler --job-class django_tasks_rq.Job default`; `pip install .[rq]`).
# Retries, the return of tasks left by a killed worker and the queue's health are config/tasks.py's.
TASK_BACKEND = env("TASK_BACKEND", default="database")
if TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env("REDIS_URL", default="redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A task claimed this long ago and still running is taken to be a killed worker's (reap_stale: back to the queue, at
# most TASK_MAX_ATTEMPTS claims in all); every task we have ends in well under it. Transient errors (a dropped
# database connection, a mail server that is down) are retried in the task this many times, with backoff.
TASK_STALE_AFTER = timedelta(minutes=env.int("TASK_STALE_MINUTES", default=10))
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=3)
TASK_RETRY_DELAYS = [2, 10, 60]  # seconds before the 2nd, 3rd and 4th try
# /readyz answers 503 when the oldest task waiting in the queue has waited longer than this (no worker is taking them).
TASK_QUEUE_MAX_AGE = timedelta(seconds=env.int("TASK_QUEUE_MAX_AGE_SECONDS", default=300))
# Issue 14: an export of more rows than this is built by a task (members/exporting/jobs.py), not in the request.
EXPORT_IMMEDIATE_ROWS = env.int("EXPORT_IMMEDIATE_ROWS", default=1000)
