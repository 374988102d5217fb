from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgs.acting import acting_org, admin_required
from orgs.models import Organization, OrgType

from .forms import ForgotPasswordForm, IdNumberLoginForm
from .models import CadrePost, Membership
from .permissions import may_change_person
from .selectors import branch_of, current_posts, people_in_subtree
from .services import issue_reset_code, reset_password


class LoginView(auth_views.LoginView):
    form_class = IdNumberLoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, _("密码已设置。"))
        return super().form_valid(form)


def _summary(org: Organization) -> dict:
    orgs = Organization.objects.filter(path__startswith=org.path, is_active=True).aggregate(
        total=Count("pk"), branches=Count("pk", filter=Q(org_type=OrgType.BRANCH)))
    members = Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True).count()
    cadres = CadrePost.objects.filter(org_path__startswith=org.path, ended_at__isnull=True).count()
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
        "summary": _summary(org) if org else None,
    })


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
    query = request.GET.get("q", "").strip()
    people = Paginator(people_in_subtree(acting, query), 20).get_page(request.GET.get("page")) if query else None
    return render(request, "members/reset_codes.html", {"query": query, "people": people})


@require_POST
@admin_required
def reset_code_issue(request, acting, pk):
    person = get_object_or_404(people_in_subtree(acting), pk=pk)
    if not may_change_person(request.user, person):
        messages.error(request, _("只有此人所在组织或其直接上级的管理员可以生成重置码。"))
        return redirect(f"{reverse_lazy('members:reset_codes')}?q={person.name}")
    code = issue_reset_code(actor=request.user, person=person)
    # Shown once: the page is not cached and the code is never stored in the clear.
    response = render(request, "members/reset_code_issued.html", {"person": person, "code": code})
    response["Cache-Control"] = "no-store"
    return response
