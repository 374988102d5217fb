"""What every transfer page shares: the double-submit token, showing refusals, attaching a service's
ValidationError to the form fields it names."""
import functools
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from config.forms import search_text

from ..models import Reason
from ..selectors import target_candidates, unemployed_candidates

ISSUED = "transfer_tokens"
USED = "transfer_tokens_used"
KEEP_ISSUED = 50   # pages rendered and not yet submitted
KEEP_USED = 300


def issue_token(request) -> str:
    """A random token for the forms of one rendered page, remembered in the session."""
    token = secrets.token_urlsafe(16)
    request.session[ISSUED] = (request.session.get(ISSUED, []) + [token])[-KEEP_ISSUED:]
    return token


def consume_token(request, key: str) -> bool:
    """True the first time this page's token is posted for `key` (e.g. "approve:12"); False for a second
    submit of the same form, or for a token this session never issued. Concurrent duplicates that race
    past the session are stopped by the services (one pending transfer per member, step_not_pending)."""
    token = request.POST.get("idem", "")
    used = request.session.get(USED, [])
    mark = f"{token}:{key}"
    if not token or token not in request.session.get(ISSUED, []) or mark in used:
        return False
    request.session[USED] = (used + [mark])[-KEEP_USED:]
    return True


def refuse_double_submit(request, to: str, *args):
    messages.error(request, _("请勿重复提交：这张表单已经提交过（或页面已过期），本次没有做任何处理。请刷新页面查看结果。"))
    return redirect(to, *args)


def shows_refusals(view):
    """PermissionDenied, from a decorator, a scoped check or a service, becomes a 403 page that says why."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            reason = str(exc) or _("您没有权限办理此项。")
            return render(request, "transfers/denied.html", {"reason": reason}, status=403)

    return wrapper


def add_service_errors(form, exc: ValidationError) -> None:
    """Each message next to the field the rule names, or at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def next_or(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def target_choices(form):
    """The picked target (checked) and the results shown under the search box after a POST, so that
    without JavaScript a typed name still offers the organizations it matches."""

    if form is None or not form.is_bound or not hasattr(form, "cleaned_data"):
        return None, []
    picked = form.cleaned_data.get("target")
    if picked is not None:
        return picked, [picked]
    query = search_text(form.data, "to_org_name", max_length=200)  # STYLE 11
    if form.data.get("reason") == Reason.UNEMPLOYED:
        groups = unemployed_groups(query)
        return None, Grouped([o for _label, orgs in groups for o in orgs], groups=groups)
    return None, list(target_candidates(query))


class Grouped(list):
    """Candidates shown in groups (transfers/_org_results.html reads `groups`), a plain list of them otherwise."""

    def __init__(self, items, *, groups):
        super().__init__(items)
        self.groups = groups


def unemployed_groups(query: str) -> list[tuple[str, list]]:
    """Issue 18 / R-TR-13: for a graduate without a job, the two kinds of target the FAQ names, each under its
    heading: the township or street committee of the home registration, and the talent exchange centre."""
    found = unemployed_candidates(query)
    return [(_("户籍所在地的乡镇、街道团（工）委"), found["township"]), (_("人才交流中心的团组织"), found["talent"])]
