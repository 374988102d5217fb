"""The audit trail, the weekly study roster and the graduates as export kinds (issue 14), registered with members'
exports from ReportsConfig.ready: a short list is built in the request, a long one by the export task, with the
same cells. Each kind's rows are its page's selector under its filters, scoped by the job's acting organization
(the audit's `sees_everything` included), never wider."""
import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.exporting.kinds import ExportKind, register
from members.models import Person
from orgs.models import OrgType
from orgs.selectors import subtree
from transfers.templatetags.transfer_tags import exact

from .audit_views import AUDIT_FILTERS, EXPORT_LIMIT
from .audit_views import COLUMNS as AUDIT_COLUMNS
from .graduation import filter_state, graduates
from .roster import branch_counts, current_week, parse_week, roster_rows
from .roster_views import SUMMARY_COLUMNS, _columns, describe
from .season_views import GRADUATE_COLUMNS
from .selectors.audit import audit_events


def audit_rows(org, filters: dict) -> QuerySet:
    """filters: the audit page's (reports/audit_forms.py); newest first, at most EXPORT_LIMIT."""
    found = {k: dt.date.fromisoformat(v) if k in ("since", "until") else v
             for k, v in filters.items() if k in AUDIT_FILTERS and v}
    return audit_events(org, **found)[:EXPORT_LIMIT]


def _audit_title(org, _filters) -> str:
    return _("审计记录 · %(org)s · 导出于 %(at)s（按时间倒序，最多 %(n)d 条；身份证号仅显示前6位和末位）") % {
        "org": org.full_name, "at": exact(timezone.now()), "n": EXPORT_LIMIT}


def _week(filters: dict):
    return parse_week(filters.get("week", "")) or current_week()


def roster_names(org, filters: dict) -> QuerySet:
    """filters: week (ISO, `2026-W11`)."""
    return roster_rows(acting_org=org, week=_week(filters))


def _roster_title(org, filters) -> str:
    info = describe(_week(filters))
    return _("青年大学习名单 · %(org)s · %(w)s · 以%(c)s（北京时间）为准（身份证号仅显示前6位和末位）") % {
        "org": org.full_name, "w": info["label"], "c": info["cutoff_label"]}


def _roster_summary(org, filters) -> list:
    return [(_("各团支部人数"), SUMMARY_COLUMNS, branch_counts(acting_org=org, week=_week(filters)).iterator())]


def _graduating_branch(org, filters: dict):
    """The filters' graduating branch, looked up again inside the acting subtree; False when it is not there."""
    if not filters.get("branch_id"):
        return None
    return subtree(org).filter(org_type=OrgType.BRANCH, pk=filters["branch_id"]).first() or False


def graduate_rows(org, filters: dict) -> QuerySet:
    """filters: year, branch_id, state, query (reports/season_views.py `_selection`)."""
    branch = _graduating_branch(org, filters)
    if branch is False:   # not (or no longer) in the subtree: nothing, never the whole subtree
        return Person.objects.none()
    qs = graduates(acting_org=org, year=filters["year"], branch=branch, name=filters.get("query", ""))
    return filter_state(qs, filters.get("state", ""))


def _graduates_title(org, filters) -> str:
    branch = _graduating_branch(org, filters)
    return _("%(y)d届毕业生组织关系转接 · %(org)s · 导出于 %(at)s（身份证号仅显示前6位和末位）") % {
        "y": filters["year"], "org": (branch or org).full_name, "at": exact(timezone.now())}


def register_report_exports() -> None:
    register(ExportKind("audit", gettext_lazy("审计记录"), audit_rows, AUDIT_COLUMNS, titler=_audit_title))
    register(ExportKind("roster", gettext_lazy("青年大学习名单"), roster_names, lambda f: _columns(_week(f)),
                        titler=_roster_title, sheet=gettext_lazy("名单"), preface=_roster_summary))
    register(ExportKind("graduates", gettext_lazy("毕业生"), graduate_rows, GRADUATE_COLUMNS,
                        titler=_graduates_title))
