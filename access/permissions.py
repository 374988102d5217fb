"""Who may do what in organizations (R-AUTH-1..4): admin rights are confirmed admin posts (R-ORG-8, R-ENT-9).
Organizations are taken as they come (their pk, parent_id and materialized path): this app sits below the tree."""
import functools
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import CadrePost

# Admin posts change while an actor object lives (a transfer completes and ends a post, R-TR-12; a post is
# ended or confirmed): caching them on the person object kept old rights for as long as it lived. They are
# cached per request instead (PermissionScopeMiddleware), and read fresh everywhere else (commands, tasks).
_scope: ContextVar[dict | None] = ContextVar("admin_org_scope", default=None)
# R-ACC-5: within a request, the person whose session has shown no second factor. Their admin posts grant nothing
# there, whatever page calls whatever service: `admin_required` sends them to verify first, and this catches a
# page that forgot to (PermissionScopeMiddleware sets it; commands and tasks run without it).
_unverified: ContextVar = ContextVar("unverified_person", default=None)


@contextmanager
def permission_scope(*, unverified=None):
    """One request's (or one task's) cache of admin posts; gone when it ends. `unverified()`, asked at most once,
    gives the pk of the request's person when their session is not verified (R-ACC-5), else None."""
    token = _scope.set({})
    asked = _unverified.set(functools.cache(unverified) if unverified is not None else None)
    try:
        yield
    finally:
        _unverified.reset(asked)
        _scope.reset(token)


def admin_org_ids(actor) -> set[int]:
    """The organizations where actor holds a current, confirmed admin post (R-ORG-8, R-ENT-9)."""
    if actor is None or not getattr(actor, "pk", None):
        return set()
    unverified = _unverified.get()
    if unverified is not None and unverified() == actor.pk:
        return set()  # R-ACC-5: no second factor shown in this session, no admin rights in it
    cache = _scope.get()
    if cache is not None and actor.pk in cache:
        return cache[actor.pk]
    ids = set(CadrePost.objects.held().filter(person=actor, is_admin=True, org__is_active=True)
              .values_list("org_id", flat=True))
    if cache is not None:
        cache[actor.pk] = ids
    return ids


def remember_admin_orgs(actor, org_ids: set[int]) -> None:
    """Seed the request's cache with posts already read (access/acting.py reads them for the switcher)."""
    cache = _scope.get()
    if cache is not None and actor is not None and actor.pk:
        cache[actor.pk] = set(org_ids)


def forget_admin_orgs(actor=None) -> None:
    """Call after posts change inside a request: the next check reads them again."""
    cache = _scope.get()
    if cache is not None:
        cache.clear()


def may_change_in(actor, org) -> bool:
    """R-AUTH-2: the admins of org and of its direct superior."""
    return bool({org.pk, org.parent_id} & admin_org_ids(actor))


def ensure_may_change_in(actor, org) -> None:
    if actor is not None and not may_change_in(actor, org):
        raise PermissionDenied(_("只有本组织或其直接上级的管理员可以办理此项。"))


def may_act_as(actor, org) -> bool:
    return org.pk in admin_org_ids(actor)


def ensure_acting_as(actor, acting_org) -> None:
    """R-AUTH-1: an admin acts as one organization where they hold an admin post."""
    if actor is not None and not may_act_as(actor, acting_org):
        raise PermissionDenied(_("您不是该组织的管理员。"))


def ensure_within(org, acting_org) -> None:
    # R-AUTH-4: a prefix test on the materialized path, as orgs.selectors.is_within (no query).
    if not (acting_org.path and org.path.startswith(acting_org.path)):
        raise PermissionDenied(_("该组织不在您管理的范围内。"))
