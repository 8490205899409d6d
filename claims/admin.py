from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html_join

from casualties.admin_history import HistoryAdmin, ReasonForm
from casualties.models import Conflict
from claims.admin_export import ExportAdminMixin
from claims.admin_import import ReferenceImportMixin, TableImportMixin
from claims.figures import UNREADABLE, parse_figure
from claims.models import Claim, Claimant, ClaimSource, ContradictionFlag, Relation, Source
from claims.resources import ClaimantResource, SourceResource
from claims.services import flag_resolve, flags_refresh


@admin.register(Claimant)
class ClaimantAdmin(ReferenceImportMixin, ExportAdminMixin, HistoryAdmin):
    resource_classes = [ClaimantResource]
    export_table = "claimants"
    list_display = ["name", "slug", "kind", "party"]
    list_select_related = ["party"]
    list_filter = ["kind", "party"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["party"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(ReferenceImportMixin, ExportAdminMixin, HistoryAdmin):
    resource_classes = [SourceResource]
    export_table = "sources"
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
class ClaimAdmin(TableImportMixin, ExportAdminMixin, HistoryAdmin):
    import_kind = "claims"
    export_table = "claims"
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
        return obj.scope_text

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


class FlagStatusFilter(admin.SimpleListFilter):
    """The queue shows open flags unless asked otherwise."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "open"), ("resolved", "resolved"), ("all", "all")]

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "all":
            return queryset
        return queryset.filter(status=value)


class ContradictionFlagForm(ReasonForm):
    class Meta:
        model = ContradictionFlag
        fields = ["status", "resolution_note"]

    def clean(self):
        data = super().clean()
        if (
            data.get("status") == ContradictionFlag.Status.RESOLVED
            and not (data.get("resolution_note") or "").strip()
        ):
            self.add_error("resolution_note", "Say what you checked and what you decided.")
        return data


@admin.register(ContradictionFlag)
class ContradictionFlagAdmin(HistoryAdmin):
    """The reviewers' queue: open contradictions, each linking to its claims."""

    form = ContradictionFlagForm
    change_list_template = "admin/claims/contradictionflag/change_list.html"
    list_display = ["kind", "subject", "category", "ratio", "description", "claim_links", "status"]
    list_select_related = ["subject", "category"]
    list_filter = [FlagStatusFilter, "kind", ("subject", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["description", "resolution_note"]
    readonly_fields = [
        "kind", "conflict", "subject", "category", "event", "ratio", "description",
        "claim_links", "resolved_by", "resolved_at", "signature",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["kind", "description", "ratio", "claim_links"]}),
        ("Where", {"fields": ["conflict", "subject", "category", "event", "signature"]}),
        ("Review", {"fields": ["status", "resolution_note", "resolved_by", "resolved_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("claims")

    def has_add_permission(self, request):
        return False  # flags come from the claims (flags_refresh), never by hand

    @admin.display(description="claims")
    def claim_links(self, obj):
        return format_html_join(
            ", ",
            '<a href="{}">{} “{}”</a>',
            (
                (
                    reverse("admin:claims_claim_change", args=[claim.pk]),
                    claim.external_id,
                    claim.figure_text,
                )
                for claim in obj.claims.all()
            ),
        )

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data and obj.status == ContradictionFlag.Status.RESOLVED:
            flag_resolve(
                flag=obj,
                user=request.user,
                note=obj.resolution_note,
                reason=form.cleaned_data["change_reason"],
            )
            return
        if obj.status == ContradictionFlag.Status.OPEN:
            obj.resolved_by, obj.resolved_at = None, None
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name="claims_contradictionflag_refresh",
            ),
            *super().get_urls(),
        ]

    def refresh_view(self, request):
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        for conflict in Conflict.objects.all():
            counts = flags_refresh(
                conflict=conflict,
                user=request.user,
                reason=f"Flags recomputed from the admin by {request.user.get_username()}",
            )
            messages.info(
                request,
                f"{conflict.name}: {counts['found']} contradictions, "
                f"{counts['opened']} new flags, {counts['closed']} closed.",
            )
        return HttpResponseRedirect(reverse("admin:claims_contradictionflag_changelist"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "refresh_url": reverse("admin:claims_contradictionflag_refresh"),
        }
        return super().changelist_view(request, extra_context)
