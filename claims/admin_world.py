"""The admin of the war's world (casualties' models): conflicts, sides, parties, places, events,
categories and named casualty records. It lives in ``claims`` because its import and export go
through claims' resources and mixins (``admin_import``, ``admin_export``); ``claims.admin``
imports it, which registers it."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from casualties.admin_history import HistoryAdmin
from casualties.admin_preview import PublicPreviewMixin
from casualties.admin_workflow import WorkflowAdminMixin
from casualties.duplicates import database_pairs
from casualties.models import (
    CasualtyRecord,
    Category,
    Conflict,
    Event,
    Party,
    Place,
    PlaceName,
    Side,
)
from casualties.records import derive
from casualties.services import (
    PUBLISH_PERMISSION,
    TRANSITION_SERVICES,
    TRANSITIONS,
    record_mark_distinct,
    record_merge,
)
from claims.admin_export import ExportAdminMixin
from claims.admin_import import ReferenceImportMixin, TableImportMixin
from claims.resources import CategoryResource, EventResource, PartyResource, PlaceResource

admin.site.site_header = "Casualty Ledger — editorial"
admin.site.site_title = "Casualty Ledger"
admin.site.index_title = "Editorial database"


@admin.register(Conflict)
class ConflictAdmin(HistoryAdmin):
    list_display = ["name", "slug", "start_date", "end_date"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Side)
class SideAdmin(HistoryAdmin):
    list_display = ["name", "slug", "conflict"]
    list_select_related = ["conflict"]
    list_filter = ["conflict"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["conflict"]


@admin.register(Party)
class PartyAdmin(ReferenceImportMixin, ExportAdminMixin, HistoryAdmin):
    resource_classes = [PartyResource]
    export_table = "parties"
    list_display = ["name", "slug", "kind", "side", "parent", "conflict"]
    list_select_related = ["side", "parent", "conflict"]
    list_filter = ["conflict", "kind", "side"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["conflict", "parent", "side"]
    prepopulated_fields = {"slug": ["name"]}


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 1


@admin.register(Place)
class PlaceAdmin(ReferenceImportMixin, ExportAdminMixin, HistoryAdmin):
    resource_classes = [PlaceResource]
    export_table = "places"
    list_display = ["name", "slug", "kind", "is_contested", "parent"]
    list_select_related = ["parent"]
    list_filter = ["kind", "is_contested"]
    search_fields = ["name", "slug", "names__name"]
    autocomplete_fields = ["parent"]
    inlines = [PlaceNameInline]


@admin.register(Event)
class EventAdmin(ReferenceImportMixin, ExportAdminMixin, HistoryAdmin):
    resource_classes = [EventResource]
    export_table = "events"
    list_display = ["name", "start_date", "end_date", "place", "conflict"]
    list_select_related = ["place", "conflict"]
    list_filter = ["conflict"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["conflict", "place"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(ReferenceImportMixin, ExportAdminMixin, HistoryAdmin):
    resource_classes = [CategoryResource]
    export_table = "categories"
    list_display = ["name", "slug", "kind", "unit", "outcome", "parent", "adds_to"]
    list_select_related = ["parent", "adds_to"]
    list_filter = ["kind", "unit", "outcome"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["parent", "adds_to"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CasualtyRecord)
class CasualtyRecordAdmin(
    WorkflowAdminMixin, PublicPreviewMixin, TableImportMixin, ExportAdminMixin, HistoryAdmin
):
    """Named records, with the claims' workflow and roles: editors add and change drafts and
    submit them; reviewers publish, send back, retract and change any record; editors find
    and merge duplicates (``duplicates/``). Sensitive fields are only ever shown here."""

    import_kind = "records"
    transitions = TRANSITIONS
    transition_services = TRANSITION_SERVICES
    service_arg = "record"
    publish_permission = PUBLISH_PERMISSION
    draft_status = CasualtyRecord.Status.DRAFT
    export_table = "records"
    preview_template = "casualties/person.html"
    list_display = ["name", "name_latin", "role", "rank", "party", "outcome", "date", "status"]
    list_select_related = ["party", "place"]
    list_filter = ["conflict", "status", "role", "outcome", "party", "corroboration"]
    search_fields = ["name", "name_transliterated", "name_latin", "aliases", "external_id"]
    autocomplete_fields = ["conflict", "party", "place", "event", "sources", "counted_in"]
    readonly_fields = ["status", "review_note", "name_latin", "merged_into"]
    workflow_fields = ("status",)  # restores and undeletes keep the live status (or draft)

    change_form_template = "admin/casualties/casualtyrecord/change_form.html"
    fieldsets = [
        (None, {"fields": ["external_id", "conflict", "status", "review_note", "merged_into"]}),
        (
            "Person",
            {
                "fields": [
                    "name", "name_transliterated", "name_latin", "aliases", "role", "rank",
                    "description", "party", "counted_in", "sex", "age", "age_band", "ihl_status",
                ]
            },
        ),
        (
            "What happened",
            {
                "fields": [
                    "outcome", "cause", "date", "date_precision", "died_after_war", "place",
                    "place_precision", "event", "sources", "corroboration",
                ]
            },
        ),
        (
            "Sensitive: never published",
            {"fields": ["date_of_birth", "private_notes", "contact_details"]},
        ),
    ]  # fmt: skip

    # "View on site" of a record not published: its public page, previewed (admin_preview.py).
    def is_public(self, obj):
        return obj.status == CasualtyRecord.Status.PUBLISHED and obj.merged_into_id is None

    def preview_context(self, request, obj):
        from claims.public.views import http_url

        record = (
            CasualtyRecord.objects.select_related("party", "place", "event", "conflict")
            .prefetch_related("sources")
            .get(pk=obj.pk)
        )
        return {
            "record": record,
            "aliases": [a for a in record.aliases.splitlines() if a.strip()],
            "sources": [
                {"title": s.title, "publisher": s.publisher, "url": http_url(s.url)}
                for s in record.sources.all()
            ],
        }

    def save_model(self, request, obj, form, change):
        derive(obj)  # the automatic Latin form and the search text (casualties.records)
        super().save_model(request, obj, form, change)

    # --- roles and workflow (as claims.admin.ClaimAdmin) ------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="%s_%s_duplicates" % info,
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"duplicates_url": reverse("admin:casualties_casualtyrecord_duplicates")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def duplicates_view(self, request):
        """Probable duplicates, best first: merge (the first kept) or mark different people."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_act = self.has_change_permission(request)
        error = ""
        if request.method == "POST":
            if not may_act:
                raise PermissionDenied
            reason = (request.POST.get("reason") or "").strip()
            try:
                keep = CasualtyRecord.objects.get(pk=int(request.POST.get("keep", "")))
                other = CasualtyRecord.objects.get(pk=int(request.POST.get("other", "")))
            except (ValueError, CasualtyRecord.DoesNotExist):
                raise Http404 from None
            action = request.POST.get("action")
            try:
                if action == "merge":
                    record_merge(keep=keep, duplicate=other, user=request.user, reason=reason)
                    self.message_user(request, f"Merged {other.external_id} into {keep}.")
                elif action == "distinct":
                    record_mark_distinct(first=keep, second=other, user=request.user, reason=reason)
                    self.message_user(request, f"{keep} and {other} are different people.")
                else:
                    raise Http404
                return HttpResponseRedirect(request.path)
            except ValidationError as exc:
                error = "; ".join(exc.messages)
        pairs = database_pairs()
        page = Paginator(pairs, 50).get_page(request.GET.get("page"))
        records = CasualtyRecord.objects.in_bulk(
            [p.first.key for p in page] + [p.second.key for p in page]
        )
        rows = [
            {"first": records[p.first.key], "second": records[p.second.key], "pair": p}
            for p in page
            if p.first.key in records and p.second.key in records
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Probable duplicates",
            "rows": rows,
            "page": page,
            "count": len(pairs),
            "may_act": may_act,
            "error": error,
        }
        return TemplateResponse(request, "admin/casualties/casualtyrecord/duplicates.html", context)
