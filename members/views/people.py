"""People pages, the reading side (issue 3 item 7): member and cadre lists and the person page; the completion
overview and the segments page are in completion.py, entry and edit forms in editing.py.

Every admin page acts as the chosen organization (R-AUTH-1) and looks objects up inside its subtree, so an
outsider gets 404; services do the writing and check permission themselves (R-AUTH-2), a refusal is a 403 page.
"""
import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from access.acting import admin_required
from access.choices import CADRE_TITLES
from access.custody import may_change_person
from access.factors import has_second_factor
from access.permissions import may_change_in
from access.selectors import pending_posts
from audit.models import AuditEvent
from audit.services import record
from config.paging import KnownCount
from orgs.models import Organization
from orgs.regions import PROVINCES
from orgs.selectors import subtree

from .. import prompts
from ..choices import Verification
from ..completeness import missing_fields
from ..forms.list_filters import flag, int_param, list_filters
from ..idnumber import VISIBLE_PREFIX, normalize_id_number
from ..profile import OPTIONAL_FIELDS, REQUIRED_FIELDS
from ..selectors.cases import cases_of
from ..selectors.lists import cadre_list, member_count, member_list
from ..selectors.people import in_custody, people_in_subtree
from ..selectors.records import (
    branch_choices,
    memberships_of,
    posts_of,
)
from .preferences import reminder_choices

PAGE_SIZE = 50


# --- shared by the people pages -------------------------------------------------------------------------

def refusal_page(view):
    """A PermissionDenied from the view, its decorators or a service becomes the 403 page, with its message."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = str(exc) or _("您没有权限办理此项。")
            # The site's 403 page when there is one, else this app's own.
            return render(request, ["403.html", "people/forbidden.html"], {"exception": message, "message": message},
                          status=403)

    return wrapper


def deny(request, *, action: str, message: str, target=None, acting=None):
    """Refuse in the view (a page the user may not even open) and audit it, like the services do (R-AUTH-6)."""
    with transaction.atomic():
        record(actor=request.user, action=action, target=target, acting_org=acting,
               result=AuditEvent.Result.DENIED, reason=message)
    raise PermissionDenied(message)


def person_in_scope(acting: Organization, pk: int):
    """A member or cadre of the acting subtree (their branch or one of their posts' organization), or 404."""
    return get_object_or_404(people_in_subtree(acting), pk=pk)


def org_in_scope(acting: Organization, pk: int) -> Organization:
    return get_object_or_404(subtree(acting), pk=pk)






def querystring(request) -> str:
    """The current filters without the page number, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _searched_by_id_number(request) -> bool:
    """A search by more of an ID number than lists show (R-AUTH-6): no address this page makes carries it on."""
    return sum(ch.isdigit() for ch in normalize_id_number(request.GET.get("q", ""))) > VISIBLE_PREFIX


def back_address(request) -> str:
    """This list page as a row's buttons send it back (`next`): filters and page kept, not a whole ID number."""
    params = request.GET.copy()
    if _searched_by_id_number(request):
        params.pop("q")
    query = params.urlencode()
    return request.path + ("?" + query if query else "")


def export_query(request) -> str | None:
    """The list's filters for its export button (the export view reads the same ones), None when the list is a
    search by ID number (one person: the export would put the number in an address, R-AUTH-6)."""
    return None if _searched_by_id_number(request) else querystring(request)


def page_of(request, rows, *, count: int | None = None):
    paginator = Paginator(rows, PAGE_SIZE) if count is None else KnownCount(rows, PAGE_SIZE, count=count)
    return paginator.get_page(request.GET.get("page"))




# --- lists ----------------------------------------------------------------------------------------------

@refusal_page
@admin_required
def members(request, acting):
    """The member list (R-CMP-4: branch admins see who is incomplete here)."""
    filters = list_filters(request)
    branch_id = int_param(request.GET.get("branch"))
    rows = member_list(acting, branch_id=branch_id, **filters)
    page = page_of(request, rows, count=member_count(acting, branch_id=branch_id, **filters))
    _mark_custody(request, page)
    return render(request, "people/member_list.html", {
        "page": page, "filters": filters, "branch_id": branch_id, "branches": branch_choices(acting),
        "filtered": any(filters.values()) or bool(branch_id), "qs": querystring(request), "back": back_address(request),
        "export_qs": export_query(request),
        "unverified_choices": _unverified_choices(),
    })


@refusal_page
@admin_required
def cadres(request, acting):
    """The cadre list (R-CMP-4: admins of other types see who is incomplete here). A branch admin sees the
    branch's own cadres; others see the non-branch organizations' cadres unless they ask for branches too."""
    filters = list_filters(request)
    title = request.GET.get("title", "")
    title = title if title in CADRE_TITLES else ""
    with_branches = acting.is_branch or flag(request, "branches")
    rows = cadre_list(acting, query=filters["query"], incomplete=filters["incomplete"],
                      unverified=filters["unverified"], title=title, include_branches=with_branches)
    if filters["dev_issue"]:
        rows = rows.exclude(person__dev_number_issue="")
    page = page_of(request, rows)
    _mark_custody(request, page)
    for post in page:
        post.may_end = may_change_in(request.user, post.org)  # admin posts are cached on the user: no query
    return render(request, "people/cadre_list.html", {
        "page": page, "filters": filters, "title": title, "titles": CADRE_TITLES, "with_branches": with_branches,
        "filtered": any(filters.values()) or bool(title), "qs": querystring(request), "back": back_address(request),
        "export_qs": export_query(request),
        "unverified_choices": _unverified_choices(),
    })


def _mark_custody(request, page) -> None:
    """Each row's 编辑 and 生成重置码 (issue 15, the FAQ's key icon in both lists): shown where the admin has custody
    of the person (R-AUTH-7), for the whole page in two queries."""
    hold = in_custody(request.user, {row.person_id for row in page})
    for row in page:
        row.may_change = row.person_id in hold


def _unverified_choices():
    return [(Verification.PENDING, Verification.PENDING.label), (Verification.FAILED, Verification.FAILED.label)]


# --- the person page ------------------------------------------------------------------------------------

DEV_ISSUE_TEXT = prompts.DEV_ISSUE_TEXT  # one text a case: the person page and the sign-in dialog


@refusal_page
@login_required
def me(request):
    """R-AUTH-5: a member sees their own record."""
    return _person_page(request, request.user, acting=None)


@refusal_page
@admin_required
def detail(request, acting, pk):
    return _person_page(request, person_in_scope(acting, pk), acting=acting)


def _person_page(request, person, *, acting):
    user = request.user
    is_self = person.pk == user.pk
    may_change = not is_self and acting is not None and may_change_person(user, person)
    history = list(memberships_of(person))
    branch = next((m.branch for m in history if m.ended_at is None), None)
    missing = missing_fields(person, branch)
    # R-AUTH-6: the whole ID number to the person, and to an admin allowed to change them on an audited request.
    show_whole = is_self
    if may_change and request.GET.get("show_id") == "1":
        record(actor=user, action="person.view_id_number", target=person, acting_org=acting)
        show_whole = True
    response = render(request, "people/person.html", {
        "person": person, "is_self": is_self, "may_change": may_change, "show_whole": show_whole,
        "id_number": person.id_number if show_whole else person.masked_id_number,
        "branch": branch, "history": history, "posts": list(posts_of(person)),
        "profile": _profile_rows(person, missing), "missing": missing,
        "dev_issue_text": DEV_ISSUE_TEXT.get(person.dev_number_issue, ""),
        "pending_posts": list(pending_posts(person)) if is_self else [],  # R-ENT-9
        "has_factor": may_change and has_second_factor(person),  # R-ACC-5: a custodian may reset it
        "reminder_kinds": reminder_choices(person) if is_self else [],  # issue 14: the person's own
        "cases": cases_of(person) if (is_self or may_change) else [],  # R-VER-5: where each stands
    })
    if show_whole:
        response["Cache-Control"] = "no-store"
    return response


def _profile_rows(person, missing) -> list[dict]:
    missing_names = {name for name, _label in missing}
    rows = []
    for required, fields in ((True, REQUIRED_FIELDS), (False, OPTIONAL_FIELDS)):
        for name, label in fields:
            value = getattr(person, name)
            if hasattr(person, f"get_{name}_display") and value:
                value = getattr(person, f"get_{name}_display")()
            elif name == "province" and value:
                value = _(PROVINCES.get(value, value))
            rows.append({"name": name, "label": label, "value": value, "required": required,
                         "missing": name in missing_names})
    return rows
