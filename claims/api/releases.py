"""/api/v1/releases/ and /api/v1/changes/: pinned releases and the feed of public changes.

A release's claims, people and figures are read from the rows it pinned (``claims.releases``),
never from the live tables: the answers for a release are the same before and after any edit.
Queries on a page of release claims: the release, the page's positions, its rows, their
citations (and the reference tables of the release once, then cached for good); the count is
the release's.
"""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError

from casualties.models import CasualtyRecord as R
from claims import changes, releases
from claims.api.caching import ConditionalMixin
from claims.models import Claim, Relation
from claims.release_models import Release

# --- serializers (of the dicts built by claims.releases) -------------------------------------


class ReleaseSerializer(serializers.ModelSerializer):
    claims = serializers.IntegerField(source="counts.claims", read_only=True)
    people = serializers.IntegerField(source="counts.people", read_only=True)
    page = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = ["name", "note", "cut_at", "claims", "people", "page"]

    def get_page(self, obj) -> str:
        request = self.context.get("request")
        url = obj.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class ReleaseCitationSerializer(serializers.Serializer):
    source = serializers.CharField()
    locator = serializers.CharField(allow_blank=True)


class ReleaseClaimSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    conflict = serializers.CharField()
    claimant = serializers.CharField()
    subject = serializers.CharField(allow_null=True, help_text="null: the whole war.")
    category = serializers.CharField()
    relation = serializers.ChoiceField(Relation.choices)
    figure_text = serializers.CharField()
    lower = serializers.IntegerField(allow_null=True)
    best = serializers.IntegerField(allow_null=True)
    upper = serializers.IntegerField(allow_null=True)
    qualifier = serializers.ChoiceField(Claim.Qualifier.choices)
    scope = serializers.ChoiceField(Claim.Scope.choices)
    as_of = serializers.DateField(allow_null=True)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    stated_on = serializers.DateField(allow_null=True)
    event = serializers.CharField(allow_null=True)
    place = serializers.CharField(allow_null=True)
    quote = serializers.CharField(allow_blank=True)
    assessment = serializers.ChoiceField(Claim.Assessment.choices)
    assessment_note = serializers.CharField(allow_blank=True)
    accepted = serializers.BooleanField()
    acceptance_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sources = ReleaseCitationSerializer(many=True)


class ReleasePersonSerializer(serializers.Serializer):
    """The people API's fields, less ``page``; never a sensitive field."""

    external_id = serializers.CharField()
    conflict = serializers.CharField()
    name = serializers.CharField()
    name_transliterated = serializers.CharField(allow_blank=True)
    name_latin = serializers.CharField(allow_blank=True)
    aliases = serializers.ListField(child=serializers.CharField())
    role = serializers.ChoiceField(R.PersonRole.choices)
    rank = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    party = serializers.CharField()
    counted_in = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(R.Outcome.choices)
    date = serializers.DateField(allow_null=True)
    date_precision = serializers.ChoiceField(R.DatePrecision.choices)
    died_after_war = serializers.BooleanField()
    place = serializers.CharField(allow_null=True)
    place_precision = serializers.ChoiceField(R.PlacePrecision.choices)
    event = serializers.CharField(allow_null=True)
    sex = serializers.ChoiceField(R.Sex.choices)
    age = serializers.IntegerField(allow_null=True)
    age_band = serializers.ChoiceField(R.AgeBand.choices)
    status = serializers.ChoiceField(
        R.IhlStatus.choices,
        help_text="Civilian, armed forces, directly participating in hostilities, or unknown.",
    )
    cause = serializers.CharField(allow_blank=True)
    corroboration = serializers.ChoiceField(R.Corroboration.choices)
    sources = serializers.ListField(child=serializers.CharField())


assert not set(ReleasePersonSerializer().get_fields()) & set(R.SENSITIVE_FIELDS)


class ReleaseFigureSerializer(serializers.Serializer):
    conflict = serializers.CharField()
    party = serializers.CharField(allow_null=True, help_text="null: the whole war, all parties.")
    category = serializers.CharField()
    unit = serializers.CharField()
    lower = serializers.IntegerField(allow_null=True, help_text="The documented floor.")
    best = serializers.IntegerField(allow_null=True)
    upper = serializers.IntegerField(allow_null=True, help_text="null: open.")
    text = serializers.CharField()
    named_floor = serializers.IntegerField()
    claims_lower = serializers.IntegerField(allow_null=True)
    basis = serializers.CharField()
    derived = serializers.BooleanField()
    rule = serializers.CharField()
    deciding = serializers.ListField(child=serializers.CharField())
    claim_count = serializers.IntegerField()
    disputed = serializers.IntegerField()
    held_out = serializers.IntegerField()


class ChangeSerializer(serializers.Serializer):
    object = serializers.ChoiceField(["claim", "person"])
    external_id = serializers.CharField()
    action = serializers.ChoiceField(["published", "changed", "retracted"])
    status = serializers.CharField(
        help_text="The status after the change: published; or for a retraction retracted, "
        "draft, in_review, merged or deleted."
    )
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="The public fields that changed (changed only)."
    )
    at = serializers.DateTimeField(help_text="When (the history row's time).")
    reason = serializers.CharField(allow_blank=True, help_text="Why, as the editor wrote it.")


# --- views -----------------------------------------------------------------------------------


class ReleaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Releases: the published data pinned as it stood when each was cut, newest first."""

    serializer_class = ReleaseSerializer
    queryset = Release.objects.order_by("-cut_at", "-id")
    lookup_field = "name"
    lookup_value_regex = "[-a-zA-Z0-9_]+"


RELEASE_PARAMETER = OpenApiParameter(
    "release", str, OpenApiParameter.PATH, description="The release's name."
)


class InRelease(ConditionalMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list read from one release's pinned rows."""

    def release(self):
        found = Release.objects.filter(name=self.kwargs["release"]).first()
        if found is None:
            raise NotFound("No release with this name.")
        return found


@extend_schema_view(list=extend_schema(parameters=[RELEASE_PARAMETER]))
class ReleaseClaimViewSet(InRelease):
    """The published claims of a release, as they stood at the cut, in the site's order."""

    serializer_class = ReleaseClaimSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Claim.objects.none()
        return releases.release_claims(self.release())

    def list(self, request, *args, **kwargs):
        release = self.release()
        page = self.paginate_queryset(releases.ReleaseClaims(release))
        items = releases.claim_items(release, page)
        return self.get_paginated_response(self.get_serializer(items, many=True).data)


@extend_schema_view(list=extend_schema(parameters=[RELEASE_PARAMETER]))
class ReleasePersonViewSet(InRelease):
    """The register of a release: published people, one per person, as at the cut."""

    serializer_class = ReleasePersonSerializer

    def get_queryset(self):
        return Claim.objects.none()  # for the schema; the list reads the release

    def list(self, request, *args, **kwargs):
        release = self.release()
        page = self.paginate_queryset(releases.release_people(release))
        items = releases.person_items(release, page)
        return self.get_paginated_response(self.get_serializer(items, many=True).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            RELEASE_PARAMETER,
            OpenApiParameter("party", str, description="A party's slug; `all`: the whole war."),
            OpenApiParameter("category", str, description="A category's slug."),
        ]
    )
)
class ReleaseFigureViewSet(InRelease):
    """The reconciled figures of a release, computed at the cut from its claims and people."""

    serializer_class = ReleaseFigureSerializer

    def get_queryset(self):
        return Claim.objects.none()  # for the schema; figures are not rows

    def list(self, request, *args, **kwargs):
        figures = releases.release_figures(self.release())
        get = request.query_params
        if party := get.get("party", "").strip():
            figures = [f for f in figures if (f["party"] or "all") == party]
        if category := get.get("category", "").strip():
            figures = [f for f in figures if f["category"] == category]
        page = self.paginate_queryset(figures)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Changes after this time (ISO 8601; UTC when no offset).",
            ),
            OpenApiParameter("release", str, description="Changes after this release was cut."),
        ]
    )
)
class ChangeViewSet(ConditionalMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Published edits and retractions of claims and people since a time or a release (neither:
    since the beginning): what, when and why, oldest first."""

    serializer_class = ChangeSerializer

    def get_queryset(self):
        return Claim.objects.none()  # for the schema; changes are not rows

    def list(self, request, *args, **kwargs):
        get = request.query_params
        since = None
        if raw := get.get("since", "").strip():
            try:
                since = datetime.datetime.fromisoformat(raw)
            except ValueError:
                raise ValidationError({"since": "A time like 2020-10-17T12:00:00Z."}) from None
            if since.tzinfo is None:
                since = since.replace(tzinfo=datetime.UTC)
            try:
                # In UTC before it reaches the database: PostgreSQL refuses offsets beyond
                # ±15:59 that Python accepts ("-22:15").
                since = since.astimezone(datetime.UTC)
            except OverflowError:
                raise ValidationError({"since": "A time like 2020-10-17T12:00:00Z."}) from None
        elif name := get.get("release", "").strip():
            release = Release.objects.filter(name=name).first()
            if release is None:
                raise ValidationError({"release": "No release with this name."})
            since = release.cut_at
        else:  # neither: every change there is
            since = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        page = self.paginate_queryset(changes.changes(since))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
