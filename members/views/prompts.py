"""The development-number dialog on sign-in (R-ENT-5, issue 18; members/prompts.py): closing it, for this session."""
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import prompts


@require_POST
@login_required
def dismiss_dev_prompt(request):
    """Closed: not shown again in this session (the next sign-in asks again while the number is wrong). The dialog's
    script posts here and wants no page (204); without a script the form posts and goes back where it was;
the buttons that lead to the fix post it too."""
    prompts.dismiss(request)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    back = request.POST.get("go") or request.POST.get("next", "")   # a button that leads to the fix, or back
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "home"
    return redirect(back)
