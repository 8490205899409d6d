from django.contrib import admin

from casualties.admin_history import HistoryAdmin
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
class CasualtyRecordAdmin(TableImportMixin, ExportAdminMixin, HistoryAdmin):
    import_kind = "records"
    export_table = "records"
    list_display = ["name", "role", "rank", "party", "outcome", "date", "place"]
    list_select_related = ["party", "place"]
    list_filter = ["conflict", "role", "outcome", "party"]
    search_fields = ["name", "name_transliterated", "external_id", "description"]
    autocomplete_fields = ["conflict", "party", "place", "event", "sources"]
