from axes.helpers import get_client_ip_address

from .context import client_ip


class ClientAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(get_client_ip_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
