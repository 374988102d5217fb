"""Answering a post added to someone already on record (R-ENT-9): the person, or an admin with custody of
their account (R-AUTH-7), confirms it; the person (or that admin) may decline it. The admin who added it
cannot confirm it: that would be the takeover R-ENT-9 closes."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.custody import has_custody
from access.permissions import forget_admin_orgs
from audit.services import record, refusals_audited

from ..completeness import refresh_for_people
from ..models import CadrePost


def _ensure_may_answer(actor, post: CadrePost, *, confirming: bool) -> None:
    if actor is None:
        return
    if confirming and actor.pk == post.added_by_id:
        # Before the person's own right: an admin who entered themself as a cadre (an admin post one level
        # down) waits for someone with custody of them, never confirms it alone.
        raise PermissionDenied(_("添加此职务的管理员不能替本人确认，请由本人确认。") if actor.pk != post.person_id
                               else _("您为自己添加的任职，须由您所在组织（或其直接上级）的管理员确认。"))
    if actor.pk == post.person_id:
        return
    if not has_custody(actor, post.person):
        raise PermissionDenied(_("只有本人或其所在组织（或直接上级）的管理员可以确认或拒绝此任职。"))


def _lock_pending(post: CadrePost) -> CadrePost:
    post = CadrePost.objects.select_for_update().select_related("org", "person").get(pk=post.pk)
    if not post.is_pending:
        raise ValidationError(_("该任职已确认或已结束，无需再处理。"), code="post_not_pending")
    return post


@refusals_audited("cadre.confirm_post")
def confirm_post(*, actor, post: CadrePost) -> CadrePost:
    _ensure_may_answer(actor, post, confirming=True)
    with transaction.atomic():
        post = _lock_pending(post)
        _ensure_may_answer(actor, post, confirming=True)  # re-checked under the lock
        post.confirmed_at, post.confirmed_by = timezone.now(), actor
        post.save(update_fields=["confirmed_at", "confirmed_by"])
        refresh_for_people([post.person_id])
        record(actor=actor, action="cadre.confirm_post", target=post.person, acting_org=post.org,
               title=post.title, is_admin=post.is_admin, by_self=actor is not None and actor.pk == post.person_id)
    forget_admin_orgs()  # the person's rights changed: the next check reads them again
    return post


@refusals_audited("cadre.decline_post")
def decline_post(*, actor, post: CadrePost) -> None:
    _ensure_may_answer(actor, post, confirming=False)
    with transaction.atomic():
        post = _lock_pending(post)
        post.ended_at = timezone.now()
        post.save(update_fields=["ended_at"])
        record(actor=actor, action="cadre.decline_post", target=post.person, acting_org=post.org,
               title=post.title, by_self=actor is not None and actor.pk == post.person_id)
