"""The audit trail (R-TR-16, R-AUTH-6): refusals are kept, events are never edited, and neither audit rows
nor log lines hold a whole ID number."""
import datetime as dt
import io
import json
import logging
import re
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from audit.actions import label
from audit.logging import MaskIdNumbersFilter
from audit.models import AuditEvent
from audit.services import record, refusals_audited
from members.services import (
    allocate_segment,
    correct_identity,
    enter_cadre,
    enter_member,
    issue_reset_code,
    reset_password,
    update_profile,
)
from orgs.models import OrgType
from orgs.services import create_org, dissolve_org, move_org
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

# An 18-character ID number anywhere, not glued to other digits (R-ENT-1).
WHOLE_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
ID = "11010519491231002X"


def _denied_events(actor, action):
    return AuditEvent.objects.filter(actor=actor, action=action, result=AuditEvent.Result.DENIED)


# refusals (R-AUTH-6) --------------------------------------------------------------------------------------

REFUSED_CALLS = {
    "org.create": lambda t, m: create_org(actor=t["firm_admin"], full_name="越权新建团支部", org_type=OrgType.BRANCH,
                                          parent=t["school"]),
    "org.move": lambda t, m: move_org(actor=t["firm_admin"], org=t["school"], new_parent=t["firm"]),
    "org.dissolve": lambda t, m: dissolve_org(actor=t["firm_admin"], org=t["b2"]),
    "member.enter": lambda t, m: enter_member(actor=t["firm_admin"], branch=t["b1"],
                                              id_number=make_id_number(dt.date(2000, 1, 1)), name="越权录入",
                                              joined_on=dt.date(2015, 5, 4)),
    "cadre.enter": lambda t, m: enter_cadre(actor=t["firm_admin"], org=t["uni"],
                                            id_number=make_id_number(dt.date(1990, 1, 1)), name="越权录入", title="委员"),
    "account.reset_code": lambda t, m: issue_reset_code(actor=t["firm_admin"], person=m),
    "segment.allocate": lambda t, m: allocate_segment(actor=t["firm_admin"], org=t["uni"], year=2017,
                                                      first="201700000001", last="201700000100"),
    "person.update": lambda t, m: update_profile(actor=t["firm_admin"], person=m, work_unit="越权修改"),
}


@pytest.mark.parametrize("action", list(REFUSED_CALLS))
def test_a_refused_service_call_leaves_a_denied_audit_event(tree, member, action):
    ok_before = AuditEvent.objects.filter(action=action, result=AuditEvent.Result.OK).count()
    with pytest.raises(PermissionDenied):
        REFUSED_CALLS[action](tree, member)
    event = _denied_events(tree["firm_admin"], action).get()
    assert event.detail["reason"]  # the refusal's message, for whoever reads the trail
    assert AuditEvent.objects.filter(action=action, result=AuditEvent.Result.OK).count() == ok_before


def test_a_refusal_is_audited_in_its_own_transaction(tree):
    """R-AUTH-6: the refused work rolls back, its audit row does not."""

    @refusals_audited("test.refused")
    def refused_work(*, actor):
        with transaction.atomic():
            record(actor=actor, action="test.work_done")
            raise PermissionDenied("不允许")

    with pytest.raises(PermissionDenied):
        refused_work(actor=tree["b1_admin"])
    assert not AuditEvent.objects.filter(action="test.work_done").exists()
    assert _denied_events(tree["b1_admin"], "test.refused").get().detail["reason"] == "不允许"


def test_an_allowed_call_leaves_no_denied_event(tree, member):
    issue_reset_code(actor=tree["b1_admin"], person=member)
    assert AuditEvent.objects.filter(action="account.reset_code", result=AuditEvent.Result.OK,
                                     actor=tree["b1_admin"], target_id=str(member.pk)).exists()
    assert not AuditEvent.objects.filter(result=AuditEvent.Result.DENIED).exists()


# append-only (R-TR-16) ------------------------------------------------------------------------------------


@pytest.fixture
def event(db):
    return record(actor=None, action="test.event", note="原始内容")


def test_an_audit_event_cannot_be_edited(event):
    event.action = "test.edited"
    with pytest.raises(ValueError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_an_audit_event_cannot_be_deleted(event):
    with pytest.raises(ValueError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_edited_in_bulk(event):
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.edited")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_audit_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# no whole ID number in the trail (R-AUTH-6) ---------------------------------------------------------------


def test_no_audit_event_holds_a_whole_id_number(tree, member):
    """Entry, posts, reset codes, edits, identity corrections and refusals, each with ID numbers about."""
    cadre = enter_cadre(actor=tree["uni_admin"], org=tree["uni"], id_number=make_id_number(dt.date(1990, 1, 1)),
                        name="赵书记", title="委员")
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    reset_password(id_number=member.id_number, code=code, new_password="Qing-Chun-2026!")
    update_profile(actor=tree["b1_admin"], person=member, work_unit=f"备注 {member.id_number}")
    old_id = member.id_number
    correct_identity(actor=tree["b1_admin"], person=member, reason=f"身份证号录错，原为{old_id}",
                     id_number=make_id_number(dt.date(2004, 3, 1)))
    with pytest.raises(PermissionDenied):
        enter_member(actor=tree["b2_admin"], branch=tree["b1"], id_number=cadre.id_number, name="赵书记",
                     joined_on=dt.date(2010, 5, 4))
    events = list(AuditEvent.objects.all())
    assert {"member.enter", "cadre.enter", "account.reset_code", "account.reset_password", "person.update",
            "person.correct_identity"} <= {e.action for e in events}
    for e in events:
        text = e.target_label + json.dumps(e.detail, ensure_ascii=False)
        assert not WHOLE_ID.search(text), (e.action, text)
    assert any(old_id[:6] in json.dumps(e.detail, ensure_ascii=False) for e in events)  # masked, not dropped


def test_record_masks_id_numbers_at_any_depth_of_the_detail(db):
    event = record(actor=None, action="test.detail", note=f"号码{ID}", people=[ID, ID.lower()],
                   changes={"old": {"id_number": ID}}, count=3)
    stored = AuditEvent.objects.get(pk=event.pk)
    text = json.dumps(stored.detail, ensure_ascii=False)
    assert not WHOLE_ID.search(text)
    assert stored.detail["note"] == "号码110105***********X"
    assert stored.detail["count"] == 3
    assert stored.detail["changes"]["old"]["id_number"] == "110105***********X"


# logs (R-AUTH-6) ------------------------------------------------------------------------------------------


def _filtered(msg, *args, exc_info=None) -> logging.LogRecord:
    rec = logging.LogRecord("tuanji.test", logging.WARNING, __file__, 1, msg, args or None, exc_info)
    assert MaskIdNumbersFilter().filter(rec) is True  # masks, never drops a line
    return rec


@pytest.mark.parametrize("msg, args", [
    (f"entered {ID}", ()),
    ("entered %s", (ID,)),
    ("entered %s in %s", (ID.lower(), "b1")),
    ("entered %(id)s", ({"id": ID},)),
    ("GET /people/?q=%s 200", (ID,)),
])
def test_the_logging_filter_masks_id_numbers_in_messages(msg, args):
    rec = _filtered(msg, *args)
    message = rec.getMessage()
    assert not WHOLE_ID.search(message)
    assert "110105***********" in message


def test_the_logging_filter_leaves_other_numbers_alone():
    message = _filtered("development number %s, phone %s, id %s", "201700000042", "13800000000", "42").getMessage()
    assert message == "development number 201700000042, phone 13800000000, id 42"


def test_the_logging_filter_masks_id_numbers_in_tracebacks():
    try:
        raise ValueError(f'duplicate key value violates unique constraint DETAIL: Key (id_number)=({ID}) exists')
    except ValueError:
        rec = _filtered("import failed", exc_info=sys.exc_info())
    output = logging.Formatter().format(rec)
    assert "duplicate key" in output and not WHOLE_ID.search(output)


def test_the_configured_log_handlers_mask_id_numbers():
    """Whatever logger writes the line, the root handler of settings.LOGGING masks it."""
    handlers = [h for h in logging.getLogger().handlers
                if any(isinstance(f, MaskIdNumbersFilter) for f in h.filters)]
    assert handlers, "settings.LOGGING's console handler lost its masking filter"
    handler, stream = handlers[0], io.StringIO()
    old_stream = handler.setStream(stream)
    try:
        logging.getLogger("tuanji.some.module").warning("person %s entered", ID)
    finally:
        handler.setStream(old_stream)
    assert "110105***********X" in stream.getvalue() and ID not in stream.getvalue()


@pytest.mark.parametrize("action", ["org.rename", "org.move", "org.dissolve", "org.term", "org.merge", "org.rebuild"])
def test_the_upkeep_actions_have_names_on_the_audit_page(action):
    """Issue 15: the upkeep pages' actions are named on the audit page and its export, in both languages."""
    with translation.override("zh-hans"):
        assert label(action)
    with translation.override("en"):
        assert label(action) and label(action).isascii()
