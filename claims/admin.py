from django.contrib import admin, messages

from casualties.admin_history import HistoryAdmin, ReasonForm
from claims.figures import UNREADABLE, parse_figure
from claims.models import Claim, Claimant, ClaimSource, Relation, Source


@admin.register(Claimant)
class ClaimantAdmin(HistoryAdmin):
    list_display = ["name", "slug", "kind", "party"]
    list_select_related = ["party"]
    list_filter = ["kind", "party"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["party"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    list_display = ["title", "publisher", "published_on", "language", "url"]
    list_filter = ["language", "publisher"]
    search_fields = ["title", "publisher", "url", "slug"]
    date_hierarchy = "published_on"


class ClaimSourceInline(admin.TabularInline):
    model = ClaimSource
    extra = 1
    autocomplete_fields = ["source"]
    verbose_name_plural = "Cited sources"


class RelationFilter(admin.SimpleListFilter):
    title = "relation"
    parameter_name = "relation"

    def lookups(self, request, model_admin):
        return Relation.choices

    def queryset(self, request, queryset):
        if self.value() in Relation.values:
            return queryset.filter(relation_sql=self.value())
        return queryset


class ClaimForm(ReasonForm):
    """Editors type the words; the bounds fill in from them unless the editor set them."""

    class Meta:
        model = Claim
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lower", "upper", "qualifier"):
            if name in self.fields:
                self.fields[name].required = False
        self.figure_warning = ""

    def clean(self):
        data = super().clean()
        text = data.get("figure_text")
        if not text:
            return data
        bounds_typed = any(name in self.changed_data for name in ("lower", "upper", "qualifier"))
        bounds_empty = not any(
            data.get(n) not in (None, "") for n in ("lower", "upper", "qualifier")
        )
        if bounds_empty or ("figure_text" in self.changed_data and not bounds_typed):
            figure = parse_figure(text)
            data["lower"], data["upper"], data["qualifier"] = (
                figure.lower,
                figure.upper,
                figure.qualifier,
            )
            if not figure.ok:
                self.figure_warning = (
                    f"{figure.error} The words are kept; type the bounds by hand if you can."
                )
        elif not data.get("qualifier"):
            self.add_error("qualifier", "Choose a qualifier for the bounds you typed.")
        if data.get("qualifier") == UNREADABLE and (
            data.get("lower") is not None or data.get("upper") is not None
        ):
            self.add_error(
                "qualifier", "You typed bounds: choose what they mean (exact, at least…)."
            )
        return data

    def _post_clean(self):
        # Copy the parsed bounds onto the instance before model validation runs.
        for name in ("lower", "upper", "qualifier"):
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        super()._post_clean()


@admin.register(Claim)
class ClaimAdmin(HistoryAdmin):
    form = ClaimForm
    list_display = [
        "external_id",
        "claimant",
        "subject",
        "category",
        "figure_text",
        "bounds",
        "scope_display",
        "relation_display",
        "status",
        "assessment",
    ]
    list_select_related = ["claimant", "subject", "category"]
    list_filter = [
        "status",
        RelationFilter,
        "scope",
        "assessment",
        "conflict",
        "category__kind",
        ("claimant", admin.RelatedOnlyFieldListFilter),
        ("subject", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["external_id", "figure_text", "quote", "claimant__name", "subject__name"]
    autocomplete_fields = ["conflict", "claimant", "subject", "category", "event", "place"]
    inlines = [ClaimSourceInline]
    readonly_fields = ["relation_display"]
    fieldsets = [
        (
            None,
            {"fields": ["external_id", "conflict", "claimant", "subject", "category", "status"]},
        ),
        (
            "Figure",
            {
                "fields": ["figure_text", ("lower", "upper", "qualifier")],
                "description": "Type the figure as written; leave the bounds empty and they are "
                "read from the words when you save. Correct them if they were misread.",
            },
        ),
        (
            "When and where",
            {
                "fields": [
                    "scope",
                    "as_of",
                    ("period_start", "period_end"),
                    "stated_on",
                    "event",
                    "place",
                ]
            },
        ),
        ("Quote", {"fields": ["quote"]}),
        (
            "Assessment",
            {
                "fields": [
                    "relation_display",
                    "assessment",
                    "assessment_note",
                    "accepted",
                    "acceptance_reason",
                    "note",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_relation()

    @admin.display(description="bounds")
    def bounds(self, obj):
        low = "…" if obj.lower is None else f"{obj.lower:,}"
        high = "…" if obj.upper is None else f"{obj.upper:,}"
        return low if obj.lower == obj.upper else f"{low} – {high}"

    @admin.display(description="scope", ordering="as_of")
    def scope_display(self, obj):
        if obj.scope == Claim.Scope.PERIOD:
            return f"{obj.period_start:%d %b %Y} – {obj.period_end:%d %b %Y}"
        return f"as of {obj.as_of:%d %b %Y}" if obj.as_of else "cumulative, undated"

    @admin.display(description="relation")
    def relation_display(self, obj):
        value = getattr(obj, "relation_sql", None)
        if value is None:
            if not obj.pk:
                return "derived from the claimant and the subject when saved"
            value = obj.relation
        return Relation(value).label

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.figure_warning:
            messages.warning(request, form.figure_warning)
