"""R-ENT-5 / issue 18: the prompt on sign-in about development numbers that break R-ENT-4, as the FAQ shows it: a
dialog on the pages after signing in, on every sign-in until the number is fixed, closed for the rest of the session
only.

At sign-in (`user_logged_in`) one grouped query counts, by case, the flagged current members of the organizations
where the person holds an admin post and of the organizations directly under them (R-ENT-5: who may edit the
number); the counts and a mark go into the session. The person's own case is read from their row on each page (no
query). Pages read the session only: no query a page (tests/members/test_dev_prompt.py). Closing the dialog removes
the mark (`dismiss`); the next sign-in asks again."""
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

from orgs.models import Organization

from .choices import DevNumberIssue
from .models import CadrePost, Membership

SESSION_KEY = "dev_number_prompt"

# What is wrong, and how to fix it: the person page and the dialog say the same.
DEV_ISSUE_TEXT = {
    DevNumberIssue.MISSING: gettext_lazy("2017年及以后入团（新疆2016年及以后）的团员须有发展团员编号，目前档案中没有。"),
    DevNumberIssue.FORMAT: gettext_lazy("发展团员编号应为12位数字，档案中的编号格式不对（位数不对，或含字母、空格）。"),
    DevNumberIssue.YEAR: gettext_lazy("发展团员编号的前4位应为入团年份，档案中的编号与入团时间不一致。"),
    DevNumberIssue.SEGMENT: gettext_lazy("发展团员编号不在本组织及上级组织分配的号段内。"),
    DevNumberIssue.TAKEN: gettext_lazy("档案中的发展团员编号与他人重复。请联系上级组织查找编号持有人。"),
}
DEV_ISSUE_FIX = {
    DevNumberIssue.MISSING: gettext_lazy("请向入团时所在的团组织问清编号后，在“我的信息”中填写。"),
    DevNumberIssue.FORMAT: gettext_lazy("请对照团员证或入团志愿书，在“我的信息”中改为12位数字。"),
    DevNumberIssue.YEAR: gettext_lazy("请核对入团时间和编号：编号前4位应与入团年份相同，在“我的信息”中改正其中错的一项。"),
    DevNumberIssue.SEGMENT: gettext_lazy("请向所在团组织核对编号；编号确有错误的，在“我的信息”中改正，或请上级组织调整号段。"),
    DevNumberIssue.TAKEN: gettext_lazy("请联系上级组织查找编号持有人，核对后由编号错误的一方改正。"),
}


def admin_counts(person) -> dict[str, int]:
    """Flagged current members, by case, of the organizations where `person` holds an admin post and of those
    directly under them. One query (the admin posts are a sub-select)."""
    admin_orgs = CadrePost.objects.held().filter(person=person, is_admin=True, org__is_active=True).values("org_id")
    # The branches first (the posts' organizations and their children, by pk and parent), then their members: the
    # count reads the members of those branches (membership_branch), never every flagged person in the country.
    branches = Organization.objects.filter(Q(pk__in=admin_orgs) | Q(parent_id__in=admin_orgs)).values("pk")
    rows = (Membership.objects.filter(branch_id__in=branches, ended_at__isnull=True, person__dev_number_issue__gt="")
            .order_by().values_list("person__dev_number_issue").annotate(n=Count("pk")))
    return {issue: n for issue, n in rows}


def on_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: mark the session when there is something to say (the person's own number, or their
    organizations' members'); a session with nothing to say costs no page anything."""
    if request is None or not hasattr(request, "session") or not hasattr(user, "dev_number_issue"):
        return
    counts = admin_counts(user)
    if user.dev_number_issue or counts:
        request.session[SESSION_KEY] = {"admin": counts}
    else:
        request.session.pop(SESSION_KEY, None)


def dismiss(request) -> None:
    request.session.pop(SESSION_KEY, None)


def prompt(request, *, acting_org=None) -> dict | None:
    """What the dialog shows on this page, or None. The person's own case is read live (fixed: gone at once); the
    admin counts as they were at sign-in, shown to a session that acts as an organization (R-ACC-5)."""
    mark = request.session.get(SESSION_KEY)
    if mark is None:
        return None
    user = request.user
    own = user.dev_number_issue
    admin = [(DevNumberIssue(issue).label, n) for issue, n in sorted(mark.get("admin", {}).items())
             if issue in DevNumberIssue.values] if acting_org is not None else []
    if not own and not admin:
        return None
    return {"own": own, "own_label": DevNumberIssue(own).label if own else "",
            "own_text": DEV_ISSUE_TEXT.get(own, ""), "own_fix": DEV_ISSUE_FIX.get(own, ""),
            "admin": admin, "admin_total": sum(n for _label, n in admin)}
