"""Entering people: members into branches, cadres into any organization (R-ENT, R-ORG-2/3)."""
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.choices import CADRE_TITLES
from access.permissions import admin_org_ids, ensure_may_change_in, may_change_in
from audit.services import record, refusals_audited
from orgs.locking import hold_active
from orgs.models import Organization, OrgType
from orgs.selectors import root

from ..completeness import refresh_for_people
from ..idnumber import birth_date_of, gender_of
from ..models import CadrePost, Membership, Person
from ..rules import (
    Errors,
    check_dev_number,
    check_id_unregistered,
    check_join_age,
    clean_id_number,
    clean_name,
    clean_profile,
    normalize_dev_number,
)
from ..verification import verify_later


def _profile(profile: dict, errors: Errors) -> dict:
    return clean_profile(profile, errors)


def _may_override(actor) -> bool:
    top = root()
    return top is not None and top.pk in admin_org_ids(actor)


def _ensure_may_override(actor) -> None:
    # R-ENT-3: only the central organ (the tree's root) enters people refused by the age rule.
    if actor is not None and not _may_override(actor):
        raise PermissionDenied(_("只有团中央管理员可以统一录入不符合入团年龄规定的人员。"))


def _further_branch_refusal() -> PermissionDenied:
    return PermissionDenied(_(
        "团中央管理员直接录入团员只能录入到本组织的直属团支部；其他团支部的团员请由该团支部或其直接上级组织录入。"
        "不符合入团年龄规定、需要团中央统一录入的，请填写“团中央统一录入说明”后保存。"))


def validate_member(*, branch: Organization, id_number, name, joined_on: dt.date | None,
                    development_number="", override_reason="", exclude_pk=None, lookups=None,
                    viewer=None) -> tuple[dict, Errors]:
    """Every R-ENT check for one member; returns the cleaned values and the errors found."""
    errors = Errors()
    if branch.org_type != OrgType.BRANCH:  # R-ORG-2
        errors.add("branch", _("团员的组织关系只能在团支部。"), "org_type_not_allowed")
    id_number = clean_id_number(id_number, errors)
    name = clean_name(name, errors)
    check_id_unregistered(id_number, errors, exclude_pk=exclude_pk, lookups=lookups)
    if override_reason:
        if joined_on is None:
            errors.add("joined_on", _("请填写入团时间。"), "required")
    else:
        check_join_age(id_number, joined_on, branch.region_code, errors)
    number = normalize_dev_number(development_number)
    check_dev_number(number, joined_on=joined_on, branch=branch, errors=errors, exclude_pk=exclude_pk,
                     lookups=lookups, viewer=viewer)
    return {"id_number": id_number, "name": name, "joined_on": joined_on,
            "development_number": number or None}, errors


def _integrity_to_validation(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "development_number" in text:
        return ValidationError({"development_number": ValidationError(
            _("该发展团员编号已被他人使用，请联系上级组织查找编号持有人。"), code="dev_number_taken")})
    if "membership_one_current_branch" in text or "membership" in text:
        return ValidationError({"id_number": ValidationError(_("此人已在其他团支部，请办理组织关系转接。"),
                                                             code="id_registered")})
    return ValidationError({"id_number": ValidationError(_("该身份证号已经登记。"), code="id_registered")})


def _new_person(values: dict, extra: dict) -> Person:
    id_number = values["id_number"]
    return Person.objects.create(
        id_number=id_number, name=values["name"], birth_date=birth_date_of(id_number), gender=gender_of(id_number),
        joined_on=values.get("joined_on"), development_number=values.get("development_number"), **extra,
    )


@refusals_audited("member.enter")
def enter_member(*, actor, branch: Organization, id_number, name, joined_on, development_number="",
                 override_reason: str = "", **profile) -> Person:
    override_reason = (override_reason or "").strip()
    further = False
    if override_reason:
        # R-ENT-3: the central organ enters these people into any branch of the tree; no one else may.
        _ensure_may_override(actor)
    elif actor is not None and not may_change_in(actor, branch) and _may_override(actor):
        # A root admin, who reads the whole tree, without the explanation a branch this far down needs (R-ENT-3):
        # the rules' own messages first (R-ENT-2 says whether an explanation is due at all), then the refusal.
        further = True
    else:
        ensure_may_change_in(actor, branch)  # R-AUTH-2
    values, errors = validate_member(branch=branch, id_number=id_number, name=name, joined_on=joined_on,
                                      development_number=development_number, override_reason=override_reason,
                                      viewer=actor)
    extra = _profile(profile, errors)
    errors.raise_if_any()
    if further:
        raise _further_branch_refusal()
    try:
        with transaction.atomic():
            hold_active(branch, field="branch", message=_("该团支部已撤销，请重新选择。"))  # issue 15: not into a merged one
            person = _new_person(values, dict(extra, override_reason=override_reason))
            Membership.objects.create(person=person, branch=branch, org_path=branch.path)
            refresh_for_people([person.pk])
            verify_later([person.pk])  # R-VER-4: on the task queue after commit, never in the way
            record(actor=actor, action="member.enter", target=person, acting_org=branch,
                   override=bool(override_reason))
    except IntegrityError as exc:
        raise _integrity_to_validation(exc) from None
    return person


def _refuse_membership_of_existing() -> ValidationError:
    # R-ENT-9: a person on record joins a branch by a transfer, never by someone else's entry form.
    return ValidationError({"id_number": ValidationError(
        _("该身份证号已经登记。此人可用身份证号后8位登录；如需将其组织关系转入本团支部，请办理组织关系转接（转入）。"
          "仅录入职务时请不要填写入团时间。"), code="id_registered")})


@refusals_audited("cadre.enter")
def enter_cadre(*, actor, org: Organization, id_number, name, title, is_admin: bool = False, kind: str = "",
                appointed_on=None, **profile) -> Person:
    """A cadre post in org. An ID number on record adds the post to that person (the name must match); added by
    an admin, that post waits for the person's confirmation and changes nothing about them until then (R-ENT-9).
    A new person with a branch and a joined_on also becomes a member of it under every R-ENT rule."""
    ensure_may_change_in(actor, org)  # R-AUTH-2
    errors = Errors()
    joined_on = profile.pop("joined_on", None)
    development_number = profile.pop("development_number", "")
    ident = clean_id_number(id_number, errors)
    clean = clean_name(name, errors)
    if title not in CADRE_TITLES:
        errors.add("title", _("请从标准职务中选择。"), "title_invalid")
    extra = _profile(profile, errors)
    errors.raise_if_any()
    existing = Person.objects.filter(id_number=ident).first()
    if existing and existing.name != clean:
        raise ValidationError({"name": ValidationError(
            _("该身份证号已登记，但姓名与登记的不一致，请核对。"), code="name_mismatch")})
    pending = existing is not None and actor is not None  # R-ENT-9
    wants_membership = org.org_type == OrgType.BRANCH and joined_on is not None
    if pending and wants_membership:
        raise _refuse_membership_of_existing()
    member_values = None
    if wants_membership:
        member_values, errors = validate_member(branch=org, id_number=ident, name=clean, joined_on=joined_on,
                                                development_number=development_number,
                                                exclude_pk=existing.pk if existing else None)
        if existing and Membership.objects.filter(person=existing, ended_at__isnull=True).exists():
            errors.add("id_number", _("此人已是其他团支部的团员，请办理组织关系转接（转入）。"), "id_registered")
        errors.raise_if_any()
    elif joined_on is not None and not existing:
        # A cadre outside a branch: 入团时间 is part of the record (R-ENT-8); the age rule still holds.
        check_join_age(ident, joined_on, org.region_code, errors)
        errors.raise_if_any()
    try:
        with transaction.atomic():
            hold_active(org, field="org", message=_("该组织已撤销，请重新选择。"))
            person = _person_for_post(existing, pending=pending, ident=ident, name=clean, joined_on=joined_on,
                                      member_values=member_values, extra=extra)
            if CadrePost.objects.filter(person=person, org=org, ended_at__isnull=True).exists():
                raise ValidationError({"title": ValidationError(_("此人已在本组织任职（或有待本人确认的任职）。"),
                                                                code="post_exists")})
            now = timezone.now()
            CadrePost.objects.create(person=person, org=org, org_path=org.path, title=title, is_admin=is_admin,
                                     kind=kind or "", appointed_on=appointed_on, started_at=now, added_by=actor,
                                     confirmed_at=None if pending else now)
            if member_values:
                Membership.objects.create(person=person, branch=org, org_path=org.path)
            if not pending:
                refresh_for_people([person.pk])
            if existing is None:
                verify_later([person.pk])
            record(actor=actor, action="cadre.enter", target=person, acting_org=org, title=title, is_admin=is_admin,
                   pending=pending)
    except IntegrityError as exc:
        raise _integrity_to_validation(exc) from None
    return person


def _person_for_post(existing, *, pending, ident, name, joined_on, member_values, extra) -> Person:
    if existing is None:
        return _new_person(member_values or {"id_number": ident, "name": name, "joined_on": joined_on}, extra)
    if pending:
        return existing  # R-ENT-9: nothing about them changes until they confirm
    # The system (actor=None: seeding, migrations) completes the record of someone on record.
    if member_values:
        existing.joined_on = member_values["joined_on"]
        existing.development_number = member_values["development_number"]
        existing.save(update_fields=["joined_on", "development_number"])
    elif joined_on is not None and not existing.joined_on:
        existing.joined_on = joined_on
        existing.save(update_fields=["joined_on"])
    return existing
