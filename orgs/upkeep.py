"""The upkeep of an organization (issue 15): rename it, keeping its former names, and set when its term ends.
Moving a subtree and dissolving are orgs.services.move_org and dissolve_org. Each function is one transaction and
writes an audit event; a refusal by permission is audited too."""
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited

from .history import FormerName
from .models import Organization
from .naming import clean_full_name
from .services import _check_full_name, ensure_holds


def _taken(full_name: str) -> ValidationError:
    return ValidationError({"full_name": ValidationError(
        _("已有名为“%(name)s”的团组织，全称不能重复。") % {"name": full_name}, code="full_name_taken")})


def _lock_active(org: Organization) -> Organization:
    org = Organization.objects.select_for_update(no_key=True).get(pk=org.pk)
    if not org.is_active:
        raise ValidationError(_("该组织已撤销。"), code="target_not_active")
    return org


@refusals_audited("org.rename")
def rename_org(*, actor, org: Organization, full_name: str, name: str = "",
               acting_org: Organization | None = None) -> Organization:
    """Give org a new full name (and short name). R-ORG-4 and R-ORG-5 hold as at creation; the full name it
    replaces is kept with the time it was used (FormerName)."""
    ensure_holds(actor, org)
    full_name, name = clean_full_name(full_name), clean_full_name(name)
    key = _check_full_name(full_name, exclude_pk=org.pk)  # R-ORG-4, R-ORG-5: a hint; the unique index decides
    try:
        with transaction.atomic():
            org = _lock_active(org)
            if (org.full_name, org.name) == (full_name, name):
                raise ValidationError({"full_name": ValidationError(_("新名称与现在的名称相同，无需改名。"),
                                                                    code="name_unchanged")})
            now = timezone.now()
            old_full, old_name = org.full_name, org.name
            if old_full != full_name:
                since = (org.former_names.order_by("-used_until").values_list("used_until", flat=True).first()
                         or org.created_at)
                FormerName.objects.create(org=org, full_name=old_full, name=old_name, used_from=since, used_until=now)
            org.full_name, org.name_key, org.name = full_name, key, name
            org.save(update_fields=["full_name", "name_key", "name"])
            record(actor=actor, action="org.rename", target=org, acting_org=acting_org or org.parent,
                   old_full_name=old_full, old_name=old_name)
    except IntegrityError:  # a concurrent create or rename took the name between our check and the write
        raise _taken(full_name) from None
    return org


@refusals_audited("org.term")
def set_term_end(*, actor, org: Organization, term_ends_on: dt.date | None,
                 acting_org: Organization | None = None) -> Organization:
    """Set (or clear, with None) when org's present term ends: the next election (换届) is due then."""
    ensure_holds(actor, org)
    with transaction.atomic():
        org = _lock_active(org)
        old = org.term_ends_on
        if old != term_ends_on:
            org.term_ends_on = term_ends_on
            org.save(update_fields=["term_ends_on"])
            record(actor=actor, action="org.term", target=org, acting_org=acting_org or org.parent,
                   old=old.isoformat() if old else "", new=term_ends_on.isoformat() if term_ends_on else "")
    return org
