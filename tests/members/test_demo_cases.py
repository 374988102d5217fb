"""The demo (seed_demo) holds identity cases in every state (R-VER-5, issue 18), its card photo is a real PNG that
the upload check takes, and a rerun adds none."""
import io

import pytest
from django.core.management import call_command

from members.case_photos import photo_type
from members.demo_cases import card_png
from members.models import IdentityCase, IdentityCasePhoto

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_case_in_every_state_and_kind():
    call_command("seed_demo", stdout=io.StringIO())
    assert set(IdentityCase.objects.values_list("status", flat=True)) == set(IdentityCase.Status.values)
    assert set(IdentityCase.objects.values_list("kind", flat=True)) == set(IdentityCase.Kind.values)
    rejected = IdentityCase.objects.get(status="rejected")
    assert not IdentityCasePhoto.objects.filter(case=rejected).exists()  # closed 40 days ago: photo deleted
    assert IdentityCasePhoto.objects.filter(case__status="open").count() == 2
    count = IdentityCase.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert IdentityCase.objects.count() == count


def test_the_demo_card_is_a_png_the_check_takes():
    assert photo_type(card_png()) == "image/png"
