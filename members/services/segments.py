"""Development-number segments (R-ENT-4a)."""
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.permissions import admin_org_ids
from audit.services import record, refusals_audited
from orgs.models import Organization, OrgType

from ..models import NumberSegment

ALLOCATING_TYPES = {OrgType.LEADING, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE}


def _ensure_may_allocate(actor, org: Organization) -> None:
    if actor is None:
        return
    admin_ids = admin_org_ids(actor)
    allowed = Organization.objects.filter(pk__in=set(org.ancestor_ids()) & admin_ids,
                                          org_type__in=ALLOCATING_TYPES).exists()
    if not allowed:
        raise PermissionDenied(_("只有团的领导机关和团委的管理员可以为本级及下级分配号段。"))


@refusals_audited("segment.allocate")
def allocate_segment(*, actor, org: Organization, year: int, first: str, last: str) -> NumberSegment:
    _ensure_may_allocate(actor, org)
    first, last = str(first).strip(), str(last).strip()
    for field, value in (("first", first), ("last", last)):
        if not re.fullmatch(r"[0-9]{12}", value):
            raise ValidationError({field: ValidationError(_("号段编号应为12位数字。"), code="dev_number_format")})
        if value[:4] != f"{int(year):04d}":
            raise ValidationError({field: ValidationError(
                _("号段编号前4位应为年份 %(year)s。") % {"year": year}, code="dev_number_year")})
    if first > last:
        raise ValidationError({"last": ValidationError(_("结束编号不能小于起始编号。"), code="segment_order")})
    with transaction.atomic():
        # Segments of a year are allocated one at a time: the root row is the year's mutex.
        Organization.objects.select_for_update().filter(pk=org.ancestor_ids()[0]).first()
        clash = NumberSegment.objects.filter(year=year, first__lte=last, last__gte=first).first()
        if clash:
            raise ValidationError({"first": ValidationError(
                _("与已分配的号段 %(a)s–%(b)s 重叠。") % {"a": clash.first, "b": clash.last},
                code="segment_overlap")})
        segment = NumberSegment.objects.create(org=org, org_path=org.path, year=year, first=first, last=last,
                                               allocated_by=actor)
        record(actor=actor, action="segment.allocate", target=org, first=first, last=last)
    return segment
