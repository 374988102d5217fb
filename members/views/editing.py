"""People pages, the writing side (issue 3 item 7): entering members and cadres, editing a profile,
correcting identity, ending a cadre post. Each calls one service (members/services); the rules and the
permission checks are the services', whose messages land next to their fields."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import admin_required
from access.custody import may_change_person

from ..forms.people import PROFILE_FIELDS, CadreEntryForm, CorrectionForm, MemberEntryForm, ProfileForm
from ..idnumber import normalize_id_number
from ..models import CadrePost
from ..profile import SELF_EDITABLE
from ..rules import normalize_dev_number, normalize_name
from ..selectors.age_exceptions import fileable_branches
from ..selectors.records import cadre_orgs, enterable_branches, may_override_age, override_branches, posts_in_subtree
from ..services import correct_identity, end_post, enter_cadre, enter_member, update_profile
from .people import deny, person_in_scope, refusal_page


def transfer_in_url() -> str | None:
    """R-ENT-6: "ID already registered" offers the transfer-in action once the transfers pages exist: a button that
    posts the entry form's name and ID number there (its look-up step, issue 15). No ID number in an address:
    addresses end up in logs (R-AUTH-6)."""
    try:
        return reverse("transfers:transfer_in")
    except NoReverseMatch:
        return None


# R-ENT-6 from an import row (issue 15): the row's name and ID number, kept in the session for the transfer-in page
# to take once (transfers/views/desk.py), so that the ID number never stands in an address.
TRANSFER_IN_CARRY = "transfer_in_carry"


def _id_registered_link(form):
    return transfer_in_url() if form.has_error("id_number", "id_registered") else None


# --- entry ----------------------------------------------------------------------------------------------

@refusal_page
@admin_required
def enter_member_view(request, acting):
    user = request.user
    fixed = acting if acting.is_branch else None
    branches = None if fixed else enterable_branches(user, acting)
    further = None if fixed else list(override_branches(user, acting))  # R-ENT-3, the root's admins only
    may_override = may_override_age(user)
    form = MemberEntryForm(request.POST or None, branches=branches, further_branches=further, fixed_branch=fixed,
                           may_override=may_override)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = enter_member(
                actor=user, branch=fixed or data["branch"], id_number=data["id_number"], name=data["name"],
                joined_on=data["joined_on"], development_number=data["development_number"],
                override_reason=data.get("override_reason", ""), **form.values(PROFILE_FIELDS))
        except ValidationError as exc:
            form.apply_errors(exc)
            if may_override and "override_reason" in form.fields and form.has_error("joined_on", "join_age"):
                form.add_error("override_reason", _("确需录入不符合入团年龄规定的人员，请在这里写明理由（团中央统一录入）。"))
        except PermissionDenied as exc:
            # Refused by the service (and audited there): the form again, with the reason and all that was typed.
            form.add_error("branch" if "branch" in form.fields else None, str(exc))
            status = 403
        else:
            messages.success(request, _("已录入团员 %(name)s。") % {"name": person.name})
            if "another" in request.POST:
                return redirect("people:enter_member")
            return redirect("people:detail", pk=person.pk)
    # R-ENT-11: refused by R-ENT-2, the recruiting branch or its county-level committee asks the centre instead.
    age_exception = (not may_override and form.has_error("joined_on", "join_age")
                     and fileable_branches(acting).exists())
    return render(request, "people/enter_member.html", {
        "form": form, "fixed_branch": fixed, "no_branches": fixed is None and not branches.exists() and not further,
        "transfer_in_url": _id_registered_link(form),
        "age_exception_url": reverse("age_exceptions:file") if age_exception else None,
    }, status=status)


@refusal_page
@admin_required
def enter_cadre_view(request, acting):
    form = CadreEntryForm(request.POST or None, orgs=cadre_orgs(acting), initial={"org": acting.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = enter_cadre(
                actor=request.user, org=data["org"], id_number=data["id_number"], name=data["name"],
                title=data["title"], is_admin=data["is_admin"], kind=data["kind"], appointed_on=data["appointed_on"],
                joined_on=data["joined_on"], development_number=data["development_number"],
                **form.values(PROFILE_FIELDS))
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            words = {"name": person.name, "org": data["org"].display_name, "title": _(data["title"])}
            if CadrePost.objects.pending().filter(person=person, org=data["org"]).exists():
                # R-ENT-9: someone on record decides themselves; until then this organization holds nothing.
                messages.info(request, _("%(name)s 已在系统中登记。已向其发出任职确认（%(org)s %(title)s），本人在"
                                         "“消息”或首页确认后任职才生效；确认前本组织不能查看或修改其信息。") % words)
                return redirect("people:enter_cadre")
            messages.success(request, _("已录入团干部 %(name)s（%(org)s %(title)s）。") % words)
            if "another" in request.POST:
                return redirect("people:enter_cadre")
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/enter_cadre.html", {"form": form, "transfer_in_url": _id_registered_link(form)})


# --- editing --------------------------------------------------------------------------------------------

ADMIN_EDITABLE = set(PROFILE_FIELDS) | {"development_number"}
OWN_EDITABLE = set(SELF_EDITABLE) | {"development_number"}  # R-AUTH-5, R-ENT-5


@refusal_page
@admin_required
def edit(request, acting, pk):
    person = person_in_scope(acting, pk)
    if person.pk == request.user.pk:
        return redirect("people:edit_me")
    if not may_change_person(request.user, person):
        deny(request, action="person.update", target=person, acting=acting,
             message=_("只有此人所在组织或其直接上级的管理员可以修改此人的信息。"))
    return _edit(request, person, allowed=ADMIN_EDITABLE, back=reverse("people:detail", args=[person.pk]))


@refusal_page
@login_required
def edit_me(request):
    return _edit(request, request.user, allowed=OWN_EDITABLE, back=reverse("people:me"))


def _current(person, name):
    value = getattr(person, name)
    return "" if value is None and name != "party_joined_on" else value


def _changed(form, person) -> dict:
    """Only what the user changed goes to the service: an untouched problem elsewhere on the record
    (say a legacy development number, R-ENT-5) does not block fixing the phone number."""
    out = {}
    for name, value in form.cleaned_data.items():
        current = _current(person, name)
        if name == "development_number":
            if normalize_dev_number(value) != (person.development_number or ""):
                out[name] = value
        elif (value.strip() if isinstance(value, str) else value) != current:
            out[name] = value
    return out


def _edit(request, person, *, allowed, back):
    initial = {name: _current(person, name) for name in allowed}
    form = ProfileForm(request.POST or None, allowed=allowed, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = _changed(form, person)
        if not changes:
            messages.info(request, _("没有修改任何信息。"))
            return redirect(back)
        try:
            update_profile(actor=request.user, person=person, **changes)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(back)
    return render(request, "people/edit.html", {
        "form": form, "person": person, "back": back, "is_self": person.pk == request.user.pk,
    })


@refusal_page
@admin_required
def correct(request, acting, pk):
    """姓名, 身份证号, 入团时间: admins only, with a reason; a new ID number or name is re-verified (R-VER-2)."""
    person = person_in_scope(acting, pk)
    if person.pk == request.user.pk or not may_change_person(request.user, person):
        deny(request, action="person.correct_identity", target=person, acting=acting,
             message=_("姓名、身份证号和入团时间只能由此人所在组织或其直接上级的管理员更正。"))
    form = CorrectionForm(request.POST or None, initial={"name": person.name, "joined_on": person.joined_on})
    if request.method == "POST" and form.is_valid():
        data, changes = form.cleaned_data, {}
        if data["id_number"].strip() and normalize_id_number(data["id_number"]) != person.id_number:
            changes["id_number"] = data["id_number"]
        if normalize_name(data["name"]) != person.name:
            changes["name"] = data["name"]
        if data["joined_on"] is None and person.joined_on is not None:
            form.add_error("joined_on", _("请填写入团时间。"))
        elif data["joined_on"] != person.joined_on:
            changes["joined_on"] = data["joined_on"]
        if not changes and form.is_valid():
            form.add_error(None, _("没有需要更正的内容：请修改姓名、身份证号或入团时间。"))
        if form.is_valid():
            try:
                correct_identity(actor=request.user, person=person, reason=data["reason"], **changes)
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                text = _("已更正。")
                if {"id_number", "name"} & set(changes):
                    text += _("身份信息已变更，此人将重新认证。")
                messages.success(request, text)
                return redirect("people:detail", pk=person.pk)
    return render(request, "people/correct.html", {
        "form": form, "person": person, "transfer_in_url": _id_registered_link(form),
        "case_url": reverse("people:file_case", args=[person.pk]) if form.has_error("id_number", "id_registered")
        else None,  # R-VER-5
    })


# --- ending a cadre post --------------------------------------------------------------------------------

@require_POST
@refusal_page
@admin_required
def end_post_view(request, acting, pk):
    post = get_object_or_404(posts_in_subtree(acting), pk=pk)
    try:
        end_post(actor=request.user, post=post)  # R-AUTH-2 checked (and a refusal audited) by the service
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已结束 %(name)s 在“%(org)s”的%(title)s职务。") % {
            "name": post.person.name, "org": post.org.display_name, "title": post.get_title_display()})
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("people:cadres")
