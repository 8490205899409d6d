"""ETag and Last-Modified on every API answer, and 304 to a client that has it already.

An answer is a function of its URL (host, path, query), its format and the public data, and the
public data has a version that changes on every tracked write (``reconciliation.versions``: the
largest history id of each public table, one query). The ETag hashes them; Last-Modified is the
time of the newest history row of those tables, looked up once per data version and cached. A
conditional GET that matches is answered before any other query runs. Throttling comes first:
a 304 counts towards the rate limit.
"""

import datetime
import hashlib

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework.exceptions import APIException

from claims import reconciliation as recon

LAST_MODIFIED_SECONDS = 24 * 3600


class NotModified(APIException):
    status_code = 304


def last_modified(version: str) -> datetime.datetime | None:
    """When the public data last changed: the newest history row of the public tables (one
    query, once per data version)."""
    key = f"api-last-modified:{version}"
    found = cache.get(key)
    if found is not None:
        return found or None
    quote = connection.ops.quote_name
    # Table names come from the models, quoted; nothing from a request reaches this SQL.
    parts = " UNION ALL ".join(
        f"SELECT MAX(history_date) FROM {quote(m.history.model._meta.db_table)}"  # noqa: S608
        for m in recon.public_models()
    )
    with connection.cursor() as cursor:
        cursor.execute(parts)
        dates = [row[0] for row in cursor.fetchall() if row[0] is not None]
    newest = None
    if dates:
        if isinstance(dates[0], str):  # SQLite returns the text of the column
            dates = [datetime.datetime.fromisoformat(d) for d in dates]
        newest = max(d if d.tzinfo else d.replace(tzinfo=datetime.UTC) for d in dates)
    cache.set(key, newest or "", LAST_MODIFIED_SECONDS)
    return newest


def validators(request) -> tuple[str, datetime.datetime | None]:
    """(ETag, Last-Modified) of the answer to ``request``."""
    # Both versions in one query; the figures' one is kept for the view (FigureViewSet).
    request.figure_version, version = recon.versions()
    accept = request.accepted_media_type or ""
    raw = "\n".join([version, request.build_absolute_uri(), accept])
    etag = f'"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'
    return etag, last_modified(version)


class ConditionalMixin:
    """For DRF views: validators after throttling; 304 when they match; headers on a 200."""

    _validators = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD"):
            return
        etag, modified = self._validators = validators(request)
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
