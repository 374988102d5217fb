"""R-ENT-11, the reading side: who stands where in an age-exception request's chain (the filer, the province, the
centre), and the requests an acting organization sees."""
from django.db.models import Count, Q, QuerySet

from access.permissions import admin_org_ids
from orgs.models import Organization, OrgType

from ..models import AgeExceptionBatch, AgeExceptionRequest

Status = AgeExceptionRequest.Status


def province_of(branch: Organization) -> Organization | None:
    """The province's leading organ a branch lies under: the second level of the tree (the root's child)."""
    ids = branch.ancestor_ids()
    if len(ids) < 3:
        return None
    return Organization.objects.filter(pk=ids[1], org_type=OrgType.LEADING).first()


def county_of(branch: Organization) -> Organization | None:
    """The branch's county-level committee: the nearest leading organ above it, below the province."""
    ids = branch.ancestor_ids()[2:-1]
    return (Organization.objects.filter(pk__in=ids, org_type=OrgType.LEADING, is_active=True)
            .order_by("-depth").first()) if ids else None


def may_file_for(actor, acting: Organization, branch: Organization) -> bool:
    """R-ENT-11: the admins of the branch (recruiting the person) or of its county-level committee, acting as it."""
    if acting is None or acting.pk not in admin_org_ids(actor) or not branch.is_branch:
        return False
    if acting.pk == branch.pk:
        return True
    county = county_of(branch)
    return county is not None and county.pk == acting.pk


def fileable_branches(acting: Organization) -> QuerySet[Organization]:
    """Where an admin acting as `acting` files: the branch itself; for a county-level leading organ, the active
    branches of its subtree whose nearest leading organ it is (a county inside it files for its own)."""
    if acting.is_branch:
        return Organization.objects.filter(pk=acting.pk)
    if acting.org_type != OrgType.LEADING or len(acting.ancestor_ids()) < 3:
        return Organization.objects.none()
    inner = Organization.objects.filter(path__startswith=acting.path, org_type=OrgType.LEADING).exclude(pk=acting.pk)
    branches = Organization.objects.filter(path__startswith=acting.path, org_type=OrgType.BRANCH, is_active=True)
    for county in inner.values_list("path", flat=True):
        branches = branches.exclude(path__startswith=county)
    return branches.order_by("full_name")


def is_province(org: Organization | None) -> bool:
    return org is not None and org.org_type == OrgType.LEADING and len(org.ancestor_ids()) == 2


def is_centre(org: Organization | None) -> bool:
    return org is not None and org.parent_id is None


def requests_within(acting: Organization) -> QuerySet[AgeExceptionRequest]:
    """R-AUTH-1: the requests whose branch lies in the acting organization's subtree (the centre sees all)."""
    qs = AgeExceptionRequest.objects.select_related("branch", "filed_as", "province", "batch")
    return qs if is_centre(acting) else qs.filter(org_path__startswith=acting.path)


def waiting_at_province(province: Organization) -> QuerySet[AgeExceptionRequest]:
    return requests_within(province).filter(province=province, status=Status.FILED).order_by("filed_at", "pk")


def centre_inbox() -> QuerySet[AgeExceptionRequest]:
    return (AgeExceptionRequest.objects.filter(status=Status.FORWARDED)
            .select_related("branch", "province", "batch").order_by("batch__forwarded_at", "batch_id", "pk"))


def batches_of(acting: Organization) -> QuerySet[AgeExceptionBatch]:
    """The batches a province forwarded (the centre: all), with how each stands now."""
    qs = AgeExceptionBatch.objects.select_related("province", "forwarded_by")
    if not is_centre(acting):
        qs = qs.filter(province=acting)
    return qs.annotate(entered=Count("requests", filter=Q(requests__status=Status.ENTERED)),
                       waiting=Count("requests", filter=Q(requests__status=Status.FORWARDED)))


def batch_rows(batch: AgeExceptionBatch) -> QuerySet[AgeExceptionRequest]:
    """The requests a batch carried, as forwarded (returned or entered since, they stay on its list)."""
    return batch.requests.select_related("branch").order_by("pk")


def status_counts(qs: QuerySet[AgeExceptionRequest]) -> dict[str, int]:
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    return {value: counts.get(value, 0) for value in Status.values}
