"""The admin's revision history: a reason on every save, readable diffs, restore, undelete.

Every ModelAdmin of the project derives from ``HistoryAdmin`` so no admin write (change form,
inline rows, revert of a revision, delete, bulk delete) can leave a history row without a
reason: the form asks for one, and ``casualties.history`` refuses the write otherwise.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from casualties.concurrency import VERSION_FIELD
from casualties.history import change_context
from claims.validators import validate_http_url

REASON_FIELD = "change_reason"


class ReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Required. Say why, e.g. “MoD update of 21 Oct 2021”; it is kept in the history.",
    )

    def clean_change_reason(self):
        reason = self.cleaned_data["change_reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why you are making this change.")
        return reason


def reason_from_post(request) -> str:
    return (request.POST.get(REASON_FIELD) or "").strip()


@admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
def delete_selected_with_reason(modeladmin, request, queryset):
    """Django's bulk delete, but the confirmation asks why and refuses to go on without it."""
    if request.POST.get("post") and not reason_from_post(request):
        request.POST = request.POST.copy()
        del request.POST["post"]
        messages.error(request, "Say why you are deleting these; the reason is kept in history.")
    return delete_selected(modeladmin, request, queryset)


class ReadableChanges(HistoricalRecordContextHelper):
    """Diffs that read like the form: choice labels, and "(empty)" rather than None or ""."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if field.choices and not isinstance(value, list):
            value = dict(field.flatchoices).get(value, value)
        return "(empty)" if value in (None, "") else value


class HttpURLWidget(AdminURLFieldWidget):
    """The admin's URL input, whose "Currently:" link is drawn for http(s) URLs only (Django's
    own also links ftp: values, and values a failed save sends back)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, validator_class=lambda: validate_http_url)


class HistoryAdmin(SimpleHistoryAdmin):
    form = ReasonForm
    history_list_per_page = 50
    change_list_template = "admin/change_list_with_deleted.html"
    # A link typed without a scheme is taken as https (Django 6's default), then validated.
    formfield_overrides = {models.URLField: {"assume_scheme": "https", "widget": HttpURLWidget}}
    actions = [delete_selected_with_reason]
    delete_confirmation_template = "admin/delete_confirmation_with_reason.html"
    delete_selected_confirmation_template = "admin/delete_selected_confirmation_with_reason.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Django adds its own delete_selected, which would not ask for a reason.
        actions.pop("delete_selected", None)
        return actions

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        named = [f for _, opts in fieldsets for f in opts["fields"]]
        if REASON_FIELD in named:
            fieldsets = [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != REASON_FIELD]})
                for name, opts in fieldsets
            ]
        return [*fieldsets, ("Why", {"fields": [REASON_FIELD]})]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Restoring a revision writes over the live row: from its current version (the
        # revision's own version is long gone), or inserts it again if it was deleted.
        request.restore_live_version = (
            self.model._base_manager.filter(pk=unquote(object_id))
            .values_list(VERSION_FIELD, flat=True)
            .first()
        )
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        live_version = getattr(request, "restore_live_version", None)
        if live_version is not None:
            obj.version = live_version
        reason = form.cleaned_data[REASON_FIELD]
        obj._change_reason = reason
        with change_context(user=request.user, reason=reason):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with change_context(user=request.user, reason=form.cleaned_data[REASON_FIELD]):
            super().save_related(request, form, formsets, change)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST" and request.POST.get("post") and not reason_from_post(request):
            messages.error(request, "Say why you are deleting this; the reason is kept in history.")
            return HttpResponseRedirect(request.get_full_path())
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        with change_context(user=request.user, reason=reason_from_post(request)):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # One by one, so each object gets its own history row with the reason.
        with change_context(user=request.user, reason=reason_from_post(request)):
            for obj in queryset:
                obj.delete()

    # --- finding and restoring deleted objects -------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name="%s_%s_deleted" % info,
            ),
            *super().get_urls(),
        ]

    def deleted_view(self, request):
        """Objects that were deleted, each with a link to restore its last state."""
        if not self.has_view_history_or_change_history_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        history = self.model.history
        pk_name = self.opts.pk.attname
        live = self.model._default_manager.values(pk_name)
        rows = (
            history.filter(history_type="-")
            .exclude(**{f"{pk_name}__in": live})
            .select_related("history_user")
            .order_by("-history_date")[:200]
        )
        info = self.admin_site.name, self.opts.app_label, self.opts.model_name
        entries = [
            {
                "record": row,
                "label": str(row.instance),
                "restore_url": reverse(
                    "%s:%s_%s_simple_history" % info,
                    args=[getattr(row, pk_name), row.history_id],
                ),
            }
            for row in rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Deleted {self.opts.verbose_name_plural}",
            "entries": entries,
        }
        return render(request, "admin/deleted_objects.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "deleted_url": reverse(
                "%s:%s_%s_deleted"
                % (self.admin_site.name, self.opts.app_label, self.opts.model_name)
            ),
        }
        return super().changelist_view(request, extra_context)
