"""The upkeep of an organization (issue 15): rename (改名), move under another parent (调整隶属), dissolve (撤销)
and the term's end (换届). Each page shows what will happen before the button; the rules, the permission and the
transaction are the services' (orgs.upkeep, orgs.services). Organizations are looked up in the acting
organization's subtree: outsiders get 404."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from access.acting import admin_required
from audit.services import refused
from config.forms import search_text
from orgs.models import Organization
from orgs.selectors import TERM_NOTICE_DAYS, holdings, move_targets, subtree, subtree_figures, terms_due
from orgs.services import dissolve_org, dissolve_refusal, move_org
from orgs.upkeep import rename_org, set_term_end

from ..forms.upkeep import RenameForm, TermForm


def _in_scope(acting, pk) -> Organization:
    return get_object_or_404(subtree(acting), pk=pk)


def _below(request, acting, pk, action: str) -> Organization:
    """An organization strictly below the acting one: moving and dissolving are done from above."""
    org = _in_scope(acting, pk)
    if org.pk == acting.pk:
        raise refused(request, action=action, acting_org=acting, target=org,
                      message=_("本组织的隶属关系调整和撤销，须由上级组织的管理员办理。"))
    return org


@admin_required
def rename(request, acting, pk):
    org = _in_scope(acting, pk)
    form = RenameForm(request.POST or None, initial={"full_name": org.full_name, "name": org.name})
    if request.method == "POST" and form.is_valid():
        try:
            rename_org(actor=request.user, org=org, acting_org=acting, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已改名为“%(name)s”，原名称已记入曾用名。") % {"name": form.cleaned_data["full_name"]})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/rename.html", {
        "org": org, "form": form, "figures": subtree_figures(org),
        "former": org.former_names.order_by("-used_until"),
    })


@admin_required
def move(request, acting, pk):
    org = _below(request, acting, pk, "org.move")
    query = search_text(request.GET)  # STYLE 11
    target = error = None
    raw = request.POST.get("to") if request.method == "POST" else request.GET.get("to")
    if raw:
        # ASCII digits only, and few: "²".isdigit() is True but int() refuses it, as it does 5,000 digits
        target = get_object_or_404(subtree(acting), pk=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19
                                   else 0)
    if request.method == "POST" and target is None:
        error = _("请选择新的上级组织。")
    elif request.method == "POST":
        try:
            move_org(actor=request.user, org=org, new_parent=target, acting_org=acting)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("已把“%(org)s”调整到“%(parent)s”之下。") % {
                "org": org.full_name, "parent": target.full_name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/move.html", {
        "org": org, "query": query, "target": target, "error": error,
        "targets": None if target else move_targets(org, acting, query),
        "figures": subtree_figures(org) if target else None,
    })


@admin_required
def dissolve(request, acting, pk):
    org = _below(request, acting, pk, "org.dissolve")
    error = None
    if request.method == "POST":
        try:
            dissolve_org(actor=request.user, org=org, acting_org=acting)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("已撤销“%(org)s”。") % {"org": org.full_name})
            return redirect("orgs:detail", pk=org.parent_id)
    held = holdings(org)
    return render(request, "orgs/dissolve.html", {
        "org": org, "held": held, "refusal": error or dissolve_refusal(held),
    })


@admin_required
def term(request, acting, pk):
    org = _in_scope(acting, pk)
    form = TermForm(request.POST or None, initial={"term_ends_on": org.term_ends_on})
    if request.method == "POST" and form.is_valid():
        try:
            set_term_end(actor=request.user, org=org, term_ends_on=form.cleaned_data["term_ends_on"],
                         acting_org=acting)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已保存届满日期。") if form.cleaned_data["term_ends_on"] else _("已清除届满日期。"))
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/term.html", {"org": org, "form": form})


@admin_required
def terms(request, acting):
    today = timezone.localdate()
    page = Paginator(terms_due(acting, today), 50).get_page(request.GET.get("page"))
    return render(request, "orgs/terms_due.html", {"page": page, "today": today, "days": TERM_NOTICE_DAYS})
