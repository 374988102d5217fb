from .acting import acting_org as _acting_org
from .acting import admin_posts_of


def acting_org(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"acting_org": _acting_org(request), "admin_posts": admin_posts_of(request)}
