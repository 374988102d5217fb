"""The acting organization (R-ACC-3, R-AUTH-1): kept in the session, offered only among admin posts."""
import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .permissions import remember_admin_orgs
from .selectors import admin_posts

SESSION_KEY = "acting_org_id"


def admin_posts_of(request) -> list:
    if not hasattr(request, "_admin_posts"):
        user = request.user
        request._admin_posts = list(admin_posts(user)) if user.is_authenticated else []
        if user.is_authenticated:
            remember_admin_orgs(user, {p.org_id for p in request._admin_posts})
    return request._admin_posts


def acting_org(request):
    posts = admin_posts_of(request)
    if not posts:
        return None
    chosen = request.session.get(SESSION_KEY)
    for post in posts:
        if post.org_id == chosen:
            return post.org
    return posts[0].org


def switch_to(request, org_id: int) -> bool:
    if any(p.org_id == org_id for p in admin_posts_of(request)):
        request.session[SESSION_KEY] = org_id
        return True
    return False


def admin_required(view):
    """Signed in, with an admin post to act as; the view gets the acting organization."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        org = acting_org(request)
        if org is None:
            raise PermissionDenied(_("此页面仅供团组织管理员使用。"))
        return view(request, org, *args, **kwargs)

    return wrapper
