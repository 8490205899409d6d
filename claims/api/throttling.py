"""The per-address rate limit of the API (``settings.API_RATE``, default 120 a minute)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle

from casualties.security import client_ip


class AddressRateThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, keyed by the address the admin's login throttle uses: behind a
    trusted proxy, the entry it appended to X-Forwarded-For (a client can forge the others);
    otherwise the socket's. Counts live in the configured cache (Redis in production, so every
    worker shares them). A refused request gets 429 with Retry-After."""

    def get_ident(self, request):
        return client_ip(request._request) or "unknown"

    def get_rate(self):
        # Read when a request comes, not at import (DRF's class attribute), so the setting holds.
        return settings.API_RATE
