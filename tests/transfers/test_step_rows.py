"""Issue 13: a list of steps renders its rows in one template (transfers/_step_rows.html), each row's links made from
addresses reversed once (transfer_tags.step_links) and its badge and clocks in one call (step_row). What a row says
and links to is what the tags and {% url %} said."""
import datetime as dt

import pytest
from django.template import engines
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation

from transfers.models import ApprovalStep
from transfers.selectors import ROW_JOINED, row_facts
from transfers.services import apply_for_transfer
from transfers.templatetags.transfer_tags import auto_approval, deadline, step_badge, step_links, step_row, when

pytestmark = pytest.mark.django_db


def _step(tree, member, *, hours_ago=0):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    step = t.steps.get(status=ApprovalStep.Status.PENDING)
    ApprovalStep.objects.filter(pk=step.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours_ago))
    step.refresh_from_db()
    return step


@pytest.mark.parametrize("prefix", ["/", "/tuanji/"])
def test_a_rows_links_are_the_reversed_addresses_under_any_script_prefix(tree, member, prefix):
    step = _step(tree, member)
    set_script_prefix(prefix)
    try:
        links = step_links(step)
        assert links == {"detail": reverse("transfers:detail", args=[step.request_id]),
                         "approve": reverse("transfers:approve", args=[step.pk]),
                         "reject": reverse("transfers:reject", args=[step.pk]),
                         "assign": reverse("transfers:assign", args=[step.pk])}
        assert links["detail"].startswith(prefix)
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("hours_ago", [71, 73])  # R-TR-8: overdue after 72 hours, not before
def test_a_rows_badge_and_clocks_are_what_the_tags_show(tree, member, hours_ago):
    step = _step(tree, member, hours_ago=hours_ago)
    now = timezone.now()
    row = step_row(step, step.org)
    assert row["overdue"] is (hours_ago > 72)
    assert row["badge"] == step_badge(step, now)
    assert row["deadline"] == deadline(step, now)
    assert row["received"] == when(step.created_at, now)
    assert row["auto"] == auto_approval(step, now)
    assert ("已超时" in row["badge"]) is (hours_ago > 72)
    # R-AUTH-3: a step at the acting organization names no one; one at a subordinate names it.
    assert row["below"] == ""
    assert step.org.full_name in step_row(step, step.org.parent)["below"]


def test_the_rows_words_and_labels_follow_the_language(tree, member):
    step = _step(tree, member)
    rows = row_facts(list(ApprovalStep.objects.filter(pk=step.pk).select_related(*ROW_JOINED)))
    template = engines["django"].from_string('{% include "transfers/_step_rows.html" with actions=True %}')
    shown = {}
    for language in ("zh-hans", "en", "zh-hans"):  # a label translated for one language is not kept for the other
        with translation.override(language):
            page = template.render({"rows": rows, "acting_org": step.org, "form_hidden": ""})
            shown[language] = page
            assert step.request.get_reason_display() in page
    assert "同意" in shown["zh-hans"] and "同意" not in shown["en"]
    assert "迁居" in shown["zh-hans"] and "迁居" not in shown["en"]
    assert f'action="{reverse("transfers:approve", args=[step.pk])}"' in shown["en"]
