"""Identity verification (R-VER). It depends only on the ID number and the name (R-VER-1) and never
blocks entry or other work (R-VER-4). The verifier is named by the IDENTITY_VERIFIER setting (R-VER-3)."""
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from config.tasks import retrying

from .idnumber import is_valid_id_number
from .models import Person

log = logging.getLogger(__name__)
# Han characters, with the middle dot of transliterated minority names; or Latin letters and spaces.
_HAN_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002ebef]+([·•．.][\u3400-\u9fff\U00020000-\U0002ebef]+)*$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]{1,48}$")


@dataclass(frozen=True)
class Outcome:
    status: str          # "verified" | "failed"
    reason: str = ""     # shown to people in plain words when failed


class Verifier(ABC):
    """The interface: a real one would ask the public-security service; it must be idempotent."""

    # True only for a verifier that asks no one (no network, no waiting): it may then run inside a transaction
    # (`verify_before_insert`) without holding it up (R-VER-4). A service-backed one runs after commit.
    instant = False

    @abstractmethod
    def verify(self, *, id_number: str, name: str) -> Outcome:
        """Verify one person; never raises for a mismatch (that is a "failed" outcome)."""


class LocalVerifier(Verifier):
    """What can be checked here: the ID number's checksum and birth date, and a plausible name."""

    instant = True

    def verify(self, *, id_number: str, name: str) -> Outcome:
        if not is_valid_id_number(id_number):
            return Outcome("failed", _("身份证号校验不通过（出生日期或校验码有误）。"))
        if not (_HAN_NAME.match(name) and 2 <= len(name) <= 20) and not _LATIN_NAME.match(name):
            return Outcome("failed", _("姓名不像真实姓名（应为2至20个汉字，少数民族姓名可用“·”分隔）。"))
        return Outcome("verified")


def get_verifier() -> Verifier:
    return import_string(settings.IDENTITY_VERIFIER)()


def verify_people(person_ids) -> int:
    """Verify these people now; returns how many were verified. A verifier failure leaves that person
    pending (R-VER-4). Results are written grouped by outcome: an import verifies thousands at once."""

    verifier, groups = get_verifier(), {}
    for pk, id_number, name in Person.objects.filter(pk__in=list(person_ids)).values_list("pk", "id_number", "name"):
        try:
            outcome = verifier.verify(id_number=id_number, name=name)
        except Exception:  # noqa: BLE001 — R-VER-4: a broken verifier must never block work
            log.exception("identity verifier failed for person %s", pk)
            continue
        groups.setdefault((outcome.status, outcome.reason[:200]), []).append(pk)
    for (status, reason), pks in groups.items():
        for i in range(0, len(pks), 900):
            Person.objects.filter(pk__in=pks[i:i + 900]).update(verification_status=status, verification_reason=reason)
    return len(groups.get(("verified", ""), []))


VERIFY_BATCH = 1000  # people a task: a service-backed verifier answers each in turn


@task()
@retrying
def verify_task(person_ids: list[int]) -> None:
    """verify_people on the task queue (issue 14): a verifier that asks a service may be slow or down, and neither
    may hold up a request. Idempotent: each run reads the people's ID number and name as they are then."""
    verify_people(person_ids)


def verify_later(person_ids) -> None:
    """Queue the verification of these people once the caller's transaction commits (R-VER-4: after, never in the
    way); nothing is queued if it rolls back."""
    ids = [int(pk) for pk in person_ids]
    for i in range(0, len(ids), VERIFY_BATCH):
        batch = ids[i:i + VERIFY_BATCH]
        transaction.on_commit(lambda batch=batch: verify_task.enqueue(batch))


def verify_before_insert(people: list) -> list:
    """People about to be inserted (an import; objects with id_number and name, given verification_status and
    verification_reason here): with an `instant` verifier their outcome is set on them now, so
    each row is written once, verified; a failing verifier leaves that person pending, as `verify_people` does.
    Returns the people still to verify after commit: all of them when the verifier asks a service (R-VER-4)."""
    verifier = get_verifier()
    if not verifier.instant:
        return list(people)
    for person in people:
        try:
            outcome = verifier.verify(id_number=person.id_number, name=person.name)
        except Exception:  # noqa: BLE001 — R-VER-4: a broken verifier must never block work
            log.exception("identity verifier failed for a new person")
            continue
        person.verification_status, person.verification_reason = outcome.status, outcome.reason[:200]
    return []
