"""The development number an oath takes (R-REC-11, R-ENT-4a): the lowest free number in the year's segments of the
branch and its ancestors, the branch's own first, then each ancestor's from the nearest up."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from members.models import NumberSegment, Person
from orgs.models import Organization


def _first_free(segment: NumberSegment) -> str | None:
    expect, last = int(segment.first), int(segment.last)
    taken = (Person.objects.filter(development_number__gte=segment.first, development_number__lte=segment.last)
             .order_by("development_number").values_list("development_number", flat=True).iterator())
    for number in taken:
        if len(number) != 12 or not number.isdigit():
            continue  # a malformed number that sorts inside (R-ENT-5 flags it): it holds no place
        value = int(number)
        if value > expect:
            break
        if value == expect:
            expect += 1
    return f"{expect:012d}" if expect <= last else None


def next_development_number(branch: Organization, year: int) -> str:
    """Locks the year's segments of the branch's ancestry (by id, R-REC-14) and returns the number to give. The caller
    holds the transaction; a number written meanwhile by another path is refused by the unique index."""
    line = branch.ancestor_ids()
    segments = list(NumberSegment.objects.select_for_update().filter(year=year, org_id__in=line).order_by("pk"))
    if not segments:
        raise ValidationError({"oath_on": ValidationError(
            _("本团支部及上级组织尚未分配%(year)d年的发展团员编号号段，请联系上级团委分配号段后再办理入团。")
            % {"year": year}, code="no_segment")})
    depth = {pk: i for i, pk in enumerate(line)}
    for segment in sorted(segments, key=lambda s: (-depth[s.org_id], s.first)):
        number = _first_free(segment)
        if number:
            return number
    raise ValidationError({"oath_on": ValidationError(
        _("%(year)d年的发展团员编号号段已全部用完，请联系上级团委分配新的号段后再办理入团。") % {"year": year},
        code="segment_exhausted")})
