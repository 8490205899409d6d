"""ETag and Last-Modified on every API answer, and 304 to a client that has it already.

An answer is a function of its URL (host, path, query), its format and the public data, and the
public data has a state that moves on with every write the stored figures follow
(``claims.refresh.current_state``, one query; a restore starts a new epoch, so a state never
comes back). The ETag hashes them; Last-Modified is when the state last moved. A conditional
GET that matches is answered before any other query runs. Throttling comes first:
a 304 counts towards the rate limit.
"""

import datetime
import hashlib

from django.http import HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework.exceptions import APIException

from claims.refresh import current_state


class NotModified(APIException):
    status_code = 304


def validators(request, state) -> tuple[str, datetime.datetime | None]:
    """(ETag, Last-Modified) of the answer to ``request`` in the data ``state``."""
    accept = request.accepted_media_type or ""
    raw = "\n".join([state.token, request.build_absolute_uri(), accept])
    etag = f'"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'
    return etag, state.updated_at


class ConditionalMixin:
    """For DRF views: validators after throttling; 304 when they match; headers on a 200."""

    _validators = None
    # The data state of the answer (one query), for whatever else is keyed by it: a list's
    # total count (claims/api/pagination.py).
    data_state = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD"):
            return
        self.data_state = current_state()
        etag, modified = self._validators = validators(request, self.data_state)
        # HTTP dates have whole seconds: compare whole seconds.
        modified_ts = int(modified.timestamp()) if modified else None
        if get_conditional_response(request._request, etag=etag, last_modified=modified_ts):
            raise NotModified()

    def handle_exception(self, exc):
        if isinstance(exc, NotModified):
            response = HttpResponseNotModified()
            self._set_validators(response)
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            self._set_validators(response)
        return response

    def _set_validators(self, response):
        if self._validators is None:
            return
        etag, modified = self._validators
        response["ETag"] = etag
        if modified is not None:
            response["Last-Modified"] = http_date(modified.timestamp())
        # Caches may keep it, but must ask again (cheaply, with the ETag) before reusing it.
        response["Cache-Control"] = "public, no-cache"
