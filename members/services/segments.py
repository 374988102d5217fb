"""Development-number segments (R-ENT-4a)."""
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.permissions import admin_org_ids
from audit.services import record, refusals_audited
from orgs.models import Organization, OrgType

from ..models import NumberSegment
from ..reflagging import reflag_after_segment_change

ALLOCATING_TYPES = {OrgType.LEADING, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE}


def _ensure_may_allocate(actor, org: Organization) -> None:
    if actor is None:
        return
    admin_ids = admin_org_ids(actor)
    allowed = Organization.objects.filter(pk__in=set(org.ancestor_ids()) & admin_ids,
                                          org_type__in=ALLOCATING_TYPES).exists()
    if not allowed:
        raise PermissionDenied(_("只有团的领导机关和团委的管理员可以为本级及下级分配号段。"))


def _checked_range(year: int, first, last) -> tuple[str, str]:
    first, last = str(first).strip(), str(last).strip()
    for field, value in (("first", first), ("last", last)):
        if not re.fullmatch(r"[0-9]{12}", value):
            raise ValidationError({field: ValidationError(_("号段编号应为12位数字。"), code="dev_number_format")})
        if value[:4] != f"{int(year):04d}":
            raise ValidationError({field: ValidationError(
                _("号段编号前4位应为年份 %(year)s。") % {"year": year}, code="dev_number_year")})
    if first > last:
        raise ValidationError({"last": ValidationError(_("结束编号不能小于起始编号。"), code="segment_order")})
    return first, last


def _refuse_overlap(year: int, first: str, last: str, *, exclude_pk=None) -> None:
    clash = NumberSegment.objects.filter(year=year, first__lte=last, last__gte=first).exclude(pk=exclude_pk).first()
    if clash:
        raise ValidationError({"first": ValidationError(
            _("与已分配的号段 %(a)s–%(b)s 重叠。") % {"a": clash.first, "b": clash.last}, code="segment_overlap")})


@refusals_audited("segment.allocate")
def allocate_segment(*, actor, org: Organization, year: int, first: str, last: str) -> NumberSegment:
    _ensure_may_allocate(actor, org)
    first, last = _checked_range(year, first, last)
    with transaction.atomic():
        # Segments of a year are allocated one at a time: the root row is the year's mutex.
        Organization.objects.select_for_update().filter(pk=org.ancestor_ids()[0]).first()
        _refuse_overlap(year, first, last)
        segment = NumberSegment.objects.create(org=org, org_path=org.path, year=year, first=first, last=last,
                                               allocated_by=actor)
        # R-ENT-5 (issue 18): the people this segment may flag or clear are re-checked now, or queued.
        reflag = reflag_after_segment_change(actor=actor, org=org, year=int(year))
        record(actor=actor, action="segment.allocate", target=org, first=first, last=last, **reflag)
    return segment


@refusals_audited("segment.change")
def change_segment(*, actor, segment: NumberSegment, first: str, last: str) -> NumberSegment:
    """R-ENT-4a: a segment's range changed (its organization and year stay); the people it concerns are re-checked
    (R-ENT-5) as after an allocation."""
    org = segment.org
    _ensure_may_allocate(actor, org)
    first, last = _checked_range(segment.year, first, last)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=org.ancestor_ids()[0]).first()
        segment = NumberSegment.objects.select_for_update().get(pk=segment.pk)  # re-read under the year's mutex
        _refuse_overlap(segment.year, first, last, exclude_pk=segment.pk)
        before = (segment.first, segment.last)
        segment.first, segment.last = first, last
        segment.save(update_fields=["first", "last"])
        reflag = reflag_after_segment_change(actor=actor, org=org, year=segment.year)
        record(actor=actor, action="segment.change", target=org, before=f"{before[0]}–{before[1]}",
               first=first, last=last, **reflag)
    return segment
