"""The development-number dialog (R-ENT-5, members/prompts.py) for the base template: read from the session only, and
only when sign-in marked it (no query otherwise)."""
from access.acting import acting_org

from . import prompts


def dev_number_prompt(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.must_change_password:
        return {}
    session = getattr(request, "session", None)
    if session is None or prompts.SESSION_KEY not in session:
        return {}
    return {"dev_prompt": prompts.prompt(request, acting_org=acting_org(request))}
