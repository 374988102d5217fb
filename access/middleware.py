from .permissions import permission_scope


class PermissionScopeMiddleware:
    """Admin posts are read once per request and never outlive it (access/permissions.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with permission_scope():
            return self.get_response(request)
