"""A plain cache of rendered public pages, keyed by the data state.

Pages read stored figures, so rendering one is cheap in queries, but a long table still costs
its template (the busiest overview about 100 ms of CPU at 100,000 claims): under 20 connections
on two cores that is what decides the p99 (bench/README.md "Stored figures"). A page is a pure
function of its address and the data, so a rendered page is kept under the data state's token
(``claims.refresh.current_state``: it moves with every write the figures follow and after a
restore, so no page outlives its data) and served until the token moves. No background work,
nothing to refresh: a miss renders the page, once, in the request that asked for it.

Bounded by the addresses, not by what is typed: only the first ``PAGES_PER_LIST`` pages of a
list, no "as known on" view, and the key ignores every other parameter (made-up query strings
share one entry, and the pages do not read them). Only complete 200 answers are kept.
"""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse

from claims.refresh import current_state

PAGES_PER_LIST = 20
# Entries of a past state are never read again; they go when the cache culls or expires them.
SECONDS = 3600
ENABLED = True  # tests that count a page's own queries turn it off


def page_key(request) -> str | None:
    """The cache key of a page (one query: the data state), or None: not cached."""
    if request.GET.get("as_of"):
        return None
    page = request.GET.get("page", "1")
    if not (page.isdigit() and 1 <= int(page) <= PAGES_PER_LIST):
        return None
    path = hashlib.sha256(request.path.encode()).hexdigest()
    return f"page:{current_state().token}:{path}:{int(page)}"


def cached_page(view):
    """Serve a rendered page from the cache while the data state is unchanged."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if kwargs.get("fmt") or not ENABLED:  # CSV twins stream; they are not kept
            return view(request, *args, **kwargs)
        key = page_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"]), SECONDS)
        return response

    return wrapper
