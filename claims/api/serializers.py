"""What each API resource shows: the public columns, identified by slugs and external ids.

Never here: a claim's editor's note or reviewer's note, a record's sensitive fields
(``CasualtyRecord.SENSITIVE_FIELDS``), review notes, row versions, database ids.
tests/api/test_crawl.py walks every resource looking for them.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casualties.models import CasualtyRecord, Category, Conflict, Event, Party, Place, PlaceName
from claims.models import Claim, Claimant, ClaimSource, Relation, Source


def slug_of(field="slug", **kwargs):
    return serializers.SlugRelatedField(read_only=True, slug_field=field, **kwargs)


class PageUrlMixin(serializers.Serializer):
    """The object's public page on the site, as an absolute URL."""

    page = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_page(self, obj) -> str:
        request = self.context.get("request")
        url = obj.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class ConflictSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conflict
        fields = ["slug", "name", "start_date", "end_date", "description"]


class PartySerializer(PageUrlMixin, serializers.ModelSerializer):
    conflict = slug_of()
    parent = slug_of(allow_null=True)
    side = slug_of(allow_null=True)

    class Meta:
        model = Party
        fields = ["slug", "name", "kind", "conflict", "parent", "side", "description", "page"]


class CategorySerializer(PageUrlMixin, serializers.ModelSerializer):
    parent = slug_of(allow_null=True)
    adds_to = slug_of(allow_null=True)

    class Meta:
        model = Category
        fields = [
            "slug", "name", "kind", "unit", "outcome", "parent", "adds_to", "position", "page",
        ]  # fmt: skip


class ClaimantSerializer(PageUrlMixin, serializers.ModelSerializer):
    party = slug_of(allow_null=True)

    class Meta:
        model = Claimant
        fields = ["slug", "name", "kind", "party", "description", "page"]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "slug", "title", "publisher", "url", "archive_url", "published_on", "accessed_on",
            "language", "note",
        ]  # fmt: skip


class EventSerializer(PageUrlMixin, serializers.ModelSerializer):
    conflict = slug_of()
    place = slug_of(allow_null=True)

    class Meta:
        model = Event
        fields = [
            "slug",
            "name",
            "conflict",
            "start_date",
            "end_date",
            "place",
            "description",
            "page",
        ]


class PlaceNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaceName
        fields = ["name", "language", "used_by"]


class PlaceSerializer(PageUrlMixin, serializers.ModelSerializer):
    parent = slug_of(allow_null=True)
    names = PlaceNameSerializer(many=True, read_only=True)

    class Meta:
        model = Place
        fields = ["slug", "name", "kind", "parent", "is_contested", "names", "page"]


class CitationSerializer(serializers.ModelSerializer):
    source = slug_of()

    class Meta:
        model = ClaimSource
        fields = ["source", "locator"]


class ClaimSerializer(PageUrlMixin, serializers.ModelSerializer):
    conflict = slug_of()
    claimant = slug_of()
    subject = slug_of(allow_null=True, help_text="The party whose losses; null: the whole war.")
    category = slug_of()
    event = slug_of(allow_null=True)
    place = slug_of(allow_null=True)
    relation = serializers.ChoiceField(
        Relation.choices,
        source="relation_sql",
        read_only=True,
        help_text="How the claimant stands to the subject (derived).",
    )
    sources = CitationSerializer(many=True, read_only=True, source="citations")

    class Meta:
        model = Claim
        fields = [
            "external_id", "conflict", "claimant", "subject", "category", "relation",
            "figure_text", "lower", "best", "upper", "qualifier", "scope", "as_of",
            "period_start", "period_end", "stated_on", "event", "place", "quote", "assessment",
            "assessment_note", "accepted", "acceptance_reason", "sources", "created_at",
            "updated_at", "page",
        ]  # fmt: skip


class PersonSerializer(PageUrlMixin, serializers.ModelSerializer):
    conflict = slug_of()
    party = slug_of()
    counted_in = slug_of(allow_null=True)
    place = slug_of(allow_null=True)
    event = slug_of(allow_null=True)
    sources = slug_of(many=True)
    aliases = serializers.SerializerMethodField()
    status = serializers.ChoiceField(
        CasualtyRecord.IhlStatus.choices,
        source="ihl_status",
        read_only=True,
        help_text="Civilian, armed forces, directly participating in hostilities, or unknown.",
    )

    class Meta:
        model = CasualtyRecord
        # Public columns only: never date_of_birth, private_notes or contact_details.
        fields = [
            "external_id", "conflict", "name", "name_transliterated", "name_latin", "aliases",
            "role", "rank", "description", "party", "counted_in", "outcome", "date",
            "date_precision", "died_after_war", "place", "place_precision", "event", "sex",
            "age", "age_band", "status", "cause", "corroboration", "sources", "page",
        ]  # fmt: skip

    def get_aliases(self, obj) -> list[str]:
        return [a.strip() for a in obj.aliases.splitlines() if a.strip()]


assert not set(PersonSerializer.Meta.fields) & set(CasualtyRecord.SENSITIVE_FIELDS)


# --- figures (built from ``claims.rules.Figure``, not from a model) ---------------------------


class ClaimRefSerializer(serializers.Serializer):
    claim = serializers.CharField(source="external_id", help_text="The claim's external id.")
    claimant = serializers.CharField(source="claimant_slug")
    figure_text = serializers.CharField()
    lower = serializers.IntegerField(allow_null=True)
    best = serializers.IntegerField(allow_null=True)
    upper = serializers.IntegerField(allow_null=True)
    part = serializers.CharField(help_text="For a claim about a part of the war: which.")


class ClaimRoleSerializer(serializers.Serializer):
    claim = serializers.CharField(help_text="The claim's external id.")
    role = serializers.CharField(
        help_text="floor, upper, counted, estimate, part, superseded, held_out, disputed, "
        "discounted or no_bound (docs/api.md)."
    )
    label = serializers.CharField(help_text="The role in words, as the figure page shows it.")
    note = serializers.CharField(help_text="Why, where the rule gives a reason.")


class FigureSerializer(serializers.Serializer):
    conflict = serializers.CharField()
    party = serializers.CharField(allow_null=True, help_text="null: the whole war, all parties.")
    category = serializers.CharField()
    unit = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    lower = serializers.IntegerField(allow_null=True, help_text="The documented floor.")
    best = serializers.IntegerField(allow_null=True)
    upper = serializers.IntegerField(allow_null=True, help_text="null: open.")
    text = serializers.CharField(help_text="The range in words: “at least 3,825”.")
    named_floor = serializers.IntegerField(
        help_text="Named, published people counted in this figure (a floor of its own)."
    )
    claims_lower = serializers.IntegerField(
        allow_null=True, help_text="The floor from claims alone (without named people)."
    )
    basis = serializers.CharField(help_text="claims, rollup (sum of parts), records or none.")
    derived = serializers.BooleanField()
    rule = serializers.CharField(help_text="The rule that decided the figure, in words.")
    deciding = serializers.ListField(
        child=serializers.CharField(), help_text="External ids of the claims that decided it."
    )
    claim_count = serializers.IntegerField()
    disputed = serializers.IntegerField()
    held_out = serializers.IntegerField()
    disputed_high = serializers.IntegerField(allow_null=True)
    official = ClaimRefSerializer(allow_null=True)
    adversary = ClaimRefSerializer(allow_null=True)
    independent = ClaimRefSerializer(many=True)
    claims = ClaimRoleSerializer(many=True, help_text="Every claim about it and its role.")
    page = serializers.URLField()
