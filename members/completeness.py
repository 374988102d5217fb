"""Completeness (R-ENT-8, R-CMP) and development-number flags (R-ENT-5).

A person's `is_complete` and `dev_number_issue`, and an organization's `meets_standard`, are derived
values stored on the row, so that lists filter on them and a superior's roll-up is one grouped query
at any size. Every service that changes a person, a post or a membership calls `refresh_people` /
`refresh_orgs` in its transaction.
"""
from django.db.models import Count, Exists, OuterRef, Q, Sum

from config.arrays import in_ids
from orgs.figures import OrgStats, OrgStatsDelta
from orgs.models import Organization, OrgType
from orgs.regions import XINJIANG
from orgs.selectors import uses_figures

from .choices import DevNumberIssue
from .models import CadrePost, Membership, Person
from .profile import REQUIRED_FIELDS
from .rules import Errors, check_dev_number, dev_number_required

MIN_CADRES = {OrgType.COMMITTEE: 2, OrgType.WORKING_COMMITTEE: 2, OrgType.GENERAL_BRANCH: 2}  # R-CMP-2
MIN_BRANCH_PEOPLE = 3  # R-CMP-3


def _region(person: Person, branch: Organization | None) -> str:
    if branch is not None:
        return branch.region_code
    return XINJIANG if person.province == XINJIANG else ""


def missing_fields(person: Person, branch: Organization | None = None) -> list[tuple[str, str]]:
    """The required fields still empty, with their labels (R-ENT-8). Verification plays no part."""
    out = []
    for field, label in REQUIRED_FIELDS:
        if field == "development_number":
            if not person.development_number and dev_number_required(person.joined_on, _region(person, branch)):
                out.append((field, str(label)))
        elif not getattr(person, field):
            out.append((field, str(label)))
    return out


_ISSUE_BY_CODE = {"dev_number_required": DevNumberIssue.MISSING, "dev_number_format": DevNumberIssue.FORMAT,
                  "dev_number_year": DevNumberIssue.YEAR, "dev_number_segment": DevNumberIssue.SEGMENT,
                  "dev_number_taken": DevNumberIssue.TAKEN}


def dev_number_issue(person: Person, branch: Organization | None, *, lookups=None) -> str:
    """R-ENT-5: which R-ENT-4 case a number on file breaks ('' when none). `lookups`: the holders and segments read
    once for many people (members/reflagging.py)."""
    if branch is None:
        return ""
    errors = Errors()
    check_dev_number(person.development_number or "", joined_on=person.joined_on, branch=branch, errors=errors,
                     exclude_pk=person.pk, lookups=lookups)
    for errs in errors.by_field.values():
        for err in errs:
            return _ISSUE_BY_CODE.get(err.code, "")
    return ""


def refresh_people(person_ids, *, lookups=None) -> int:
    """Recompute and store is_complete and dev_number_issue for these people; returns how many changed."""
    people = list(Person.objects.filter(pk__in=list(person_ids)))
    branches = {m.person_id: m.branch for m in Membership.objects.filter(
        person_id__in=[p.pk for p in people], ended_at__isnull=True).select_related("branch")}
    changed = []
    for person in people:
        branch = branches.get(person.pk)
        complete = not missing_fields(person, branch)
        issue = dev_number_issue(person, branch, lookups=lookups)
        if (complete, issue) != (person.is_complete, person.dev_number_issue):
            person.is_complete, person.dev_number_issue = complete, issue
            changed.append(person)
    Person.objects.bulk_update(changed, ["is_complete", "dev_number_issue"])
    return len(changed)


def org_figures(org_ids) -> dict[int, dict]:
    """People counted for R-CMP per organization: cadres (posts) and, for branches, members too."""
    figures = {pk: {"people": 0, "incomplete": 0, "cadres": 0} for pk in org_ids}
    posts = (CadrePost.objects.held().filter(org_id__in=org_ids)
             .annotate(also_member=Exists(Membership.objects.filter(person=OuterRef("person_id"),
                                                                    branch=OuterRef("org_id"), ended_at__isnull=True)))
             .values("org_id")
             .annotate(cadres=Count("pk"), incomplete=Count("pk", filter=Q(person__is_complete=False, also_member=False)),
                       people=Count("pk", filter=Q(also_member=False))))
    for row in posts:
        f = figures[row["org_id"]]
        f["cadres"], f["people"], f["incomplete"] = row["cadres"], row["people"], row["incomplete"]
    members = (Membership.objects.filter(branch_id__in=org_ids, ended_at__isnull=True).values("branch_id")
               .annotate(n=Count("pk"), incomplete=Count("pk", filter=Q(person__is_complete=False))))
    for row in members:
        f = figures[row["branch_id"]]
        f["people"] += row["n"]
        f["incomplete"] += row["incomplete"]
    return figures


def meets_standard(org_type: str, f: dict) -> bool:
    if org_type == OrgType.LEADING:  # R-CMP-1
        return f["cadres"] >= 1 and f["incomplete"] == 0
    if org_type == OrgType.BRANCH:  # R-CMP-3
        return f["people"] >= MIN_BRANCH_PEOPLE and f["incomplete"] == 0
    return f["cadres"] >= MIN_CADRES[OrgType(org_type)] and f["incomplete"] == 0  # R-CMP-2


_KEPT = ("members", "members_incomplete", "cadres", "cadres_incomplete")


def kept_standard(org_type: str, f: dict) -> bool | None:
    """meets_standard from an organization's own kept figures (orgs.figures, PostgreSQL), None where they cannot
    tell. incomplete = 0 exactly when no member and no cadre is incomplete (an incomplete cadre who is also a
    member is an incomplete member); a branch's people lie between its members and its members + cadres."""
    incomplete = f["members_incomplete"] + f["cadres_incomplete"]
    if org_type == OrgType.BRANCH:  # R-CMP-3
        if incomplete or f["members"] >= MIN_BRANCH_PEOPLE:
            return not incomplete
        if f["members"] + f["cadres"] < MIN_BRANCH_PEOPLE:
            return False
        return None  # a cadre may be a member too: count them
    if f["members"]:  # no memberships outside branches; should one appear, count
        return None
    return meets_standard(org_type, {"cadres": f["cadres"], "incomplete": f["cadres_incomplete"]})


def _kept_figures(org_ids) -> dict[int, dict]:
    """Own figures of these organizations now: the folded row plus the deltas not folded yet (two indexed reads;
    the view orgs_orgcurrent sums every delta of every organization first)."""
    figures = {row["org_id"]: row for row in OrgStats.objects.filter(in_ids("org_id", org_ids)).values("org_id", *_KEPT)}
    for row in (OrgStatsDelta.objects.filter(in_ids("org_id", org_ids)).order_by().values("org_id")
                .annotate(**{f"d_{n}": Sum(n) for n in _KEPT})):
        f = figures[row["org_id"]]
        for n in _KEPT:
            f[n] += row[f"d_{n}"]
    return figures


def refresh_orgs(org_ids) -> None:
    org_ids = [pk for pk in set(org_ids) if pk]
    if not org_ids:
        return
    orgs = list(Organization.objects.filter(in_ids("pk", org_ids)).only("pk", "org_type", "meets_standard"))
    standard = {}
    if uses_figures():  # PostgreSQL: the triggers have counted this transaction's changes already
        kept = _kept_figures(org_ids)
        standard = {org.pk: kept_standard(org.org_type, kept[org.pk]) for org in orgs if org.pk in kept}
    unknown = [org.pk for org in orgs if standard.get(org.pk) is None]
    figures = org_figures(unknown) if unknown else {}
    changed = []
    for org in orgs:
        ok = standard.get(org.pk)
        if ok is None:
            ok = meets_standard(org.org_type, figures[org.pk])
        if ok != org.meets_standard:
            org.meets_standard = ok
            changed.append(org)
    Organization.objects.bulk_update(changed, ["meets_standard"])


def refresh_for_people(person_ids) -> None:
    """After a change to these people: their own flags, then every organization they count in."""
    person_ids = list(person_ids)
    refresh_people(person_ids)
    org_ids = set(Membership.objects.filter(person_id__in=person_ids, ended_at__isnull=True)
                  .values_list("branch_id", flat=True))
    org_ids |= set(CadrePost.objects.held().filter(person_id__in=person_ids)
                   .values_list("org_id", flat=True))
    refresh_orgs(org_ids)
