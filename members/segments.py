"""Development-number segments (号段, R-ENT-4a) as they bear on one number."""
from django.utils.translation import gettext as _

from .selectors.lookups import DEFAULT


def segment_problem(number: str, *, branch, lookups=None) -> str:
    """'' when the number may be used in branch; otherwise the message (R-ENT-4 dev_number_segment)."""
    year = int(number[:4])
    allocated = (lookups or DEFAULT).segments(branch.ancestor_ids(), year)
    if not allocated:
        return ""
    if any(first <= number <= last for first, last in allocated):
        return ""
    ranges = "、".join(f"{a}–{b}" for a, b in allocated[:5])
    return _("发展团员编号不在本组织及上级分配的%(year)d年号段内（%(ranges)s）。") % {"year": year, "ranges": ranges}
