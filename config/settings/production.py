"""Production: every secret from the environment, HTTPS only."""
from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Behind a reverse proxy set DJANGO_PROXY_COUNT (base.py, R-ACC-4): 1 behind one proxy that appends the
# client's address to X-Forwarded-For. Left at 0 there, every client would share the proxy's address.
# R-ACC-5: passkeys belong to the site's domain: by default the first host name, over https.
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default=ALLOWED_HOSTS[0].lstrip("."))
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[f"https://{OTP_WEBAUTHN_RP_ID}"])
