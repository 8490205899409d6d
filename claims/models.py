"""Claimants, sources and claims: who says what was lost, where it was published."""

import datetime
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from simple_history.models import HistoricalRecords

from casualties.changes import NotedHistory
from casualties.concurrency import VersionField
from casualties.models import Category, Conflict, Event, NaturalKeyManager, Party, Place
from casualties.validators import HTTP_URL_Q, validate_http_url


class Relation(models.TextChoices):
    """How the claimant stands to the party whose losses it reports. Derived, never typed."""

    SELF = "self", "self-report"
    ADVERSARY = "adversary", "adversary claim"
    INDEPENDENT = "independent", "independent"
    PARTISAN = "partisan", "a belligerent's figure for the whole war"


def derive_relation(claimant_party, subject):
    """The relation of a claimant's party (None for independents) to a subject party (None:
    the whole war, all parties).

    Same party or same side: a self-report. Both on sides, and different ones: an adversary
    claim. Anything else (no party, or a party on no side): independent. A claimant on a side
    speaking for the whole war (its own losses and the enemy's together): partisan, which
    counts like an adversary claim (shown, not counted unless accepted).
    Mirrors ``ClaimQuerySet.with_relation`` which does the same in SQL.
    """
    return relation_of(
        claimant_party.pk if claimant_party else None,
        claimant_party.side_id if claimant_party else None,
        subject.pk if subject else None,
        subject.side_id if subject else None,
    )


def relation_of(party_id, party_side_id, subject_id, subject_side_id) -> str:
    """``derive_relation`` on ids: the claimant's party and its side (None: independent), the
    subject and its side (None: the whole war)."""
    if party_id is None:
        return Relation.INDEPENDENT
    if subject_id is None:
        return Relation.PARTISAN if party_side_id is not None else Relation.INDEPENDENT
    if party_id == subject_id:
        return Relation.SELF
    if party_side_id is not None and subject_side_id is not None:
        if party_side_id == subject_side_id:
            return Relation.SELF
        return Relation.ADVERSARY
    return Relation.INDEPENDENT


class Claimant(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", "Government or official body"
        MILITARY = "military", "Armed forces"
        MEDIA = "media", "Media"
        NGO = "ngo", "Non-governmental organisation"
        INDIVIDUAL = "individual", "Individual"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimants",
        help_text="The party it speaks for (its government, army or media). Empty if independent.",
    )
    description = models.TextField(blank=True)

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:claimant", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def is_independent(self):
        return self.party_id is None


class Source(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(
        max_length=1000, blank=True, validators=[validate_http_url], help_text="http or https only."
    )
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    archive_url = models.URLField(
        max_length=1000,
        blank=True,
        validators=[validate_http_url],
        help_text="A copy in a web archive; http or https only.",
    )
    language = models.CharField(
        max_length=12, default="en", help_text="BCP 47 code: en, hy, az, ru…"
    )
    note = models.TextField(blank=True)

    objects = NaturalKeyManager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=HTTP_URL_Q("url"),
                name="claims_source_url_http",
                violation_error_message="The URL must start with http:// or https://.",
            ),
            models.CheckConstraint(
                condition=HTTP_URL_Q("archive_url"),
                name="claims_source_archive_url_http",
                violation_error_message="The archive URL must start with http:// or https://.",
            ),
            models.CheckConstraint(
                condition=Q(accessed_on__isnull=True)
                | Q(published_on__isnull=True)
                | Q(accessed_on__gte=F("published_on")),
                name="claims_source_accessed_after_published",
                violation_error_message="A source cannot be accessed before it was published.",
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)


WHOLE_WAR = "the whole war (all parties)"
# Shown beside the figure, counted only once an editor accepts them with a reason.
DISPUTED = frozenset({Relation.ADVERSARY, Relation.PARTISAN})


def new_external_id():
    return f"c-{secrets.token_hex(5)}"


# The claims' listing order (the API, its walks and a release's claims): as of, period start,
# stated on, id, a missing date last (PostgreSQL's order of NULLs, made explicit so SQLite
# agrees). As expressions that are never NULL, so a page can start *after* a row with one row
# comparison the index below seeks to (claims/api/pagination.py).
NO_DATE = datetime.date.max
LISTING_DATES = ("as_of", "period_start", "stated_on")


def listing_keys(prefix: str = "") -> list:
    """The listing order's keys, as expressions (``prefix``: the path to a claim's columns)."""
    dates = [Coalesce(F(f"{prefix}{name}"), Value(NO_DATE)) for name in LISTING_DATES]
    return [*dates, F(f"{prefix}id")]


def listing_order(dates, pk) -> tuple:
    """A claim's place in the listing order, in Python: its ``LISTING_DATES`` and id."""
    return (*(NO_DATE if d is None else d for d in dates), pk)


class ClaimQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Claim.Status.PUBLISHED)

    def in_review(self):
        """The reviewers' queue: waiting longest first."""
        return self.filter(status=Claim.Status.IN_REVIEW).order_by("updated_at", "id")

    def drafts_of(self, user):
        """Drafts ``user`` wrote or changed (a history row of theirs), latest change first;
        those a reviewer sent back carry a ``review_note``."""
        touched = Claim.history.filter(history_user=user).values("id")
        return self.filter(status=Claim.Status.DRAFT, pk__in=touched).order_by("-updated_at")

    def about(self, party):
        return self.filter(subject=party)

    def in_category(self, category):
        return self.filter(category=category)

    def known_on(self, day):
        """Claims a reader could have seen on ``day``: stated by then (undated ones are excluded)."""
        return self.filter(stated_on__lte=day)

    def in_listing_order(self):
        """In the listing order (``listing_keys``), which the index
        ``claims_claim_listing_idx`` hands over already sorted for published claims."""
        return self.order_by(*listing_keys())

    def with_relation(self):
        """Annotate ``relation_sql`` with the derived relation, computed in the database.

        Must agree with ``derive_relation``; tests check both on the same rows.
        """
        return self.annotate(
            relation_sql=Case(
                When(claimant__party__isnull=True, then=Value(Relation.INDEPENDENT)),
                When(
                    subject__isnull=True,
                    claimant__party__side__isnull=False,
                    then=Value(Relation.PARTISAN),
                ),
                When(subject__isnull=True, then=Value(Relation.INDEPENDENT)),
                When(claimant__party_id=F("subject_id"), then=Value(Relation.SELF)),
                When(
                    claimant__party__side__isnull=False,
                    subject__side__isnull=False,
                    claimant__party__side_id=F("subject__side_id"),
                    then=Value(Relation.SELF),
                ),
                When(
                    claimant__party__side__isnull=False,
                    subject__side__isnull=False,
                    then=Value(Relation.ADVERSARY),
                ),
                default=Value(Relation.INDEPENDENT),
                output_field=models.CharField(),
            )
        )

    def with_relation_filter(self, relation):
        return self.with_relation().filter(relation_sql=relation)

    def for_listing(self):
        """With what a list of claims shows. The event and place come in their own queries
        (none when no claim of the page has one): with them joined too, PostgreSQL spent ten
        times longer choosing the order of eight joins than running the query."""
        return self.select_related(
            "conflict", "claimant", "claimant__party", "subject", "category"
        ).prefetch_related("event", "place")


class Claim(models.Model):
    """Claimant says that subject lost figure of category, in a time scope, citing sources."""

    class Qualifier(models.TextChoices):
        EXACT = "exact", "exact"
        AT_LEAST = "at_least", "at least"
        MORE_THAN = "more_than", "more than"
        AT_MOST = "at_most", "at most / up to"
        ABOUT = "about", "about"
        RANGE = "range", "range"
        UNREADABLE = "unreadable", "not a number (see the words)"

    class Scope(models.TextChoices):
        CUMULATIVE = "cumulative", "cumulative, as of a date"
        PERIOD = "period", "a period"

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        IN_REVIEW = "in_review", "in review"
        PUBLISHED = "published", "published"
        RETRACTED = "retracted", "retracted"

    class Assessment(models.TextChoices):
        """Credibility, in the spirit of Airwars' grading."""

        NOT_ASSESSED = "not_assessed", "not assessed"
        CONFIRMED = "confirmed", "confirmed: independently verified"
        FAIR = "fair", "fair: credible, reported by more than one source"
        WEAK = "weak", "weak: single source, unverified"
        CONTESTED = "contested", "contested: credible sources disagree"
        DISCOUNTED = "discounted", "discounted: shown to be wrong"

    external_id = models.SlugField(
        max_length=64,
        unique=True,
        default=new_external_id,
        help_text="Stable identifier for citations and imports; never reused.",
    )
    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(Claimant, on_delete=models.PROTECT, related_name="claims")
    subject = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_about",
        help_text="The party whose losses are counted. Empty: the whole war, all parties "
        "together (e.g. a research programme's estimate of all battle-related deaths).",
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="claims")
    figure_text = models.CharField(
        "figure as written",
        max_length=200,
        help_text="The figure in the source's words: “up to 100”, “300 to 400”, “14.000”. "
        "The bounds are filled in from it; correct them if they were misread.",
    )
    lower = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Smallest value the words allow; empty if open."
    )
    upper = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Largest value the words allow; empty if open."
    )
    best = models.PositiveBigIntegerField(
        "best value",
        null=True,
        blank=True,
        help_text="The source's central estimate, where it gives one: “about 70,000” → 70,000; "
        "“6,500 (5,900–7,100)” → 6,500. An exact figure is its own best. Filled in from the words.",
    )
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.CUMULATIVE)
    as_of = models.DateField(
        null=True,
        blank=True,
        help_text="For a cumulative figure: the date it counts up to. Empty if the source gives none.",
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    stated_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the claimant made the claim public; drives the “as known on” view.",
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    sources = models.ManyToManyField(Source, through="ClaimSource", related_name="claims")
    quote = models.TextField("verbatim quote", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    assessment = models.CharField(
        max_length=20, choices=Assessment.choices, default=Assessment.NOT_ASSESSED
    )
    assessment_note = models.TextField(blank=True)
    accepted = models.BooleanField(
        "accepted adversary claim",
        default=False,
        help_text="Let this adversary claim move the reconciled figure. Needs a written reason.",
    )
    acceptance_reason = models.TextField(blank=True)
    note = models.TextField("editor's note", blank=True)
    review_note = models.TextField(
        "reviewer's note",
        blank=True,
        default="",
        help_text="Why a reviewer sent this claim back to draft; set by “send back”.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()
    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        ordering = ["as_of", "stated_on", "id"]
        permissions = [
            ("publish_claim", "Can publish, send back and retract claims"),
            ("restore_revision", "Can restore an old revision of any object"),
        ]
        indexes = [
            models.Index(
                fields=["status", "subject", "category", "claimant"],
                name="claims_claim_reconcile_idx",
            ),
            # A figure page lists one subject and category's published claims in this order,
            # a page at a time: the index hands them over already sorted.
            models.Index(
                fields=["subject", "category", "as_of", "period_start", "stated_on", "id"],
                condition=Q(status="published"),
                name="claims_claim_figure_page_idx",
            ),
            # So do a claimant's page and an event's.
            models.Index(
                fields=["claimant", "as_of", "period_start", "stated_on", "id"],
                condition=Q(status="published"),
                name="claims_claim_claimant_page_idx",
            ),
            models.Index(
                fields=["event", "as_of", "period_start", "stated_on", "id"],
                condition=Q(status="published"),
                name="claims_claim_event_page_idx",
            ),
            # The API's pages of published claims (``in_listing_order``): a page starts where
            # the index seeks to, and counting them reads this index alone. The dates are
            # included as themselves so PostgreSQL can answer from the index only.
            models.Index(
                *listing_keys(),
                condition=Q(status="published"),
                include=LISTING_DATES,
                name="claims_claim_listing_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lower__isnull=True) | Q(upper__isnull=True) | Q(lower__lte=F("upper")),
                name="claims_claim_low_lte_high",
                violation_error_message="The lower bound cannot be above the upper bound.",
            ),
            models.CheckConstraint(
                condition=Q(best__isnull=True)
                | (
                    (Q(lower__isnull=True) | Q(lower__lte=F("best")))
                    & (Q(upper__isnull=True) | Q(upper__gte=F("best")))
                ),
                name="claims_claim_best_within_bounds",
                violation_error_message="The best value must lie within the bounds.",
            ),
            models.CheckConstraint(
                condition=Q(scope="cumulative", period_start__isnull=True, period_end__isnull=True)
                | Q(
                    scope="period",
                    as_of__isnull=True,
                    period_start__isnull=False,
                    period_end__isnull=False,
                    period_start__lte=F("period_end"),
                ),
                name="claims_claim_scope_dates",
                violation_error_message="A cumulative claim has an “as of” date and no period; "
                "a period claim has a start and an end, the start not after the end.",
            ),
            models.CheckConstraint(
                condition=Q(qualifier="unreadable", lower__isnull=True, upper__isnull=True)
                | (~Q(qualifier="unreadable") & (Q(lower__isnull=False) | Q(upper__isnull=False))),
                name="claims_claim_bounds_match_qualifier",
                violation_error_message="A figure needs at least one bound, "
                "unless it is marked as not a number.",
            ),
            models.CheckConstraint(
                condition=Q(accepted=False) | ~Q(acceptance_reason=""),
                name="claims_claim_accepted_needs_reason",
                violation_error_message="Accepting an adversary claim needs a written reason.",
            ),
            models.CheckConstraint(
                condition=~Q(figure_text=""),
                name="claims_claim_figure_text_required",
                violation_error_message="Give the figure as written.",
            ),
        ]

    def __str__(self):
        return f"{self.external_id}: {self.figure_text}"

    def get_absolute_url(self):
        return reverse("casualties:claim", args=[self.external_id])

    @property
    def subject_name(self) -> str:
        """The subject as pages show it: its name, or the whole war."""
        return self.subject.name if self.subject_id else WHOLE_WAR

    @property
    def figure_url(self) -> str:
        """The page of the figure this claim is about (a party's, or the whole war's)."""
        if self.subject_id is None:
            return reverse("casualties:war_figure", args=[self.conflict.slug, self.category.slug])
        return reverse("casualties:figure", args=[self.subject.slug, self.category.slug])

    @property
    def relation(self):
        return derive_relation(self.claimant.party, self.subject)

    @property
    def scope_text(self) -> str:
        """The time scope in words, as the public pages and the admin list show it."""
        if self.scope == self.Scope.PERIOD:
            if self.period_start == self.period_end:
                return f"on {self.period_start:%d %b %Y}"
            return f"{self.period_start:%d %b %Y} – {self.period_end:%d %b %Y}"
        return f"cumulative, as of {self.as_of:%d %b %Y}" if self.as_of else "cumulative, undated"

    def get_constraints(self):
        """What model validation asks the database about before a save: the unique constraints,
        not the check constraints. Those are the database's backstop of ``claim_errors``, which
        ``clean()`` runs just before: every one of them holds whenever it finds nothing
        (tests/claims/test_claim_rules.py proves it on drawn claims). Asking the database again
        took 36 of the 97 queries of a claim saved in the admin (six checks in a savepoint
        each, for the form and again for the service)."""
        return [
            (model, [c for c in constraints if not isinstance(c, models.CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]

    def clean(self):
        values = {name: getattr(self, name) for name in CLAIM_RULE_FIELDS}
        # Only accepting a claim depends on the relation (two queries): not asked otherwise.
        relation = self.relation if self.accepted and self.claimant_id else None
        errors = claim_errors(values, relation=relation)
        if errors:
            raise ValidationError(errors)


# The fields ``claim_errors`` reads (all of them in the admin form).
CLAIM_RULE_FIELDS = (
    "figure_text", "lower", "upper", "best", "qualifier", "scope", "as_of", "period_start",
    "period_end", "accepted", "acceptance_reason",
)  # fmt: skip


def claim_errors(values: Mapping, *, relation: str | None) -> dict[str, str]:
    """Field → message for every rule a claim breaks (empty when it keeps them all).

    The one home of a claim's rules: ``Claim.clean()`` calls it, and so the admin form and the
    services (``full_clean()``); the fast import calls it with the row's plain values (its
    error names the row and the column: the field). The constraints in ``Claim.Meta`` are the
    database's backstop for the same rules. Reading the bounds from the words comes before it
    (``claims.figures.read_words``). ``relation``: the claimant's relation to the subject
    (``derive_relation``), needed only when the claim is accepted; None when there is no
    claimant yet.
    """
    errors: dict[str, str] = {}
    get = values.get
    if not (get("figure_text") or "").strip():
        errors["figure_text"] = "Give the figure as written."
    lower, upper, best, qualifier = get("lower"), get("upper"), get("best"), get("qualifier")
    has_bounds = lower is not None or upper is not None
    if has_bounds and not qualifier:
        errors["qualifier"] = "Choose a qualifier for the bounds (exact, at least, …)."
    elif has_bounds and qualifier == Claim.Qualifier.UNREADABLE:
        errors["qualifier"] = (
            "Bounds are given: choose what they mean (exact, at least, …), not “not a number”."
        )
    elif not has_bounds and qualifier != Claim.Qualifier.UNREADABLE:
        errors["qualifier"] = (
            "A figure needs at least one bound, unless it is marked as not a number."
        )
    if lower is not None and upper is not None and lower > upper:
        errors["lower"] = "The lower bound cannot be above the upper bound."
    elif best is not None and (
        (lower is not None and best < lower) or (upper is not None and best > upper)
    ):
        errors["best"] = f"The best value {best:,} is not within the bounds."
    start, end = get("period_start"), get("period_end")
    if get("scope") == Claim.Scope.PERIOD:
        if start is None:
            errors["period_start"] = "A period claim needs a start date."
        if end is None:
            errors["period_end"] = "A period claim needs an end date."
        elif start is not None and start > end:
            errors["period_end"] = "The period ends before it starts."
        if get("as_of") is not None:
            errors["as_of"] = "A period claim has no “as of” date; use the period."
    elif start is not None or end is not None:
        errors["period_start"] = "A cumulative claim has no period; use the “as of” date."
    if get("accepted"):
        if not (get("acceptance_reason") or "").strip():
            errors["acceptance_reason"] = "Accepting an adversary claim needs a written reason."
        if relation is not None and relation not in DISPUTED:
            errors["accepted"] = "Only adversary claims need accepting; this one already counts."
    return errors


class ClaimSource(models.Model):
    """A source cited by a claim, with where in it the figure stands."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    locator = models.CharField(
        max_length=200, blank=True, help_text="Page, paragraph or time code within the source."
    )

    version = VersionField()
    history = HistoricalRecords(bases=[NotedHistory])

    class Meta:
        verbose_name = "cited source"
        constraints = [
            models.UniqueConstraint(fields=["claim", "source"], name="claims_claimsource_unique"),
        ]

    def __str__(self):
        return self.locator or f"citation {self.pk}"


class ContradictionFlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ContradictionFlag.Status.OPEN)


class ContradictionFlag(models.Model):
    """A contradiction the reconciliation found, queued for a reviewer.

    Flags are written by ``claims.services.flags_refresh`` from the reconciliation; a reviewer
    resolves one with a note (``flag_resolve``). Resolving records the review; the figure changes
    only when the claims do (discount, retract, correct a date or bound, or accept).
    """

    class Kind(models.TextChoices):
        SAME_CLAIMANT = "same_claimant", "same claimant, very different figures"
        CHILD_ABOVE_PARENT = "child_above_parent", "a part above the whole"
        CUMULATIVE_FALLS = "cumulative_falls", "a cumulative figure fell over time"
        ADVERSARY_FAR_ABOVE = "adversary_far_above", "adversary claim far above the figure"
        FLOOR_ABOVE_UPPER = "floor_above_upper", "the documented floor above an upper bound"

    class Status(models.TextChoices):
        OPEN = "open", "open"
        RESOLVED = "resolved", "resolved"

    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    signature = models.CharField(
        max_length=500,
        unique=True,
        help_text="The kind, subject, category, event and claims; the same contradiction found "
        "again keeps its flag (and its resolution).",
    )
    subject = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="flags")
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    claims = models.ManyToManyField(Claim, related_name="flags")
    ratio = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="How many times the larger figure is the smaller.",
    )
    description = models.TextField(help_text="What was found, in plain words.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(
        blank=True, help_text="Required to resolve: what you checked and what you decided."
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContradictionFlagQuerySet.as_manager()
    version = VersionField()
    history = HistoricalRecords()  # not public: its writes change no figure

    class Meta:
        ordering = ["status", "-ratio", "id"]
        verbose_name = "contradiction flag"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(resolution_note=""),
                name="claims_flag_resolved_needs_note",
                violation_error_message="Resolving a flag needs a note.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description[:80]}"


class RenderedPage(models.Model):
    """A public page as rendered for one state of the data (``claims.public.page_cache``),
    shared by every web process and machine: a worker that starts (or replaces a recycled one)
    reads a busy page instead of rendering it. One row per address (path and page number),
    replaced when the data state moves; not data, so no history. Backups leave its rows out."""

    address = models.CharField(max_length=64, unique=True, help_text="SHA-256 of path and page.")
    token = models.CharField(max_length=80, help_text="The data state it was rendered for.")
    content = models.BinaryField()
    content_type = models.CharField(max_length=100)
    rendered_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.address} @ {self.token}"


class ReconciledFigure(models.Model):
    """A reconciled figure as stored: one subject (a party, or the whole war) × category (×
    event) of a conflict, with its bounds, best value, deciding claims and why.

    Written only by ``claims.figure_store`` from what the rules (``claims.rules``) return, after
    every write that can change it (``claims.refresh``); its history says how it changed and
    which write changed it (the history row's reason; ``public_note`` is what readers see)."""

    conflict = models.ForeignKey(Conflict, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(
        Party, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # "<subject id or all>:<category id>:<event id or 0>", unique within the conflict (the
    # nullable columns cannot be unique together on every database).
    key = models.CharField(max_length=60)
    lower = models.PositiveBigIntegerField(null=True, blank=True)
    best = models.PositiveBigIntegerField(null=True, blank=True)
    upper = models.PositiveBigIntegerField(null=True, blank=True)
    basis = models.CharField(max_length=10)
    derived = models.BooleanField(default=False)
    rule = models.TextField(blank=True, help_text="Why: the rules applied, in words.")
    deciding = models.JSONField(
        default=list, blank=True, help_text="The ids of the deciding claims."
    )
    claim_count = models.PositiveIntegerField(default=0)
    record_count = models.PositiveIntegerField(default=0)
    disputed = models.PositiveIntegerField(default=0)
    held_out = models.PositiveIntegerField(default=0)
    disputed_high = models.PositiveBigIntegerField(null=True, blank=True)
    own_counted = models.BooleanField(default=False)
    claims_lower = models.PositiveBigIntegerField(null=True, blank=True)
    records_elsewhere = models.PositiveIntegerField(default=0)
    # What the overview shows beside the figure (``rules.ClaimRef`` as data).
    official = models.JSONField(null=True, blank=True)
    adversary = models.JSONField(null=True, blank=True)
    independent = models.JSONField(default=list, blank=True)
    # The first of them, as the overview names them (``rules.Figure.independent_first``), and
    # how many there are: the overview reads these instead of every independent claim.
    independent_first = models.JSONField(default=list, blank=True)
    independent_count = models.PositiveIntegerField(default=0)
    derived_totals = models.JSONField(default=list, blank=True)
    # Each claimant's range and timeline for the charts (not kept in the history).
    series = models.JSONField(default=list, blank=True)
    public_note = models.TextField(blank=True, help_text="What changed it, as readers see it.")

    history = HistoricalRecords(excluded_fields=["series"])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conflict", "key"], name="claims_figure_key"),
        ]
        indexes = [models.Index(fields=["conflict", "category", "event"])]

    def __str__(self):
        return self.key


class FigureClaimRole(models.Model):
    """What one published claim did in its figure (``rules.FigureRole``), stored with the
    figures; a page of claims reads the roles of its rows only."""

    claim = models.OneToOneField(
        Claim, on_delete=models.CASCADE, primary_key=True, related_name="figure_role"
    )
    conflict_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    subject_id = models.BigIntegerField(null=True, blank=True)  # None: the whole war
    role = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["conflict_id", "category_id"])]

    def __str__(self):
        return f"{self.claim_id}: {self.role}"


from claims.release_models import Release, ReleaseEntry  # noqa: E402, F401 (models of this app)
