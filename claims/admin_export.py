"""Export from the admin: what the list shows, with its filters and search, as CSV, XLSX or JSON.

A custom view rather than django-import-export's ``ExportMixin``: that one renders each row
through the resource's fields (an attribute walk per cell and, without care, a query per foreign
key): 12 s with ``select_related`` and 122–209 s without for 100,000 claims (MEASURED.md),
against about 4 s for ``claims.exporting`` (bench/README.md). The permission
keeps its name and meaning (``has_export_permission``, granted with the view permission, like
``IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"``), so a role matrix can narrow it in one place.
"""

import datetime

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from claims import exporting


class ExportAdminMixin:
    """Adds ``export/<fmt>/`` to a ModelAdmin and the links to it above the list.

    ``export_table`` names the table of ``claims.exporting`` (the import columns).
    """

    export_table: str = ""

    def has_export_permission(self, request) -> bool:
        """Who may export: anyone who may view the list (narrowed by the role matrix)."""
        return self.has_view_permission(request)

    def _export_url_name(self) -> str:
        return "%s_%s_export" % (self.opts.app_label, self.opts.model_name)

    def get_urls(self):
        return [
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name=self._export_url_name(),
            ),
            *super().get_urls(),
        ]

    def get_changelist(self, request, **kwargs):
        changelist_class = super().get_changelist(request, **kwargs)
        if not getattr(request, "_exporting", False):
            return changelist_class

        class ExportChangeList(changelist_class):
            """The list's queryset without counting and fetching a page of it."""

            def get_results(self, request):
                self.result_count = self.full_result_count = 0
                self.result_list = []
                self.can_show_all = self.multi_page = False

        return ExportChangeList

    def export_queryset(self, request):
        """The rows the list shows: its filters, search and date drill-down, not its page."""
        request._exporting = True
        return self.get_changelist_instance(request).queryset

    def export_view(self, request, fmt):
        if not self.has_export_permission(request):
            raise PermissionDenied
        if fmt not in exporting.FORMATS:
            raise Http404("Unknown export format.")
        changelist_url = reverse(
            "%s:%s_%s_changelist"
            % (self.admin_site.name, self.opts.app_label, self.opts.model_name)
        )
        try:
            queryset = self.export_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, "The filter of this export is not valid; nothing exported.")
            return HttpResponseRedirect(changelist_url)
        name = f"{self.export_table}-{datetime.date.today().isoformat()}"
        return exporting.export_response(
            exporting.table(self.export_table), queryset, fmt, filename=name
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        cl = context.get("cl") if context else None
        if cl is not None and self.has_export_permission(request):
            query = cl.get_query_string(remove=[PAGE_VAR])
            context["export_links"] = [
                (
                    fmt.upper(),
                    reverse("%s:%s" % (self.admin_site.name, self._export_url_name()), args=[fmt])
                    + query,
                )
                for fmt in exporting.FORMATS
            ]
        return response
