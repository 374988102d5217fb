"""R-ACC-5 around the product: the demo admins' known secret (seed_demo prints it), and the system checks that
keep the second factor's middleware in place."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.services import verify_code
from members.demo import DEMO_TOTP_KEY, DEMO_TOTP_PHRASE
from members.models import CadrePost

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_prints_the_admins_secret_and_every_admin_can_use_it():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "密钥 KR2W C3TK NEWW IZLN N4WT EZTB FUZD AMRW" in printed
    assert "otpauth://totp/" in printed and "secret=KR2WC3TKNEWWIZLNN4WTEZTBFUZDAMRW" in printed
    admins = set(CadrePost.objects.held().filter(is_admin=True).values_list("person_id", flat=True))
    keyed = set(TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).values_list("user_id", flat=True))
    assert admins and admins <= keyed
    admin = CadrePost.objects.held().filter(is_admin=True).first().person
    # The code an authenticator app shows for the printed secret (README: the phrase's bytes are the key).
    assert verify_code(actor=admin, code=f"{totp(DEMO_TOTP_PHRASE):06d}")
    call_command("seed_demo", stdout=io.StringIO())  # idempotent: still one authenticator each
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def _check_errors(settings, middleware) -> set[str]:
    settings.MIDDLEWARE = middleware  # the pytest-django fixture: put back after the test
    try:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    except SystemCheckError as exc:
        return {code for code in ("access.E001", "access.E002", "access.E003") if code in str(exc)}
    return set()


def test_the_check_passes_with_the_projects_middleware(settings):
    assert _check_errors(settings, list(settings.MIDDLEWARE)) == set()


def test_the_check_fails_without_the_otp_middleware(settings):
    assert _check_errors(settings, [m for m in settings.MIDDLEWARE if "django_otp" not in m]) == {"access.E001"}


def test_the_check_fails_when_the_scope_cannot_see_the_verification(settings):
    middleware = [m for m in settings.MIDDLEWARE if "django_otp" not in m]
    middleware.append("django_otp.middleware.OTPMiddleware")  # after the scope (and everything else)
    assert _check_errors(settings, middleware) == {"access.E003"}


def test_the_check_fails_when_otp_runs_before_authentication(settings):
    middleware = [m for m in settings.MIDDLEWARE if "django_otp" not in m]
    middleware.insert(0, "django_otp.middleware.OTPMiddleware")
    assert _check_errors(settings, middleware) >= {"access.E002"}


def test_production_passes_the_deploy_check_with_two_factors_on():
    env = {**os.environ, "DJANGO_SECRET_KEY": "x" * 20 + "-k3y-" + "Zq9" * 20, "DJANGO_ALLOWED_HOSTS": "tuanji.example",
           "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
