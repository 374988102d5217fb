"""The acting organization (R-ACC-3, R-AUTH-1): kept in the session, offered only among admin posts, and only to a
session that has shown a second factor (R-ACC-5)."""
import functools
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .factors import has_second_factor, session_verified
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
    """The organization the session acts as; None for a member, and for an admin whose session has not shown a
    second factor (R-ACC-5): every page that acts as an organization asks here."""
    posts = admin_posts_of(request)
    if not posts or not session_verified(request):
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


def page_after_switch(request, next_url: str) -> str:
    """R-ACC-3: after switching, the page the admin was on when it is one the new organization has too: a page of
    this site (same host) whose address names no object (a list, not /people/12/, which belongs to the old
    organization's subtree). Its query string is dropped: filters and page numbers (?branch=5) name the old
    organization's objects as well. Anything else: the home page."""
    home = reverse("home")
    if not next_url or not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                                           require_https=request.is_secure()):
        return home
    path = urlsplit(next_url).path
    try:
        match = resolve(path)
    except Resolver404:
        return home
    if match.args or match.kwargs or match.view_name in NOT_AFTER_SWITCH:
        return home
    return path


# Pages that are no place to land: the switch itself, and the second-factor pages (a verified session is there).
NOT_AFTER_SWITCH = {"orgs:switch", "two_factor:verify", "two_factor:enrol", "logout"}


def second_factor_url(request, *, next_url: str = "") -> str:
    """Where an admin goes to show a second factor: the code page, or enrolment when they have none yet."""
    name = "two_factor:verify" if has_second_factor(request.user) else "two_factor:enrol"
    url = reverse(name)
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure()):
        url += "?" + urlencode({"next": next_url})
    return url


def second_factor_detour(request):
    """R-ACC-5: None when the session may act as an admin; else the redirect to the second-factor page. A page
    asked for by GET comes back after it; a POST is not replayed (the person sends it again)."""
    if session_verified(request):
        return None
    url = second_factor_url(request, next_url=request.get_full_path() if request.method == "GET" else "")
    if request.headers.get("HX-Request"):  # htmx: the whole page goes, not a fragment swapped in
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def admin_required(view):
    """Signed in, with an admin post to act as and a verified second factor (R-ACC-5); the view gets the acting
    organization."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not admin_posts_of(request):
            raise PermissionDenied(_("此页面仅供团组织管理员使用。"))
        detour = second_factor_detour(request)
        if detour is not None:
            return detour
        return view(request, acting_org(request), *args, **kwargs)

    return wrapper


def verified_required(view):
    """For a page that is an admin's only (switching organization): the second factor first, as admin_required."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if admin_posts_of(request):
            detour = second_factor_detour(request)
            if detour is not None:
                return detour
        return view(request, *args, **kwargs)

    return wrapper
