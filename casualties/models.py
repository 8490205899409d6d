"""The war's world: conflicts, sides, parties, places, events, categories and named records."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from casualties.changes import NotedHistory
from casualties.concurrency import VersionField


class NaturalKeyManager(models.Manager):
    """Reference tables are addressed by slug in fixtures and CSV files, never by id."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def refuse_cycles(obj, message):
    """A tree node may not be its own ancestor (the constraint only catches itself as parent)."""
    seen, node = {obj.pk}, obj.parent
    while node is not None:
        if node.pk in seen:
            raise ValidationError({"parent": message})
        seen.add(node.pk)
        node = node.parent


class Conflict(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Empty while the war goes on.")
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="casualties_conflict_start_lte_end",
                violation_error_message="The war cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class Side(models.Model):
    """One side of a conflict. Parties on the same side report each other's losses as their own."""

    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="sides")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    @property
    def on_side_text(self) -> str:
        """'on the Azerbaijani side' for a side named 'Azerbaijani side', else 'on the side of
        X' (never 'on the side of Azerbaijani side')."""
        if self.name.lower().endswith(" side"):
            return f"on the {self.name}"
        return f"on the side of {self.name}"


class Party(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", "State or government"
        ARMED_FORCE = "armed_force", "Armed force"
        ARMED_GROUP = "armed_group", "Armed group or fighters"
        POPULATION = "population", "Population group"
        THIRD_COUNTRY = "third_country", "Third country"

    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="parties")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATE)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The wider party this one belongs to, e.g. the Artsakh Defence Army inside Artsakh.",
    )
    side = models.ForeignKey(
        Side,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parties",
        help_text="Empty for parties on no side (third countries, bystanders).",
    )
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="casualties_party_not_own_parent",
                violation_error_message="A party cannot be its own parent.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:party", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        refuse_cycles(self, "A party cannot be inside itself.")


class Place(models.Model):
    class Kind(models.TextChoices):
        CITY = "city", "City or town"
        VILLAGE = "village", "Village"
        REGION = "region", "Region or province"
        COUNTRY = "country", "Country"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(
        max_length=200,
        help_text="Neutral display name. For a contested place give every side's name, "
        "e.g. “Stepanakert / Khankendi”; never only one side's.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CITY)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_contested = models.BooleanField(
        default=False, help_text="Its names differ by side; pages show all of them."
    )

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:place", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class PlaceName(models.Model):
    """One of a place's names, in one language, as used by someone."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=200)
    language = models.CharField(
        max_length=12, help_text="BCP 47 code: en, hy, az, ru, hy-Latn, az-Cyrl…"
    )
    used_by = models.CharField(
        max_length=100,
        blank=True,
        help_text="Who uses this name, e.g. “Armenian usage”, “Azerbaijani usage”; blank if shared.",
    )

    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["place", "language", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "language", "name"], name="casualties_placename_unique"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"


class Event(models.Model):
    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="events")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Leave empty for a single day.")
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="casualties_event_start_lte_end",
                violation_error_message="An event cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:event", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class Category(models.Model):
    """What is counted, as a tree: personnel killed; equipment destroyed › tanks › T-72…"""

    class Kind(models.TextChoices):
        PERSONNEL = "personnel", "Military personnel"
        CIVILIAN = "civilian", "Civilians"
        EQUIPMENT = "equipment", "Equipment"
        ECONOMIC = "economic", "Economic losses"

    class Unit(models.TextChoices):
        PERSONS = "persons", "persons"
        ITEMS = "items", "items"
        USD = "usd", "US dollars"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        DESTROYED = "destroyed", "destroyed"
        DAMAGED = "damaged", "damaged"
        CAPTURED = "captured", "captured"
        ABANDONED = "abandoned", "abandoned"
        DESTROYED_OR_CAPTURED = "destroyed_or_captured", "destroyed or captured"
        DESTROYED_OR_DAMAGED = "destroyed_or_damaged", "destroyed or damaged"
        LOST = "lost", "lost, any outcome"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.PERSONS)
    outcome = models.CharField(
        max_length=30,
        choices=Outcome.choices,
        blank=True,
        default="",
        help_text="Only for equipment: what happened to it.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order among its siblings on public pages."
    )
    adds_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcome_parts",
        help_text="The “lost, any outcome” category this one also adds into, e.g. “Tanks "
        "destroyed” adds to “Tanks lost”. Figures roll up into the parent and into this.",
    )

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="equipment") | Q(outcome=""),
                name="casualties_category_outcome_only_for_equipment",
                violation_error_message="Only equipment categories have an outcome.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="casualties_category_not_own_parent",
                violation_error_message="A category cannot be its own parent.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:category", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        refuse_cycles(self, "A category cannot be inside itself.")
        if self.adds_to_id is not None:
            if self.adds_to_id == self.pk or self.adds_to_id == self.parent_id:
                raise ValidationError(
                    {"adds_to": "Adds to its parent already; choose another category or none."}
                )
            if self.adds_to.outcome != self.Outcome.LOST:
                raise ValidationError(
                    {"adds_to": "Only a “lost, any outcome” category collects other outcomes."}
                )


class CasualtyRecordQuerySet(models.QuerySet):
    def published(self):
        """Records a reviewer published: the only ones on public pages and downloads (merged
        duplicates included; their page points to the record they were merged into)."""
        return self.filter(status=CasualtyRecord.Status.PUBLISHED)

    def counted(self):
        """The records that count towards named floors: published, one row per distinct person
        (a record merged into another is counted through that one)."""
        return self.published().filter(merged_into__isnull=True)

    def known_on(self, day):
        """Records of people dead, missing or hurt by ``day``: dated on or before it; a date
        known only to the month counts from the month's end (“October 2020” is certain only
        on 31 October). Undated records are left out of "as known on" views, as undated
        claims are (methodology)."""
        month = CasualtyRecord.DatePrecision.MONTH
        next_month = (day + datetime.timedelta(days=1)).replace(day=1)
        return self.filter(
            Q(date__lte=day) & ~Q(date_precision=month)
            | Q(date_precision=month, date__lt=next_month)
        )

    def matching(self, text: str):
        """Records whose name, transliterations or aliases contain ``text``, in any script and
        in Latin letters, ignoring case and diacritics (``casualties.names.search_key``)."""
        from casualties.names import search_key, sound_keys

        key = search_key(text)
        if not key:
            return self
        match = Q(search_text__contains=key)
        for sound in sound_keys(text):
            match |= Q(search_text__contains=sound)
        return self.filter(match)

    def in_register(self):
        """The public register: published, not merged away, with what a list row shows."""
        return self.counted().select_related("party", "place", "event")

    def in_review(self):
        return self.filter(status=CasualtyRecord.Status.IN_REVIEW).order_by("id")


class CasualtyRecord(models.Model):
    """One named person: a documented floor beside the official counts."""

    class PersonRole(models.TextChoices):
        """The person's role in the war (not a figure's role in the reconciliation, which is
        ``claims.rules``', nor an editor's role, which is ``claims.roles``)."""

        SERVICEMAN = "serviceman", "Serviceman or servicewoman"
        FIGHTER = "fighter", "Irregular fighter"
        CIVILIAN = "civilian", "Civilian"
        JOURNALIST = "journalist", "Journalist"

    class Outcome(models.TextChoices):
        KILLED = "killed", "killed"
        DIED_OF_WOUNDS = "died_of_wounds", "died of wounds"
        MISSING = "missing", "missing"
        WOUNDED = "wounded", "wounded"
        CAPTURED = "captured", "captured"

    class Status(models.TextChoices):
        # The claims' workflow (claims.models.Claim.Status): draft → in review → published.
        DRAFT = "draft", "draft"
        IN_REVIEW = "in_review", "in review"
        PUBLISHED = "published", "published"
        RETRACTED = "retracted", "retracted"

    class Sex(models.TextChoices):
        MAN = "man", "man"
        WOMAN = "woman", "woman"
        UNKNOWN = "unknown", "unknown"

    class AgeBand(models.TextChoices):
        ADULT = "adult", "adult"
        CHILD = "child", "child"
        UNKNOWN = "unknown", "unknown"

    class IhlStatus(models.TextChoices):
        CIVILIAN = "civilian", "civilian"
        ARMED_FORCES = "armed_forces", "armed forces"
        PARTICIPATING = "participating", "directly participating in hostilities"
        UNKNOWN = "unknown", "unknown"

    class DatePrecision(models.TextChoices):
        DAY = "day", "day"
        MONTH = "month", "month"
        UNKNOWN = "unknown", "unknown"

    class PlacePrecision(models.TextChoices):
        EXACT = "exact", "exact location"
        SETTLEMENT = "settlement", "village or town"
        DISTRICT = "district", "district"
        REGION = "region", "region"
        UNKNOWN = "unknown", "unknown"

    class Corroboration(models.TextChoices):
        CONFIRMED = "confirmed", "confirmed"
        UNDETERMINED = "undetermined", "undetermined"
        REJECTED = "rejected", "rejected"

    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="records")
    external_id = models.SlugField(
        max_length=64, unique=True, help_text="Stable identifier used in imports and citations."
    )
    name = models.CharField(max_length=200, help_text="The name in its own script.")
    name_transliterated = models.CharField(
        max_length=200, blank=True, help_text="Latin transliteration, if the name is not in Latin."
    )
    name_latin = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="Automatic Latin form of the name (anyascii), kept beside the editor's "
        "transliteration; set by the services and the import, never typed.",
    )
    aliases = models.TextField(
        blank=True, help_text="Other spellings and aliases, one per line (any script)."
    )
    search_text = models.TextField(
        blank=True,
        editable=False,
        help_text="Name, transliterations and aliases in lower-case ASCII, for search.",
    )
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    rank = models.CharField(max_length=100, blank=True)
    description = models.CharField(
        max_length=300,
        blank=True,
        help_text="What identifies them, e.g. “European powerlifting champion”.",
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="records")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    date = models.DateField(null=True, blank=True, help_text="Empty when the sources give none.")
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    sources = models.ManyToManyField("claims.Source", blank=True, related_name="records")
    counted_in = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records_counted_here",
        help_text="The party whose figures already count this person, if not their own: e.g. a "
        "foreign citizen killed in a strike on Ganja is inside Azerbaijan's civilian count. "
        "Totals across parties then count them once.",
    )

    # --- what the standards for casualty recording ask for (FIELD.md, ECW 2016) ---
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Age at death in years, if the sources give it."
    )
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    ihl_status = models.CharField(
        "status",
        max_length=20,
        choices=IhlStatus.choices,
        default=IhlStatus.UNKNOWN,
        help_text="Civilian, armed forces, directly participating in hostilities, or unknown.",
    )
    cause = models.CharField(
        max_length=200, blank=True, help_text="Cause of death or weapon, where known."
    )
    date_precision = models.CharField(
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How exact the date is; “unknown” when there is no date.",
    )
    place_precision = models.CharField(
        max_length=12, choices=PlacePrecision.choices, default=PlacePrecision.UNKNOWN
    )
    corroboration = models.CharField(
        max_length=15,
        choices=Corroboration.choices,
        default=Corroboration.UNDETERMINED,
        help_text="Do independent sources agree? Confirmed / undetermined / rejected.",
    )
    died_after_war = models.BooleanField(
        "died after the war of its effects",
        default=False,
        help_text="Died after the war ended of wounds from it, or of a mine or munition it left: "
        "the date may then be after the war's end (methodology: counted by their own rule).",
    )
    # --- sensitive: never on a public page, download or API ---
    date_of_birth = models.DateField(
        null=True, blank=True, help_text="Sensitive: never published. Used to find duplicates."
    )
    private_notes = models.TextField(blank=True, help_text="Sensitive: never published.")
    contact_details = models.TextField(
        blank=True, help_text="Sensitive (family contacts): never published."
    )
    # --- workflow and duplicates ---
    status = models.CharField(
        "publication status", max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    review_note = models.TextField(
        blank=True, help_text="A reviewer's note when sending the record back to draft."
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        help_text="Set by “merge”: this record is the same person as that one, which counts.",
    )

    objects = CasualtyRecordQuerySet.as_manager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory], m2m_fields=[sources])

    # Never on a public page, download or API (tests/casualties/test_people.py crawls for them).
    SENSITIVE_FIELDS = ("date_of_birth", "private_notes", "contact_details")

    class Meta:
        ordering = ["name"]
        permissions = [
            ("publish_casualtyrecord", "Can publish, send back, retract and merge records"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("id")),
                name="casualties_record_not_merged_into_itself",
                violation_error_message="A record cannot be merged into itself.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:person", args=[self.external_id])

    def clean(self):
        from casualties.records import record_errors

        conflict = self.conflict if self.conflict_id else None
        errors = record_errors(
            date=self.date,
            outcome=self.outcome,
            died_after_war=self.died_after_war,
            conflict_start=conflict.start_date if conflict else None,
            conflict_end=conflict.end_date if conflict else None,
            conflict_name=conflict.name if conflict else "",
            date_of_birth=self.date_of_birth,
            age=self.age,
            age_band=self.age_band,
            date_precision=self.date_precision,
        )
        if errors:
            raise ValidationError(errors)


class DistinctPair(models.Model):
    """Two records an editor decided are different people: never suggested as duplicates again.
    ``first`` has the lower id."""

    first = models.ForeignKey(CasualtyRecord, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(CasualtyRecord, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)

    version = VersionField()
    history = HistoricalRecords()  # an editor's judgement, changes no public row

    class Meta:
        verbose_name = "pair of different people"
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="casualties_distinct_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="casualties_distinct_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.first_id} ≠ {self.second_id}"


class DataChange(models.Model):
    """A write not yet followed by the stored figures (``casualties.changes``): appended in the
    writing transaction, consumed by ``claims.refresh``."""

    created_at = models.DateTimeField(auto_now_add=True)
    model = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True)
    conflict_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.reason[:80]


class DataState(models.Model):
    """One row: the state of the public data. ``generation`` moves on with every batch of
    writes the figures have followed; ``epoch`` is new after every rebuild and every restore, so
    a state token (``token``) is never reused, even when a restore brings back old ids."""

    epoch = models.CharField(max_length=32)
    generation = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.token

    @property
    def token(self) -> str:
        return f"{self.epoch}-{self.generation}"
