"""Previews for editors: an object's public page as it would read once published.

"View on site" of a draft led to a 404 (public pages show published rows only). An admin that
mixes in ``PublicPreviewMixin`` sends "View on site" of an object that is not public to
``<object_id>/preview/`` instead: its public template, drawn from the object as it is now,
under a banner, inside the admin (staff only, never cached, not indexed). Anonymous readers
are sent to the admin login like any admin page.

An admin names its ``preview_template`` and says what it draws from (``preview_context``) and
when the object is public (``is_public``): claims in claims/admin.py; records can do the same.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache


class PublicPreviewMixin:
    preview_template = ""

    def is_public(self, obj) -> bool:
        """Whether readers see ``obj`` on the public site (else "View on site" previews it)."""
        raise NotImplementedError

    def preview_context(self, request, obj) -> dict:
        """The public template's context for ``obj`` as it is now."""
        raise NotImplementedError

    def preview_url(self, obj) -> str:
        info = self.admin_site.name, self.opts.app_label, self.opts.model_name
        return reverse("%s:%s_%s_preview" % info, args=[obj.pk])

    def get_view_on_site_url(self, obj=None):
        if obj is not None and obj.pk is not None and not self.is_public(obj):
            return self.preview_url(obj)
        return super().get_view_on_site_url(obj)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(never_cache(self.preview_view)),
                name="%s_%s_preview" % info,
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        info = self.admin_site.name, self.opts.app_label, self.opts.model_name
        context = {
            **self.preview_context(request, obj),
            "preview": {
                "status": obj.get_status_display() if hasattr(obj, "get_status_display") else "",
                "change_url": reverse("%s:%s_%s_change" % info, args=[obj.pk]),
                "label": self.opts.verbose_name,
            },
        }
        response = TemplateResponse(request, self.preview_template, context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
