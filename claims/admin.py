from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.text import capfirst

from casualties.admin_history import REASON_FIELD, HistoryAdmin, ReasonForm
from casualties.admin_preview import PublicPreviewMixin
from casualties.admin_workflow import WorkflowAdminMixin
from casualties.concurrency import VERSION_FIELD
from casualties.models import Conflict
from claims.admin_export import ExportAdminMixin
from claims.admin_import import ReferenceImportMixin, TableImportMixin
from claims.figures import FIGURE_FIELDS, read_words
from claims.models import Claim, Claimant, ClaimSource, ContradictionFlag, Relation, Source
from claims.resources import ClaimantResource, SourceResource
from claims.services import (
    TRANSITION_SERVICES,
    TRANSITIONS,
    claim_citations_save,
    claim_create,
    claim_update,
    figure_values,
    flag_resolve,
    flags_refresh,
    flags_refresh_summary,
)

PUBLISH_PERMISSION = "claims.publish_claim"
# "Save and add another claim from this source": the next claim's form starts with these.
ADD_CLAIM_BUTTON = "_addclaim"
ADD_FROM_SOURCE_BUTTON = "_addanother_from_source"
FROM_SOURCE = "source"
KEPT_FOR_THE_NEXT_CLAIM = ["conflict", "claimant", "scope", "as_of", "stated_on"]


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
    prepopulated_fields = {"slug": ["title"]}
    change_form_template = "admin/claims/source/change_form.html"

    def claim_add_url(self, source) -> str:
        return f"{reverse('admin:claims_claim_add')}?{urlencode({FROM_SOURCE: source.pk})}"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_add_claims"] = self._may_add_claims(request)
        if obj is not None and obj.pk is not None and context["may_add_claims"]:
            context["add_claim_url"] = self.claim_add_url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _may_add_claims(self, request):
        return request.user.has_perm("claims.add_claim")

    def response_add(self, request, obj, post_url_continue=None):
        if ADD_CLAIM_BUTTON in request.POST and self._may_add_claims(request):
            self.message_user(request, f"Source “{obj}” added. Now the claim it makes.")
            return HttpResponseRedirect(self.claim_add_url(obj))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if ADD_CLAIM_BUTTON in request.POST and self._may_add_claims(request):
            return HttpResponseRedirect(self.claim_add_url(obj))
        return super().response_change(request, obj)


class ClaimSourceInline(admin.TabularInline):
    model = ClaimSource
    extra = 1
    autocomplete_fields = ["source"]
    verbose_name_plural = "Cited sources"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A table of rows has column headings, not labels: name each input after its column.
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name in ("source", "locator"):
            formfield.widget.attrs["aria-label"] = capfirst(db_field.verbose_name)
        return formfield


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
        for name in FIGURE_FIELDS:
            if name in self.fields:
                self.fields[name].required = False
        self.figure_warning = ""

    def clean(self):
        """The bounds read from the words by the rule the services and the import follow
        (``claims.figures.read_words``); the claim's rules then run in ``Claim.clean()``."""
        data = super().clean()
        if not data.get("figure_text"):
            return data
        before = None if self.instance._state.adding else figure_values(self.instance)
        values = {name: data.get(name) for name in ("figure_text", *FIGURE_FIELDS)}
        complaint = read_words(values, before)
        data.update({name: values[name] for name in FIGURE_FIELDS})
        if complaint:
            self.figure_warning = (
                f"{complaint} The words are kept; type the bounds by hand if you can."
            )
        return data

    def _post_clean(self):
        # Copy the parsed bounds onto the instance before model validation runs.
        for name in FIGURE_FIELDS:
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        super()._post_clean()


@admin.register(Claim)
class ClaimAdmin(
    WorkflowAdminMixin, PublicPreviewMixin, TableImportMixin, ExportAdminMixin, HistoryAdmin
):
    import_kind = "claims"
    transitions = TRANSITIONS
    transition_services = TRANSITION_SERVICES
    service_arg = "claim"
    publish_permission = PUBLISH_PERMISSION
    draft_status = Claim.Status.DRAFT
    preview_template = "casualties/claim.html"
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
    # Status moves only through the workflow buttons (claims.services transitions): not in
    # the form, and a restored revision or an undeleted claim keeps the live status (draft).
    readonly_fields = ["status", "relation_display", "review_note"]
    workflow_fields = ("status",)
    change_form_template = "admin/claims/claim/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": ["external_id", "conflict", "claimant", "subject", "category", "status"]},
        ),
        (
            "Figure",
            {
                "fields": ["figure_text", ("lower", "best", "upper", "qualifier")],
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
                    "review_note",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_relation()

    # --- preview of a claim not yet published (casualties/admin_preview.py) -------------

    def is_public(self, obj):
        return obj.status == Claim.Status.PUBLISHED

    def preview_context(self, request, obj):
        from claims.public.views import claim_rows

        item = (
            Claim.objects.filter(pk=obj.pk)
            .with_relation()
            .select_related("conflict", "claimant", "subject", "category", "event", "place")
            .prefetch_related("citations__source")
            .get()
        )
        return {"claim": item, "row": claim_rows([item])[0], "figure_url": item.figure_url}

    # --- several claims from one source ---------------------------------------------------

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        source = request.GET.get(FROM_SOURCE, "")
        if (
            isinstance(inline, ClaimSourceInline)
            and request.method == "GET"
            and (obj is None or obj.pk is None)
            and source.isdigit()
            and Source.objects.filter(pk=source).exists()
        ):
            kwargs["initial"] = [{"source": int(source)}]
        return kwargs

    def next_claim_url(self, obj) -> str:
        """The add form with this claim's source, claimant and dates already in it."""
        query = {}
        for name in KEPT_FOR_THE_NEXT_CLAIM:
            value = getattr(obj, f"{name}_id", None) if name in ("conflict", "claimant") else None
            if value is None:
                value = getattr(obj, name)
            if value not in (None, ""):
                query[name] = value.isoformat() if hasattr(value, "isoformat") else value
        citation = obj.citations.order_by("pk").first()
        if citation is not None:
            query[FROM_SOURCE] = citation.source_id
        return f"{reverse('admin:claims_claim_add')}?{urlencode(query)}"

    def response_add(self, request, obj, post_url_continue=None):
        if ADD_FROM_SOURCE_BUTTON in request.POST:
            self.message_user(
                request,
                f"Claim “{obj}” added. The next one starts with its source, claimant and dates.",
            )
            return HttpResponseRedirect(self.next_claim_url(obj))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if ADD_FROM_SOURCE_BUTTON in request.POST:
            return HttpResponseRedirect(self.next_claim_url(obj))
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["add_from_source_button"] = ADD_FROM_SOURCE_BUTTON
        return super().render_change_form(request, context, add, change, form_url, obj)

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
        """Through the services, as every write of a claim: the same rules (checked in the form
        already, so a refusal shows there with the editor's text kept), the history row with
        who and why, and the version the editor opened."""
        if self.restoring(request):
            self.keep_workflow_fields(request, obj)
        reason = form.cleaned_data[REASON_FIELD]
        if obj._state.adding and not change:
            claim_create(claim=obj, user=request.user, reason=reason)
        else:
            claim_update(
                claim=obj,
                user=request.user,
                reason=reason,
                expected_version=form.cleaned_data.get(VERSION_FIELD),
            )
        if form.figure_warning:
            messages.warning(request, form.figure_warning)

    def save_formset(self, request, form, formset, change):
        """The cited sources, through the service too (``claim_citations_save``)."""
        if formset.model is not ClaimSource:
            return super().save_formset(request, form, formset, change)
        saved = formset.save(commit=False)
        claim_citations_save(
            claim=form.instance,
            user=request.user,
            reason=form.cleaned_data[REASON_FIELD],
            saved=saved,
            deleted=formset.deleted_objects,
        )
        return saved

    # --- roles and workflow ----------------------------------------------------------------

    def has_import_permission(self, request):
        # An imported row may carry any status, so importing claims is a reviewer's job.
        return super().has_import_permission(request) and self.can_review(request)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "review/",
                self.admin_site.admin_view(self.review_queue_view),
                name="%s_%s_review" % info,
            ),
            *super().get_urls(),
        ]

    def review_queue_view(self, request):
        """Claims waiting for review, the longest waiting first."""
        if not self.can_review(request):
            raise PermissionDenied
        claims = Claim.objects.in_review().select_related("claimant", "subject", "category")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Claims waiting for review",
            "claims": claims,
        }
        return TemplateResponse(request, "admin/claims/claim/review_queue.html", context)

    def changelist_view(self, request, extra_context=None):
        extra = {}
        if self.can_review(request):
            extra["review_url"] = reverse("admin:claims_claim_review")
        return super().changelist_view(request, {**(extra_context or {}), **extra})


class FlagStatusFilter(admin.SimpleListFilter):
    """The queue shows open flags unless asked otherwise."""

    title = "status"
    parameter_name = "status"

    ALL = "all"

    def lookups(self, request, model_admin):
        return [*ContradictionFlag.Status.choices, (self.ALL, "all")]

    def choices(self, changelist):
        current = self.value() or ContradictionFlag.Status.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or ContradictionFlag.Status.OPEN
        if value == self.ALL:
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
            messages.info(request, f"{conflict.name}: {flags_refresh_summary(conflict, counts)}")
        return HttpResponseRedirect(reverse("admin:claims_contradictionflag_changelist"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "refresh_url": reverse("admin:claims_contradictionflag_refresh"),
        }
        return super().changelist_view(request, extra_context)


# The release admin, and the admin of casualties' models (here because it imports and exports
# through claims): imported last, to register them.
from claims import admin_world, release_admin  # noqa: E402, F401
