"""Pages with a total count and next/previous links (UCDP's convention, FIELD.md).

Claims have their own (``ListingPagination``): at 100,000 claims, counting and sorting them all
for every page, then skipping ``OFFSET`` rows, made a page cost hundreds of milliseconds and a
walk of them all minutes (bench/README.md, "api_bench.py").
"""

import base64
import binascii
import datetime
import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import BooleanField, Func, Value
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from claims.models import LISTING_DATES, NO_DATE, listing_keys


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class RowCompare(Func):
    """``(a, b, …) > (x, y, …)`` (or ``<``): one row comparison, which PostgreSQL seeks to in
    a B-tree index on ``(a, b, …)`` and SQLite understands too. ``values`` are plain values."""

    output_field = BooleanField()

    def __init__(self, keys, op, values):
        assert op in (">", "<", ">=") and len(keys) == len(values)
        self.op = op
        super().__init__(*keys, *(Value(v) for v in values))

    def as_sql(self, compiler, connection, **extra_context):
        sqls, params = [], []
        for expression in self.source_expressions:
            sql, more = compiler.compile(expression)
            sqls.append(sql)
            params.extend(more)
        n = len(sqls) // 2
        return f"({', '.join(sqls[:n])}) {self.op} ({', '.join(sqls[n:])})", params


def encode_cursor(key: tuple) -> str:
    """A row's place in the listing order, as an opaque token: its dates and id."""
    dates, pk = key[:-1], key[-1]
    raw = ",".join([*(d.isoformat() for d in dates), str(pk)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple | None:
    """The key ``encode_cursor`` encoded; None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        *dates, pk = raw.split(",")
        if len(dates) != len(LISTING_DATES):
            raise ValueError
        return (*(datetime.date.fromisoformat(d) for d in dates), int(pk))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


class ListingPagination(Pagination):
    """Pages of claims in the listing order (``Claim.objects.in_listing_order``) with their
    total count, found through the index ``claims_claim_listing_idx``:

    - ``next`` and ``previous`` are cursors, ``?after=`` (or ``?before=``) the last (first)
      claim of this page: the next page starts where the index seeks to, whatever its depth,
      and a walk that follows ``next`` lists every claim exactly once even while others are
      published, edited or retracted (a claim whose dates change mid-walk moves in the order:
      it may be listed again, or be passed over; ``updated_since`` finds it afterwards);
    - ``?page=N`` still opens any page by number (the index alone skips the pages before);
    - the count is cached under the data state (``claims.refresh.current_state``, which the
      view reads for the ETag anyway): one count per state and filter, shared by every
      process through the configured cache.

    """

    after_query_param = "after"
    before_query_param = "before"
    # Parameters that choose the page, not the claims: not part of the count's key.
    not_filters = ("page", "page_size", "after", "before", "format")

    def paginate_queryset(self, queryset, request, view=None):
        """The page's rows, in order, as dicts: ``queryset`` is the filtered claims, and the
        view's ``page_values(claims)`` reads them as ``values()``. One query: the page starts
        where the index seeks to (a cursor; for ``page=N``, the key of its first claim, read
        from the index alone first: a second query)."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.count = self._count(queryset, request, view)
        keys = listing_keys()
        names = [f"_k{i}" for i in range(len(keys) - 1)]
        order = [*names, "id"]
        after = self._cursor(request, self.after_query_param)
        before = self._cursor(request, self.before_query_param)
        limit = self.page_size + 1  # one more: is there a page after (before) this one?
        if before is not None:
            where, order = RowCompare(keys, "<", before), [f"-{n}" for n in order]
        elif after is not None:
            where = RowCompare(keys, ">", after)
        else:
            offset = (self._page_number(request) - 1) * self.page_size
            where, limit = None, self.page_size
            self.has_next = offset + self.page_size < self.count
            self.has_previous = offset > 0
            if offset:
                start = queryset.annotate(**dict(zip(names, keys, strict=False)))
                start = start.order_by(*order).values_list(*order)[offset : offset + 1]
                where = RowCompare(keys, ">=", start[0] if start else (NO_DATE,) * 3 + (0,))
        claims = queryset if where is None else queryset.filter(where)
        page = view.page_values(claims).annotate(**dict(zip(names, keys, strict=False)))
        rows = list(page.order_by(*order)[:limit])
        if before is not None:
            self.has_next, self.has_previous = True, len(rows) > self.page_size
            rows = rows[: self.page_size][::-1]
        elif after is not None:
            self.has_next, self.has_previous = len(rows) > self.page_size, True
            rows = rows[: self.page_size]
        self.keys = [(*(row.pop(n) for n in names), row["id"]) for row in rows]
        return rows

    def _count(self, queryset, request, view) -> int:
        state = getattr(view, "data_state", None)
        if state is None:
            return queryset.count()
        filters = sorted(
            (k, v) for k, v in request.query_params.lists() if k not in self.not_filters
        )
        raw = "\n".join([state.token, request.path, urlencode(filters, doseq=True)])
        key = f"api-count:{hashlib.sha256(raw.encode()).hexdigest()}"
        return cache.get_or_set(key, queryset.count)

    def _cursor(self, request, name):
        token = request.query_params.get(name)
        if token is None:
            return None
        key = decode_cursor(token)
        if key is None:
            raise ValidationError({name: "Not a cursor of this list: follow next or previous."})
        return key

    def _page_number(self, request) -> int:
        raw = request.query_params.get(self.page_query_param) or 1
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        pages = max(1, -(-self.count // self.page_size))
        if raw in self.last_page_strings:
            number = pages
        if not 1 <= number <= pages:
            raise NotFound(self.invalid_page_message.format(page_number=raw, message="No page."))
        return number

    def _link(self, param, key):
        url = self.request.build_absolute_uri()
        for name in (self.page_query_param, self.after_query_param, self.before_query_param):
            url = remove_query_param(url, name)
        return replace_query_param(url, param, encode_cursor(key))

    def get_next_link(self):
        if not (self.keys and self.has_next):
            return None
        return self._link(self.after_query_param, self.keys[-1])

    def get_previous_link(self):
        if not (self.keys and self.has_previous):
            return None
        return self._link(self.before_query_param, self.keys[0])

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        cursor = (
            "A cursor from a `next` (`after`) or `previous` (`before`) link: the page after "
            "(before) that claim in the list's order."
        )
        return [
            *super().get_schema_operation_parameters(view),
            *(
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": cursor,
                    "schema": {"type": "string"},
                }
                for name in (self.after_query_param, self.before_query_param)
            ),
        ]
