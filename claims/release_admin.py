"""Cutting a release in the admin: the add page asks for a name, a note and a reason, and calls
the same service as ``manage.py cut_release`` (``claims.releases.release_cut``). A release is
never changed or deleted afterwards."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from claims.release_models import Release
from claims.releases import release_cut


class ReleaseCutForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason",
        initial="Release cut",
        max_length=500,
        help_text="Why this release is cut now; kept in its history row.",
    )

    class Meta:
        model = Release
        fields = ["name", "note"]

    def clean_change_reason(self):
        reason = self.cleaned_data["change_reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why; the reason is kept in history.")
        return reason


@admin.register(Release)
class ReleaseAdmin(SimpleHistoryAdmin):
    list_display = ["name", "cut_at", "claims", "people", "public_page"]
    list_select_related = ["cut_by"]
    readonly_fields = ["name", "note", "cut_at", "cut_by", "counts", "public_page"]
    search_fields = ["name", "note"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReleaseCutForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "note", "change_reason"]
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False  # a release never changes: its page in the admin is read-only

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        cut = release_cut(
            name=obj.name,
            note=obj.note,
            user=request.user,
            reason=form.cleaned_data["change_reason"],
        )
        # The admin goes on with ``obj`` (its message and redirect): make it the cut release.
        obj.__dict__.update(cut.__dict__)

    def save_related(self, request, form, formsets, change):
        pass  # nothing related: the cut wrote everything

    @admin.display(description="claims")
    def claims(self, obj):
        return obj.counts.get("claims")

    @admin.display(description="people")
    def people(self, obj):
        return obj.counts.get("people")

    @admin.display(description="public page")
    def public_page(self, obj):
        url = obj.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)
