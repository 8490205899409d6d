"""Login throttling glue for django-axes: the client's address, and the backend that checks it."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt came from.

    Behind a trusted proxy (TRUSTED_PROXY=1) it is the entry the last of TRUSTED_PROXY_COUNT
    proxies appended to X-Forwarded-For: entries further left come from the client and can be
    forged. Without one, X-Forwarded-For is ignored and the socket's address is used.
    """
    if settings.TRUSTED_PROXY:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= settings.TRUSTED_PROXY_COUNT:
            return hops[-settings.TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check, for logins that come with a request.

    Every web login (the admin's login form) passes its request. A call without one is no
    attempt from an address (the test client's login(), a shell), so there is nothing to
    throttle; axes itself would raise instead.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
