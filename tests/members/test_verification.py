"""Identity verification (R-VER-1..4): the local verifier, verify_people, reverify_identities, entry."""
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from members.models import Membership, Person
from members.services import enter_member
from members.verification import LocalVerifier, Verifier, verify_people
from tests.factories import PersonFactory, make_id_number
from tests.members.test_import_files import fill, member_row, run


class BrokenVerifier(Verifier):
    """A verifier whose service is down (R-VER-4)."""

    def verify(self, *, id_number, name):
        raise ConnectionError("public-security service unreachable")


class ServiceVerifier(Verifier):
    """The local checks behind a (pretend) service: not instant, so it runs after commit."""

    def verify(self, *, id_number, name):
        return LocalVerifier().verify(id_number=id_number, name=name)


class BrokenLocalVerifier(LocalVerifier):
    """An instant verifier that raises anyway (R-VER-4)."""

    def verify(self, *, id_number, name):
        raise ValueError("broken")


class RecordingVerifier(LocalVerifier):
    """The local verifier, remembering whom it was asked about."""

    seen: list[str] = []

    def verify(self, *, id_number, name):
        RecordingVerifier.seen.append(id_number)
        return super().verify(id_number=id_number, name=name)


def _people(n, **kwargs):
    # PersonFactory's own names carry digits ("测试3"), which the local verifier rightly fails.
    return [PersonFactory(name=name, **kwargs) for name in ["赵一", "钱二", "孙三", "李四", "周五", "吴六"][:n]]


@pytest.fixture
def broken_verifier(settings):
    settings.IDENTITY_VERIFIER = f"{__name__}.BrokenVerifier"  # R-VER-3: a setting names the class


@pytest.fixture
def recording_verifier(settings):
    RecordingVerifier.seen = []
    settings.IDENTITY_VERIFIER = f"{__name__}.RecordingVerifier"
    return RecordingVerifier


# --- LocalVerifier: the ID number and the name, nothing else (R-VER-1, R-VER-3) ----------------------

@pytest.mark.parametrize("name", ["张三", "欧阳修文", "买买提·艾力", "阿依古丽·买买提", "John Smith", "Mary-Ann O'Neil"])
def test_the_local_verifier_verifies_a_valid_id_number_with_a_plausible_name(name):
    outcome = LocalVerifier().verify(id_number=make_id_number(dt.date(2004, 3, 1)), name=name)
    assert (outcome.status, outcome.reason) == ("verified", "")


@pytest.mark.parametrize("name", ["张", "张3", "李四5", "123", "·张三", "张三·"])
def test_the_local_verifier_fails_an_implausible_name_with_a_reason(name):
    outcome = LocalVerifier().verify(id_number=make_id_number(dt.date(2004, 3, 1)), name=name)
    assert outcome.status == "failed"
    assert "姓名" in outcome.reason


def test_the_local_verifier_fails_a_bad_check_character_with_a_reason():
    good = make_id_number(dt.date(2004, 3, 1))
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    outcome = LocalVerifier().verify(id_number=bad, name="张三")
    assert outcome.status == "failed"
    assert "身份证号" in outcome.reason


# --- verify_people ------------------------------------------------------------------------------------

def test_verify_people_stores_each_outcome_and_counts_the_verified(db):
    good, bad = PersonFactory(name="张三"), PersonFactory(name="张")
    assert verify_people([good.pk, bad.pk]) == 1
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.verification_status, good.verification_reason) == ("verified", "")
    assert bad.verification_status == "failed"
    assert bad.verification_reason


def test_verify_people_leaves_people_pending_when_the_verifier_raises(db, broken_verifier):
    # R-VER-4: a broken verifier never blocks work, and does not mark anyone failed.
    people = _people(2)
    assert verify_people([p.pk for p in people]) == 0
    assert set(Person.objects.values_list("verification_status", flat=True)) == {"pending"}


# --- reverify_identities (R-VER-3) ---------------------------------------------------------------------

def _reverify(*args):
    out = StringIO()
    call_command("reverify_identities", *args, stdout=out)
    return out.getvalue().splitlines()


def test_reverify_verifies_pending_and_failed_people_in_batches(db, recording_verifier):
    pending = _people(3)
    failed_before = PersonFactory(name="郑七", verification_status="failed", verification_reason="姓名不像真实姓名")
    still_failing = PersonFactory(name="张")
    already = PersonFactory(name="王八", verification_status="verified")

    lines = _reverify("--batch", "2")

    assert lines == ["已核验 2/5，通过 2", "已核验 4/5，通过 4", "已核验 5/5，通过 4", "完成：核验 5 人，通过 4 人。"]
    assert already.id_number not in recording_verifier.seen
    statuses = dict(Person.objects.values_list("pk", "verification_status"))
    assert [statuses[p.pk] for p in [*pending, failed_before]] == ["verified"] * 4
    assert statuses[still_failing.pk] == "failed"
    assert Person.objects.get(pk=failed_before.pk).verification_reason == ""


def test_reverify_is_safe_to_rerun(db, recording_verifier):
    _people(4)
    still_failing = PersonFactory(name="张")
    _reverify("--batch", "2")
    before = list(Person.objects.order_by("pk").values_list("pk", "verification_status", "verification_reason"))
    recording_verifier.seen = []

    lines = _reverify("--batch", "2")

    # Only the one still failing is asked about again; the verified are left alone.
    assert recording_verifier.seen == [still_failing.id_number]
    assert lines == ["已核验 1/1，通过 0", "完成：核验 1 人，通过 0 人。"]
    assert list(Person.objects.order_by("pk").values_list("pk", "verification_status", "verification_reason")) == before


def test_reverify_with_nobody_to_verify_reports_zero(db):
    PersonFactory(verification_status="verified")
    assert _reverify() == ["完成：核验 0 人，通过 0 人。"]


def test_reverify_keeps_going_when_the_verifier_raises(db, broken_verifier):
    _people(3)
    assert _reverify("--batch", "2") == ["已核验 2/3，通过 0", "已核验 3/3，通过 0", "完成：核验 3 人，通过 0 人。"]
    assert set(Person.objects.values_list("verification_status", flat=True)) == {"pending"}


# --- entry and verification (R-VER-4) -------------------------------------------------------------------

def _enter(tree, name="王小丽"):
    return enter_member(actor=tree["b1_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2004, 3, 1)),
                        name=name, joined_on=dt.date(2016, 5, 4))


def test_entering_a_member_verifies_them_after_the_commit(tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        person = _enter(tree)
        assert Person.objects.get(pk=person.pk).verification_status == "pending"
    assert Person.objects.get(pk=person.pk).verification_status == "verified"


def test_an_implausible_name_is_entered_and_then_fails_verification(tree, django_capture_on_commit_callbacks):
    # R-VER-4: the entry is not refused; the record is marked 认证不通过 with the reason.
    with django_capture_on_commit_callbacks(execute=True):
        person = _enter(tree, name="王5")
    person.refresh_from_db()
    assert person.verification_status == "failed"
    assert Membership.objects.filter(person=person, branch=tree["b1"], ended_at__isnull=True).exists()


def test_a_raising_verifier_never_blocks_entry(tree, broken_verifier, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        person = _enter(tree)
    assert len(callbacks) == 1
    person.refresh_from_db()
    assert person.verification_status == "pending"
    assert Membership.objects.filter(person=person, branch=tree["b1"], ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="member.enter", target_id=str(person.pk)).exists()


# --- an import (issue 13: each row written once) ----------------------------------------------------------


def _import(tree):
    rows = [member_row(tree, 姓名=name, 身份证号=make_id_number(dt.date(2004, 4, 4))) for name in ("赵一", "钱二3")]
    assert run(tree, fill(rows)).created == 2


def _statuses():
    return dict(Person.objects.filter(name__in=["赵一", "钱二3"]).values_list("name", "verification_status"))


def test_an_import_stores_the_local_verifiers_outcome_with_each_new_row(tree, django_capture_on_commit_callbacks):
    """The local verifier asks no one (`instant`), so the rows are inserted verified or failed, not updated after."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _import(tree)
        assert _statuses() == {"赵一": "verified", "钱二3": "failed"}
    assert callbacks == []


def test_an_import_leaves_a_service_verifier_until_after_the_commit(tree, settings, django_capture_on_commit_callbacks):
    settings.IDENTITY_VERIFIER = f"{__name__}.ServiceVerifier"
    with django_capture_on_commit_callbacks(execute=True):
        _import(tree)
        assert _statuses() == {"赵一": "pending", "钱二3": "pending"}  # R-VER-4: never in the way
    assert _statuses() == {"赵一": "verified", "钱二3": "failed"}


def test_an_instant_verifier_that_raises_never_blocks_an_import(tree, settings):
    settings.IDENTITY_VERIFIER = f"{__name__}.BrokenLocalVerifier"
    _import(tree)
    assert _statuses() == {"赵一": "pending", "钱二3": "pending"}


def test_entering_a_member_queues_their_verification_as_a_task(tree, settings, django_capture_on_commit_callbacks):
    """Issue 14: the verifier (a service in production) runs on the task queue, never in the request (R-VER-4)."""
    from django_tasks import task_backends

    from members.verification import verify_task

    # django_tasks forgets its backends when the setting changes (and again when pytest-django restores it).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        person = enter_member(actor=tree["b1_admin"], branch=tree["b1"], name="王小明",
                              id_number=make_id_number(dt.date(2000, 5, 6)), joined_on=dt.date(2016, 5, 4))
    person.refresh_from_db()
    assert person.verification_status == "pending"          # nothing verified inside the request
    queued = task_backends["default"].results
    assert [(r.task.name, r.args) for r in queued] == [(verify_task.name, [[person.pk]])]
    verify_task.call(*queued[0].args)                        # what the worker does with it
    person.refresh_from_db()
    assert person.verification_status == "verified"
