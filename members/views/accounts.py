from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.acting import acting_org, admin_posts_of, admin_required, second_factor_url
from access.custody import has_custody
from access.factors import backup_codes_left, has_second_factor, session_verified
from access.selectors import current_posts, pending_posts
from config.forms import search_text
from orgs.models import Organization, OrgType

from ..forms.accounts import ForgotPasswordForm, IdNumberLoginForm
from ..models import CadrePost, Membership
from ..selectors.people import branch_of, in_custody, people_in_subtree
from ..services import issue_reset_code, reset_password
from .people import back_address


class LoginView(auth_views.LoginView):
    form_class = IdNumberLoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_success_url(self):
        # R-ACC-5: an admin shows the second factor (or enrols one) right after the password.
        url = super().get_success_url()
        if admin_posts_of(self.request) and not session_verified(self.request):
            return second_factor_url(self.request, next_url=url)
        return url


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def get_form_class(self):
        # R-ACC-1: on the first login the old password is the last 8 characters of the ID number, just typed
        # to sign in; asking for it again teaches nothing, so the first password is only chosen and confirmed.
        return SetPasswordForm if self.request.user.must_change_password else super().get_form_class()

    def form_valid(self, form):
        messages.success(self.request, _("密码已设置。"))
        return super().form_valid(form)


def _summary(org: Organization) -> dict:
    orgs = Organization.objects.filter(path__startswith=org.path, is_active=True).aggregate(
        total=Count("pk"), branches=Count("pk", filter=Q(org_type=OrgType.BRANCH)))
    members = Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True).count()
    cadres = CadrePost.objects.held().filter(org_path__startswith=org.path).count()
    # R-ORG-7: branches with fewer than 3 members should be dissolved or merged.
    small = (Organization.objects.filter(path__startswith=org.path, is_active=True, org_type=OrgType.BRANCH)
             .annotate(n=Count("memberships", filter=Q(memberships__ended_at__isnull=True)))
             .filter(n__lt=3).count())
    return {"orgs": orgs["total"] - 1, "branches": orgs["branches"], "members": members, "cadres": cadres,
            "small_branches": small}


@login_required
def home(request):
    org = acting_org(request)
    return render(request, "home.html", {
        "branch": branch_of(request.user),
        "posts": current_posts(request.user),
        "pending_posts": list(pending_posts(request.user)),  # R-ENT-9
        "summary": _summary(org) if org else None,
        "factor": _factor(request),
    })


def _factor(request) -> dict | None:
    """R-ACC-5, for an admin's home page: whether this session may open admin pages, and what to do if not."""
    if not admin_posts_of(request):
        return None
    verified = session_verified(request)
    return {"verified": verified, "enrolled": verified or has_second_factor(request.user),
            "backup_left": backup_codes_left(request.user) if verified else None}


def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset_password(id_number=form.cleaned_data["id_number"], code=form.cleaned_data["code"],
                           new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            if "new_password" in getattr(exc, "error_dict", {}):
                form.add_error("new_password1", exc.error_dict["new_password"])
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("密码已重置，请用新密码登录。"))
            return redirect("login")
    return render(request, "registration/forgot_password.html", {"form": form})


@admin_required
def reset_codes(request, acting):
    query = search_text(request.GET)  # STYLE 11: cleaned at the edge
    people = None
    if query:
        people = Paginator(people_in_subtree(acting, query), 20).get_page(request.GET.get("page"))
        hold = in_custody(request.user, [person.pk for person in people])
        for person in people:
            person.may_issue = person.pk in hold
    # 返回 after issuing comes back here, but never with a whole ID number searched for in its address (R-AUTH-6)
    return render(request, "members/reset_codes.html", {"query": query, "people": people,
                                                         "back": back_address(request)})


@require_http_methods(["GET", "POST"])
@admin_required
def reset_code_issue(request, acting, pk):
    """POST: a new code (R-ACC-2), from the reset-code search, a row of the member or cadre list, or the person
    page. GET (the address the POST answered, reopened or bookmarked): the code is not shown again, a new one
    may be issued."""
    person = get_object_or_404(people_in_subtree(acting), pk=pk)
    if request.method == "GET":
        # Reopened without the page it came from: back to the person.
        back = _back(request, default=reverse("people:detail", args=[person.pk]))
        return render(request, "members/reset_code_again.html", {
            "person": person, "back": back, "may_issue": has_custody(request.user, person)})
    back = _back(request)
    # R-AUTH-6: the service refuses an admin two levels up (HTTP 403) and audits the refusal.
    code = issue_reset_code(actor=request.user, person=person, acting_org=acting)
    # Shown once: the page is not cached and the code is never stored in the clear.
    response = render(request, "members/reset_code_issued.html", {"person": person, "code": code, "back": back})
    response["Cache-Control"] = "no-store"
    return response


def _back(request, *, default: str = "") -> str:
    """Where 返回 leads: the page the button was on (a page of this site), else `default` or the reset-code search."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default or reverse("members:reset_codes")
