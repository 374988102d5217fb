"""Changing people's records (issue 3): profile edits, identity corrections, ending a cadre post."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.custody import ensure_may_change_person
from access.permissions import ensure_may_change_in, forget_admin_orgs
from audit.services import record, refusals_audited

from ..completeness import refresh_for_people, refresh_orgs
from ..idnumber import birth_date_of, gender_of, mask_id_number
from ..models import CadrePost, Membership, Person
from ..profile import IDENTITY_FIELDS, SELF_EDITABLE
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


def _branch(person):
    m = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    return m.branch if m else None


@refusals_audited("person.update")
def update_profile(*, actor, person: Person, **fields) -> Person:
    """R-AUTH-5: a person edits their own contact and study/work fields (and their development number,
    R-ENT-5); R-AUTH-2: the admins of their organization or its direct superior edit the rest."""
    if set(fields) & IDENTITY_FIELDS:
        raise TypeError("identity fields change through correct_identity")
    is_self = actor is not None and actor.pk == person.pk
    if is_self:
        not_own = set(fields) - SELF_EDITABLE - {"development_number"}
        if not_own:
            raise PermissionDenied(_("这些信息需由所在组织的管理员修改。"))
    else:
        ensure_may_change_person(actor, person)
    errors = Errors()
    number = fields.pop("development_number", None)
    values = clean_profile(fields, errors)
    branch = _branch(person)
    if number is not None:
        number = normalize_dev_number(number)
        if branch is not None:
            check_dev_number(number, joined_on=person.joined_on, branch=branch, errors=errors, exclude_pk=person.pk)
        values["development_number"] = number or None
    errors.raise_if_any()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        changed = {f: v for f, v in values.items() if getattr(person, f) != v}
        for field, value in changed.items():
            setattr(person, field, value)
        try:
            person.save(update_fields=list(changed) or None) if changed else None
        except IntegrityError:
            raise ValidationError({"development_number": ValidationError(
                _("该发展团员编号已被他人使用，请联系上级组织查找编号持有人。"), code="dev_number_taken")}) from None
        refresh_for_people([person.pk])
        record(actor=actor, action="person.update", target=person, fields=sorted(changed))
    return person


@refusals_audited("person.correct_identity")
def correct_identity(*, actor, person: Person, reason: str, id_number=None, name=None, joined_on=None) -> Person:
    """姓名, 身份证号 and 入团时间 corrections: admins only, with a written reason, audited. A new ID number
    or name sends verification back to pending (R-VER-2); an ID number already on record is refused."""
    if actor is not None and actor.pk == person.pk:
        raise PermissionDenied(_("姓名、身份证号和入团时间需由所在组织的管理员更正。"))
    ensure_may_change_person(actor, person)
    errors = Errors()
    reason = (reason or "").strip()
    if len(reason) < 4:
        errors.add("reason", _("请写明更正原因。"), "reason_required")
    new = {}
    if id_number is not None:
        new["id_number"] = clean_id_number(id_number, errors)
        check_id_unregistered(new["id_number"], errors, exclude_pk=person.pk)  # R-VER-2 case 2
    if name is not None:
        new["name"] = clean_name(name, errors)
    if joined_on is not None:
        new["joined_on"] = joined_on
    branch = _branch(person)
    if branch is not None and ("joined_on" in new or "id_number" in new) and not person.override_reason:
        check_join_age(new.get("id_number", person.id_number), new.get("joined_on", person.joined_on),
                       branch.region_code, errors)
    errors.raise_if_any()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        changed = {f: v for f, v in new.items() if getattr(person, f) != v}
        if not changed:
            return person
        old = {f: (mask_id_number(getattr(person, f)) if f == "id_number" else str(getattr(person, f)))
               for f in changed}
        for field, value in changed.items():
            setattr(person, field, value)
        if "id_number" in changed:
            person.birth_date, person.gender = birth_date_of(person.id_number), gender_of(person.id_number)
        if {"id_number", "name"} & set(changed):
            person.verification_status, person.verification_reason = "pending", ""
        try:
            person.save()
        except IntegrityError:
            raise ValidationError({"id_number": ValidationError(_("该身份证号已经登记。"), code="id_registered")}) from None
        refresh_for_people([person.pk])
        record(actor=actor, action="person.correct_identity", target=person, reason=reason,
               fields=sorted(changed), old=old)
        if {"id_number", "name"} & set(changed):
            verify_later([person.pk])
    return person


@refusals_audited("cadre.end_post")
def end_post(*, actor, post: CadrePost) -> CadrePost:
    ensure_may_change_in(actor, post.org)
    with transaction.atomic():
        post = CadrePost.objects.select_for_update().select_related("org", "person").get(pk=post.pk)
        if post.ended_at is not None:
            raise ValidationError(_("该职务已经结束。"), code="post_ended")
        post.ended_at = timezone.now()
        post.save(update_fields=["ended_at"])
        refresh_orgs([post.org_id])
        record(actor=actor, action="cadre.end_post", target=post.person, acting_org=post.org, title=post.title)
    forget_admin_orgs()  # an ended admin post stops counting at once, in this request too
    return post
