"""What each API resource shows: the public columns, identified by slugs and external ids.

Never here: a claim's editor's note or reviewer's note, a record's sensitive fields
(``CasualtyRecord.SENSITIVE_FIELDS``), review notes, row versions, database ids.
tests/api/test_crawl.py walks every resource looking for them.
"""

from collections import defaultdict

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casualties.models import CasualtyRecord, Category, Conflict, Event, Party, Place, PlaceName
from claims.models import Claim, Claimant, ClaimSource, Relation, Source, relation_of


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


# The fields of a claim, in ``ClaimSerializer``'s order: read as values (True), or looked up
# in the reference tables (False: their slugs, the relation) or the citations ("sources"), or
# built ("page").
CLAIM_FIELDS = {
    "external_id": True, "conflict": False, "claimant": False, "subject": False,
    "category": False, "relation": False, "figure_text": True, "lower": True, "best": True,
    "upper": True, "qualifier": True, "scope": True, "as_of": True, "period_start": True,
    "period_end": True, "stated_on": True, "event": False, "place": False, "quote": True,
    "assessment": True, "assessment_note": True, "accepted": True, "acceptance_reason": True,
    "sources": False, "created_at": True, "updated_at": True, "page": False,
}  # fmt: skip
assert list(CLAIM_FIELDS) == ClaimSerializer.Meta.fields
REFERENCES = {"conflict": Conflict, "claimant": Claimant, "subject": Party, "category": Category,
              "event": Event, "place": Place}  # fmt: skip


def claim_values(claims):
    """``claims`` as the values ``claim_items`` reads: no join, so a page of them is one index
    scan (joining the six tables its slugs come from took longer to plan than to run)."""
    columns = [f for f, read in CLAIM_FIELDS.items() if read]
    return claims.values("id", *columns, *(f"{f}_id" for f in REFERENCES))


def reference_slugs(state=None) -> dict:
    """{field: {id: slug}} of the tables a claim names, and each claimant's party and each
    party's side (for the relation). Small tables: cached under the data ``state``, which every
    write to them moves on (casualties/changes.py)."""

    def read():  # one query a table
        refs = {f: {} for f in REFERENCES}
        refs["claimant_party"], refs["party_side"] = {}, {}
        for field, model in REFERENCES.items():
            extra = {"claimant": "party_id", "subject": "side_id"}.get(field)
            for pk, slug, *more in model.objects.order_by().values_list(
                "id", "slug", *([extra] if extra else [])
            ):
                refs[field][pk] = slug
                if extra:
                    refs["claimant_party" if field == "claimant" else "party_side"][pk] = more[0]
        return refs

    if state is None:
        return read()
    return cache.get_or_set(f"api-claim-references:{state.token}", read)


def claim_items(rows, request, state=None) -> list[dict]:
    """Claims as ``ClaimSerializer`` shows them, from their ``claim_values`` ``rows``, the
    reference tables (``reference_slugs``) and their citations (one query). A page of 1,000
    through the serializer took most of a walk's time; tests/api/test_pagination.py checks
    both give the same answer."""
    citations: dict[int, list] = defaultdict(list)
    for claim_id, source, locator in (
        ClaimSource.objects.filter(claim_id__in=[row["id"] for row in rows])
        .order_by("source__slug", "id")
        .values_list("claim_id", "source__slug", "locator")
    ):
        citations[claim_id].append({"source": source, "locator": locator})
    refs = reference_slugs(state)
    party_side, claimant_party = refs["party_side"], refs["claimant_party"]
    relations = {}

    def relation(claimant_id, subject_id):
        pair = (claimant_id, subject_id)
        if pair not in relations:
            party = claimant_party.get(claimant_id)
            relations[pair] = str(
                relation_of(party, party_side.get(party), subject_id, party_side.get(subject_id))
            )
        return relations[pair]

    tz = timezone.get_current_timezone()  # as DRF's DateTimeField shows them, faster
    page = request.build_absolute_uri(reverse("casualties:claim", args=["-"]))
    prefix, suffix = page.rsplit("-", 1)
    out = []
    for row in rows:
        item = {f: refs[f].get(row[f"{f}_id"]) for f in REFERENCES}
        item["relation"] = relation(row["claimant_id"], row["subject_id"])
        for field in ("as_of", "period_start", "period_end", "stated_on"):
            if row[field] is not None:
                item[field] = row[field].isoformat()
        for field in ("created_at", "updated_at"):
            text = row[field].astimezone(tz).isoformat()
            item[field] = text[:-6] + "Z" if text.endswith("+00:00") else text
        item["sources"] = citations[row["id"]]
        item["page"] = f"{prefix}{row['external_id']}{suffix}"
        out.append({f: item[f] if f in item else row[f] for f in CLAIM_FIELDS})
    return out


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
