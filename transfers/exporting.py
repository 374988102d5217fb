"""The transfer history as an export kind (issue 14): the history page's rows under its filters (status, reason,
name), registered with members' exports from TransfersConfig.ready, so a long history is built by the export task
and a short one in the request, with the same cells."""
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.exporting.kinds import ExportKind, register

from .selectors import history


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


COLUMNS = [
    (_("姓名"), 10, lambda r: r.member.name),
    (_("身份证号"), 22, lambda r: r.member.masked_id_number),  # R-AUTH-6: masked wherever listed
    (_("原团支部"), 34, lambda r: r.from_branch.full_name),
    (_("转入组织"), 34, lambda r: r.to_org.full_name),
    (_("最终所在团支部"), 34, lambda r: r.to_branch.full_name if r.to_branch_id else ""),
    (_("转接原因"), 22, lambda r: r.get_reason_display()),
    (_("说明"), 30, lambda r: r.note),
    (_("办理方式"), 10, lambda r: r.get_kind_display()),
    (_("状态"), 8, lambda r: r.get_status_display()),
    (_("申请时间"), 18, lambda r: _local(r.created_at)),
    (_("办结时间"), 18, lambda r: _local(r.finished_at)),
]


def history_rows(org, filters: dict) -> QuerySet:
    """filters: status, reason, query (transfers/views/history.py `_filters`)."""
    return history(acting_org=org, status=filters.get("status", ""), reason=filters.get("reason", ""),
                   query=filters.get("query", ""))


def register_history_export() -> None:
    register(ExportKind("transfers", _("组织关系转接记录"), history_rows, COLUMNS, titled=False))
