"""The API's resources: read-only, published only, a fixed number of queries per page.

Queries on a list page: the data version (one, for the ETag), the count, the page, and one per
prefetched relation (claims: their citations; places: their names; people: the parties for the
party filter, and their sources). Last-Modified is looked up once per data version (cached).
Claims: the data version, the count and the slugs of the tables a claim names (both once per
data version: cached), the page (for ``page=N``, first the key it starts at), its citations.
"""

import datetime

from django.db.models import Prefetch, Q
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from casualties.models import CasualtyRecord, Category, Conflict, Event, Party, Place
from claims import figure_store
from claims import reconciliation as recon
from claims.api import serializers as s
from claims.api.caching import ConditionalMixin
from claims.api.pagination import ListingPagination
from claims.models import Claim, Claimant, ClaimSource, Relation
from claims.public.downloads import public_queryset
from claims.public.views import people_filters, people_queryset
from claims.rules import Figure, FigureRole

# The subject filter's words for "the whole war, all parties" (claims with no subject party).
WHOLE_WAR_WORDS = ("", "all")


class ReadOnly(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"


class ConflictViewSet(ReadOnly):
    """Wars, by start date."""

    queryset = Conflict.objects.order_by("start_date", "slug")
    serializer_class = s.ConflictSerializer


class PartyViewSet(ReadOnly):
    """Belligerents and population groups, as a tree (``parent``)."""

    queryset = Party.objects.select_related("conflict", "parent", "side").order_by("slug")
    serializer_class = s.PartySerializer


class CategoryViewSet(ReadOnly):
    """What is counted, as a tree (``parent``), with units and outcomes."""

    queryset = Category.objects.select_related("parent", "adds_to").order_by("slug")
    serializer_class = s.CategorySerializer


class ClaimantViewSet(ReadOnly):
    """Who asserts the figures, and the party each speaks for."""

    queryset = Claimant.objects.select_related("party").order_by("slug")
    serializer_class = s.ClaimantSerializer


class SourceViewSet(ReadOnly):
    """The documents that published claims and published records cite (others are not public)."""

    serializer_class = s.SourceSerializer

    def get_queryset(self):
        return public_queryset("sources").order_by("slug")


class EventViewSet(ReadOnly):
    """Dated incidents the claims are about."""

    queryset = Event.objects.select_related("conflict", "place").order_by("start_date", "slug")
    serializer_class = s.EventSerializer


class PlaceViewSet(ReadOnly):
    """Towns and regions, with every side's name."""

    queryset = Place.objects.select_related("parent").prefetch_related("names").order_by("slug")
    serializer_class = s.PlaceSerializer


def _date(request, name):
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: "A date like 2020-10-17."}) from None


def _datetime(request, name):
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: "A date, or a time like 2020-10-17T12:00:00Z."}) from None
    value = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    try:
        # In UTC before it reaches the database: PostgreSQL refuses offsets beyond ±15:59
        # that Python accepts ("+19:35"), as in the changes feed.
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValidationError({name: "A date, or a time like 2020-10-17T12:00:00Z."}) from None


def _choice(request, name, choices):
    raw = request.query_params.get(name, "")
    if raw and raw not in choices:
        raise ValidationError({name: f"One of: {', '.join(choices)}."})
    return raw


CLAIM_FILTERS = [
    OpenApiParameter("conflict", str, description="A conflict's slug."),
    OpenApiParameter(
        "subject",
        str,
        description="A party's slug; `all` (or empty) for claims about the whole war.",
    ),
    OpenApiParameter("category", str, description="A category's slug (that category only)."),
    OpenApiParameter("claimant", str, description="A claimant's slug."),
    OpenApiParameter("relation", str, enum=Relation.values),
    OpenApiParameter("scope", str, enum=Claim.Scope.values),
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="Claims about time on or after this day: cumulative ones as of it or "
        "later, period ones whose period ends on or after it.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="Claims about time on or before this day (as `from`).",
    ),
    OpenApiParameter("stated_from", OpenApiTypes.DATE, description="Stated on or after."),
    OpenApiParameter("stated_to", OpenApiTypes.DATE, description="Stated on or before."),
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Changed at or after this time (ISO 8601; UTC when no offset).",
    ),
]


@extend_schema_view(list=extend_schema(parameters=CLAIM_FILTERS))
class ClaimViewSet(ReadOnly):
    """Published claims: who says what was lost, the figure as written and its bounds, the time
    scope and the sources. In the site's order: as of, period start, stated on (a missing date
    last), then id."""

    serializer_class = s.ClaimSerializer
    pagination_class = ListingPagination
    lookup_field = "external_id"

    def get_queryset(self):
        if self.action == "list":  # the pagination orders them and reads a page's values
            return self.filter(Claim.objects.published())
        citations = ClaimSource.objects.select_related("source").order_by("source__slug", "id")
        return (
            Claim.objects.published()
            .with_relation()
            .select_related("conflict", "claimant", "subject", "category", "event", "place")
            .prefetch_related(Prefetch("citations", queryset=citations))
        )

    def page_values(self, claims):
        return s.claim_values(claims)

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.get_queryset())
        items = s.claim_items(rows, request, self.data_state)
        return self.get_paginated_response(items)

    def filter(self, qs):
        get = self.request.query_params
        if get.get("conflict"):
            qs = qs.filter(conflict__slug=get["conflict"])
        if "subject" in get:
            subject = get["subject"].strip()
            if subject in WHOLE_WAR_WORDS:
                qs = qs.filter(subject__isnull=True)
            else:
                qs = qs.filter(subject__slug=subject)
        if get.get("category"):
            qs = qs.filter(category__slug=get["category"])
        if get.get("claimant"):
            qs = qs.filter(claimant__slug=get["claimant"])
        if relation := _choice(self.request, "relation", Relation.values):
            qs = qs.with_relation_filter(relation)
        if scope := _choice(self.request, "scope", Claim.Scope.values):
            qs = qs.filter(scope=scope)
        if start := _date(self.request, "from"):
            qs = qs.filter(Q(as_of__gte=start) | Q(period_end__gte=start))
        if end := _date(self.request, "to"):
            qs = qs.filter(Q(as_of__lte=end) | Q(period_start__lte=end))
        if stated_from := _date(self.request, "stated_from"):
            qs = qs.filter(stated_on__gte=stated_from)
        if stated_to := _date(self.request, "stated_to"):
            qs = qs.filter(stated_on__lte=stated_to)
        if since := _datetime(self.request, "updated_since"):
            qs = qs.filter(updated_at__gte=since)
        return qs


PEOPLE_FILTERS = [
    OpenApiParameter("q", str, description="Name, in any script or in Latin letters."),
    OpenApiParameter("party", str, description="A party's slug, with the parties inside it."),
    OpenApiParameter("role", str, enum=CasualtyRecord.PersonRole.values),
    OpenApiParameter("outcome", str, enum=CasualtyRecord.Outcome.values),
    OpenApiParameter(
        "category",
        str,
        description="A kind of loss's slug: the people its named floor counts (for a kind "
        "that adds up others, theirs; nobody for a kind that counts no named people).",
    ),
    OpenApiParameter("place", str, description="A place's slug."),
    OpenApiParameter("event", str, description="An event's slug."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Dated on or after."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Dated on or before."),
]


@extend_schema_view(list=extend_schema(parameters=PEOPLE_FILTERS))
class PersonViewSet(ReadOnly):
    """The register of named people: published records, one per person (a record merged into
    another is served as that one). Filters as on /people/. Never a sensitive field."""

    serializer_class = s.PersonSerializer
    lookup_field = "external_id"

    def get_queryset(self):
        if self.action == "list":
            parties = list(Party.objects.only("slug", "parent_id"))
            qs = people_queryset(people_filters(self.request._request), parties)
        else:
            qs = CasualtyRecord.objects.counted()
        return (
            qs.select_related("conflict", "party", "counted_in", "place", "event")
            .prefetch_related("sources")
            .order_by("name_latin", "name", "id")
        )


FIGURE_PARAMETERS = [
    OpenApiParameter(
        "party",
        str,
        description="A party's slug; empty or absent: the whole war (all parties together).",
    ),
    OpenApiParameter(
        "conflict",
        str,
        description="A conflict's slug: needed for the whole war when there is more than one.",
    ),
    OpenApiParameter("category", str, description="A category's slug; absent: every category."),
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATE,
        description="As known on this day: only claims stated by then (not in the future).",
    ),
]


@extend_schema_view(list=extend_schema(parameters=FIGURE_PARAMETERS))
class FigureViewSet(ConditionalMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reconciled figures: the range (lower, best, upper), the named floor, the rule and the
    claims that decided it, and every claim's role, as on the figure pages (methodology)."""

    serializer_class = s.FigureSerializer

    def list(self, request, *args, **kwargs):
        party, conflict, category, as_of = self._scope(request)
        figures = self._figures(request, party, conflict, category, as_of)
        page = self.paginate_queryset(figures)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_queryset(self):  # for the schema only; figures are not rows
        return Claim.objects.none()

    def _scope(self, request):
        get = request.query_params
        party = conflict = category = None
        if slug := get.get("party", "").strip():
            party = Party.objects.select_related("conflict").filter(slug=slug).first()
            if party is None:
                raise ValidationError({"party": "No party with this slug."})
            conflict = party.conflict
        elif slug := get.get("conflict", "").strip():
            conflict = Conflict.objects.filter(slug=slug).first()
            if conflict is None:
                raise ValidationError({"conflict": "No conflict with this slug."})
        else:
            conflicts = list(Conflict.objects.all()[:2])
            if len(conflicts) != 1:
                raise ValidationError({"conflict": "Name the conflict (or a party)."})
            conflict = conflicts[0]
        if slug := get.get("category", "").strip():
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                raise ValidationError({"category": "No category with this slug."})
        as_of = _date(request, "as_of")
        if as_of and as_of > datetime.date.today():
            raise ValidationError({"as_of": "Not in the future."})
        return party, conflict, category, as_of

    def _figures(self, request, party, conflict, category, as_of):
        result = recon.reconcile(
            conflict.pk, as_of=as_of, category_id=category.pk if category else None
        )
        subject_id = party.pk if party else None
        if category is not None:
            found = result.categories.get(category.pk)
            results = [(category.pk, category.slug, category.unit, found)]
        else:
            results = [
                (r.category.id, r.category.slug, r.category.unit, r)
                for r in sorted(result.categories.values(), key=lambda r: r.category.sort_key)
                if r.figure(subject_id) is not None
            ]
        items = [
            (category_id, category_slug, unit,
             (cr.figure(subject_id) if cr else None) or Figure(subject_id, category_id, None))
            for category_id, category_slug, unit, cr in results
        ]  # fmt: skip
        ids = self._external_ids(conflict, subject_id, items, as_of)
        stored = figure_store.roles_in(ids) if as_of is None else None
        out = []
        for category_id, slug_, unit, fig in items:
            if stored is not None:
                roles = stored.get((category_id, subject_id), {})
            else:
                roles = recon.subject_detail(result, category_id, subject_id, claim_ids=ids).roles
            out.append(self._figure(request, conflict, party, slug_, unit, fig, roles, ids, as_of))
        return out

    @staticmethod
    def _external_ids(conflict, subject_id, items, as_of):
        """{claim id: external id} of every claim the figures name, in the site's order: the
        claims about the subject in those categories, and the deciding ones (one query)."""
        about = Q(conflict=conflict, category_id__in=[i[0] for i in items])
        about &= Q(subject__isnull=True) if subject_id is None else Q(subject_id=subject_id)
        deciding = {d for item in items for d in item[3].deciding}
        qs = Claim.objects.published().filter(about | Q(pk__in=deciding))
        return dict(
            qs.order_by("as_of", "period_start", "stated_on", "id").values_list("pk", "external_id")
        )

    @staticmethod
    def _figure(request, conflict, party, category_slug, unit, fig, roles, ids, as_of):
        if party is None:
            url = reverse("casualties:war_figure", args=[conflict.slug, category_slug])
        else:
            url = reverse("casualties:figure", args=[party.slug, category_slug])
        if as_of:
            url += f"?as_of={as_of.isoformat()}"
        return {
            "conflict": conflict.slug,
            "party": party.slug if party else None,
            "category": category_slug,
            "unit": unit,
            "as_of": as_of,
            **fig.as_data(ids),
            "disputed_high": fig.disputed_high,
            "official": fig.official,
            "adversary": fig.adversary,
            "independent": list(fig.independent),
            "claims": [
                {
                    "claim": external_id,
                    "role": roles[pk][0],
                    "label": FigureRole.LABELS.get(roles[pk][0], ""),
                    "note": roles[pk][1],
                }
                for pk, external_id in ids.items()
                if pk in roles
            ],
            "page": request.build_absolute_uri(url),
        }
