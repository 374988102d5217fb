"""Answering a post added by another organization (R-ENT-9): the person, or an admin with custody of their
account (R-AUTH-7), confirms or declines it. The service decides who may; this page only asks."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import second_factor_detour

from ..models import CadrePost
from ..services import confirm_post, decline_post
from .people import refusal_page


@require_POST
@refusal_page
@login_required
def answer_post(request, pk):
    post = get_object_or_404(CadrePost.objects.select_related("org", "person"), pk=pk)
    if post.person_id != request.user.pk:  # answering for someone else is an admin's act (R-AUTH-7, R-ACC-5)
        detour = second_factor_detour(request)
        if detour is not None:
            return detour
    decision = request.POST.get("decision")
    words = {"org": post.org.full_name, "title": post.get_title_display()}
    try:
        if decision == "confirm":
            confirm_post(actor=request.user, post=post)
            messages.success(request, _("已确认在“%(org)s”担任%(title)s。") % words)
        elif decision == "decline":
            decline_post(actor=request.user, post=post)
            messages.success(request, _("已拒绝在“%(org)s”担任%(title)s，该任职不会生效。") % words)
        else:
            messages.error(request, _("请选择确认或拒绝。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("home")
