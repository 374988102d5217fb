"""Writes to the organization tree (R-ORG). Each function is one transaction and writes an audit event."""
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import CadrePost
from access.permissions import admin_org_ids, ensure_may_change_in, forget_admin_orgs
from audit.services import record, refusals_audited

from .figures import OrgStats
from .locking import hold, serialize_moves
from .models import ALLOWED_CHILDREN, Organization, OrgType, path_segment
from .naming import clean_full_name, is_league_name, normalize_full_name
from .regions import PROVINCES
from .selectors import holdings, is_within, uses_figures


def _check_nesting(org_type: str, parent: Organization | None) -> None:
    # R-ORG-1 and the tree's root: only a leading organ stands at the top.
    if parent is None:
        if org_type != OrgType.LEADING:
            raise ValidationError({"parent": ValidationError(_("只有团的领导机关可以没有上级组织。"),
                                                             code="org_type_not_allowed")})
        return
    if org_type not in ALLOWED_CHILDREN[OrgType(parent.org_type)]:
        raise ValidationError({"org_type": ValidationError(
            _("%(parent)s（%(ptype)s）下不能设立%(type)s。") % {
                "parent": parent.full_name, "ptype": OrgType(parent.org_type).label, "type": OrgType(org_type).label},
            code="org_type_not_allowed")})


def _check_full_name(full_name: str, *, exclude_pk=None) -> str:
    if not full_name:
        raise ValidationError({"full_name": ValidationError(_("请填写组织全称。"), code="required")})
    if not is_league_name(full_name):  # R-ORG-4
        raise ValidationError({"full_name": ValidationError(
            _("“%(name)s”不是团组织（青工委、青年工作委员会、青年部、群团部、群工部等不能作为团组织创建）。")
            % {"name": full_name}, code="not_league_org")})
    key = normalize_full_name(full_name)
    taken = Organization.objects.filter(name_key=key, is_active=True)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():  # R-ORG-5
        raise ValidationError({"full_name": ValidationError(
            _("已有名为“%(name)s”的团组织，全称不能重复。") % {"name": full_name}, code="full_name_taken")})
    return key


@refusals_audited("org.create")
def create_org(*, actor, full_name: str, org_type: str, parent: Organization | None, name: str = "",
               region_code: str = "") -> Organization:
    if org_type not in OrgType.values:
        raise ValidationError({"org_type": ValidationError(_("请选择组织类型。"), code="org_type_not_allowed")})
    if parent is None and actor is not None:
        raise ValidationError({"parent": ValidationError(_("请选择上级组织。"), code="org_type_not_allowed")})
    if parent is not None:
        ensure_may_change_in(actor, parent)
    full_name = clean_full_name(full_name)
    _check_nesting(org_type, parent)
    key = _check_full_name(full_name)
    region_code = (region_code or "").strip() or (parent.region_code if parent else "")
    if region_code not in PROVINCES:  # R-ORG-6
        raise ValidationError({"region_code": ValidationError(_("请选择所在省份（GB/T 2260 代码）。"),
                                                              code="region_invalid")})
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": ValidationError(_("上级组织已撤销。"), code="target_not_active")})
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                full_name=full_name, name_key=key, name=clean_full_name(name), org_type=org_type,
                parent=parent, region_code=region_code, depth=(parent.depth + 1) if parent else 0,
            )
            org.path = (parent.path if parent else "") + path_segment(org.pk)
            org.save(update_fields=["path"])
            record(actor=actor, action="org.create", target=org, acting_org=parent)
    except IntegrityError:  # a concurrent create took the name between our check and insert
        raise ValidationError({"full_name": ValidationError(
            _("已有名为“%(name)s”的团组织，全称不能重复。") % {"name": full_name}, code="full_name_taken")}) from None
    return org


def ensure_holds(actor, org: Organization, *, strictly: bool = False) -> None:
    """Issue 15: the upkeep of an organization (rename, term, dissolve) is for the admins of an organization whose
    subtree holds it — org's own (unless `strictly`: dissolving is done from above) or any above it."""
    if actor is None:
        return
    ids = org.ancestor_ids()
    if strictly:
        ids = ids[:-1]
    if not admin_org_ids(actor) & set(ids):
        raise PermissionDenied(_("只有管理该组织的上级组织的管理员可以办理此项。") if strictly
                               else _("只有本组织或其上级组织的管理员可以办理此项。"))


def _ensure_may_move(actor, org: Organization, new_parent: Organization) -> None:
    if actor is None:
        return
    # The actor must administer an organization that holds both the old and the new place.
    admin_ids = admin_org_ids(actor)
    old_ids = set(org.ancestor_ids()[:-1])
    new_ids = set(new_parent.ancestor_ids())
    if not (admin_ids & old_ids & new_ids):
        raise PermissionDenied(_("只有同时管理原上级和新上级的组织的管理员可以调整隶属关系。"))


def path_copies() -> list[tuple[type, str]]:
    """Every model that keeps a copy of an organization's path, and the foreign key it copies: each declares
    `ORG_PATH_FROM` (the tree sits below the apps that keep copies; it finds them without importing them)."""
    return [(model, model.ORG_PATH_FROM) for model in apps.get_models() if getattr(model, "ORG_PATH_FROM", None)]


def _figures_deferred(sql: str) -> None:
    if uses_figures():
        with connection.cursor() as cur:
            cur.execute(sql)


@refusals_audited("org.move")
def move_org(*, actor, org: Organization, new_parent: Organization, acting_org: Organization | None = None
             ) -> Organization:
    """Put org (with its whole subtree) under another parent; R-ORG-1 nesting is checked again. One move at a time;
    the new parent held and every moved organization locked before any path is read or copied: an entry, transfer or
    merge into the subtree finishes first (and its copy of the path is rewritten) or waits and copies the new one
    (orgs/locking.py)."""
    _ensure_may_move(actor, org, new_parent)
    with transaction.atomic():
        serialize_moves()
        org = Organization.objects.select_for_update(no_key=True).get(pk=org.pk)
        new_parent = hold(Organization.objects.get(pk=new_parent.pk))
        list(Organization.objects.select_for_update(no_key=True).filter(path__startswith=org.path).order_by("pk")
             .values_list("pk", flat=True))
        if org.parent_id is None:
            raise ValidationError(_("不能移动根组织。"), code="org_type_not_allowed")
        if is_within(new_parent, org):
            raise ValidationError({"parent": ValidationError(_("不能把组织移到它自己或它的下级组织之下。"),
                                                             code="org_type_not_allowed")})
        if not new_parent.is_active:
            raise ValidationError({"parent": ValidationError(_("上级组织已撤销。"), code="target_not_active")})
        _check_nesting(org.org_type, new_parent)
        old_parent_id, old_path = org.parent_id, org.path
        new_path = new_parent.path + path_segment(org.pk)
        shift = new_parent.depth + 1 - org.depth
        cut = len(old_path) + 1
        # Every stored copy of a path follows the move (segments are listed by it, steps counted by it).
        # The rows are found through their foreign keys' indexes (ended memberships included), not by
        # LIKE on the copies, whose indexes cover current rows only (docs/decisions.md: bench/tree_bench.py).
        moved = Organization.objects.filter(path__startswith=old_path).values("pk")
        # The figures' triggers note whom to refresh and one flush refreshes each person and transfer once, set-based:
        # per organization, a 3,000-organization move refreshed their people 3,000 times (docs/performance.md).
        _figures_deferred("SELECT tuanji_stats_defer()")
        for model, fk in path_copies():
            model.objects.filter(**{f"{fk}__in": moved}).update(
                org_path=Concat(Value(new_path), Substr("org_path", cut)))
        Organization.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", cut)), depth=F("depth") + shift)
        Organization.objects.filter(pk=org.pk).update(parent=new_parent)
        _figures_deferred("SELECT tuanji_stats_flush()")
        org.refresh_from_db()
        record(actor=actor, action="org.move", target=org, acting_org=acting_org or new_parent,
               old_parent=old_parent_id, new_parent=new_parent.pk)
    return org


def dissolve_refusal(held: dict[str, int]) -> str | None:
    """What keeps an organization from being dissolved, in words, or None: its active sub-organizations, current
    members and open transfers (holdings). Its cadres' posts end with it."""
    parts, todo = [], []
    if held["children"]:
        parts.append(_("下级组织 %(n)d 个") % {"n": held["children"]})
        todo.append(_("撤销或移走下级组织"))
    if held["members"]:
        parts.append(_("团员 %(n)d 名") % {"n": held["members"]})
        todo.append(_("把团员转出"))
    if held["transfers"]:
        parts.append(_("办理中的组织关系转接 %(n)d 件") % {"n": held["transfers"]})
        todo.append(_("办结或撤回这些转接"))
    if not parts:
        return None
    return _("该组织还有%(what)s，不能撤销。请先%(todo)s。") % {"what": "、".join(parts), "todo": "、".join(todo)}


@refusals_audited("org.dissolve")
def dissolve_org(*, actor, org: Organization, acting_org: Organization | None = None) -> Organization:
    """Dissolve (撤销) an organization: refused while it has sub-organizations, members or open transfers, with the
    list of them (issue 15); its cadres' posts end with it."""
    if org.parent_id is None:
        raise ValidationError(_("不能撤销根组织。"), code="org_not_empty")
    ensure_holds(actor, org, strictly=True)
    with transaction.atomic():
        org = Organization.objects.select_for_update(no_key=True).get(pk=org.pk)
        if not org.is_active:
            return org
        held = holdings(org)  # read under the lock: a pre-check on the page is a hint only (STYLE 10)
        refusal = dissolve_refusal(held)
        if refusal:
            raise ValidationError(refusal, code="org_not_empty", params=held)
        now = timezone.now()
        CadrePost.objects.filter(org=org, ended_at__isnull=True).update(ended_at=now)
        org.is_active, org.dissolved_at = False, now
        org.save(update_fields=["is_active", "dissolved_at"])
        record(actor=actor, action="org.dissolve", target=org, acting_org=acting_org or org.parent,
               cadres_ended=held["cadres"])
    forget_admin_orgs()
    return org


# --- the figures kept per organization (orgs/figures.py) -------------------------------------------------------

def compact_figures() -> int:
    """Fold the appended changes into each organization's row; rows another transaction holds wait for the next
    run (SKIP LOCKED), so this never waits and never blocks a decision. Returns the rows folded."""
    if not uses_figures():
        return 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT tuanji_stats_compact()")
        return cur.fetchone()[0]


def rebuild_figures() -> None:
    """Count everything again from the register, in one transaction (after a bulk load with triggers off)."""
    if uses_figures():
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("LOCK TABLE orgs_orgstats, orgs_orgstatsdelta, orgs_personstatsmark IN EXCLUSIVE MODE")
            cur.execute("SELECT tuanji_stats_rebuild()")
            cur.execute("ANALYZE orgs_orgstats")  # the planner's figures of the table it just filled


def figures_differing() -> dict[int, dict]:
    """{org id: {column: (kept, counted)}} for every organization whose figures — its own, what it adds to the
    counts of organizations, its subtree's totals — differ from a count from scratch, once every appended change
    is folded. Both run in savepoints that are rolled back: nothing changes."""
    if not uses_figures():
        return {}
    fields = [f.attname for f in OrgStats._meta.concrete_fields if f.attname != "org_id"]

    def read(step: str) -> dict:
        sid = transaction.savepoint()
        with connection.cursor() as cur:
            cur.execute(f"SELECT {step}()")
        rows = {row[0]: row[1:] for row in OrgStats.objects.values_list("org_id", *fields)}
        transaction.savepoint_rollback(sid)
        return rows

    with transaction.atomic():
        kept, counted = read("tuanji_stats_compact"), read("tuanji_stats_rebuild")
    missing = (None,) * len(fields)
    out = {}
    for org_id in kept.keys() | counted.keys():
        a, b = kept.get(org_id, missing), counted.get(org_id, missing)
        if a != b:
            out[org_id] = {f: (x, y) for f, x, y in zip(fields, a, b, strict=True) if x != y}
    return out
