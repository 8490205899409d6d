"""The admin's revision history: a reason on every save, readable diffs, restore, undelete,
and edit conflicts.

Every ModelAdmin of the project derives from ``HistoryAdmin`` so no admin write (change form,
inline rows, revert of a revision, delete, bulk delete) can leave a history row without a
reason: the form asks for one, and ``casualties.history`` refuses the write otherwise.

Edit conflicts: every change form and every inline row carries the version it was opened at,
signed, in a hidden ``version`` field (``<prefix>-<i>-version`` in inline rows); action forms
post ``"<pk>,<version>"`` for each selected object. A save, restore or action from a version
that is no longer current is refused: forms come back with HTTP 409, the editor's text kept and
what changed meanwhile shown above it (``admin/edit_conflict.html``); actions are refused whole
with a message naming the objects. The check that cannot be raced is django-concurrency's
versioned UPDATE underneath (``casualties.concurrency``); the form check only makes the refusal
readable. ``list_editable`` is refused by a system check (casualties.E001): its rows cannot
carry versions.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.core import checks, signing
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from casualties.concurrency import (
    VERSION_FIELD,
    EditConflict,
    changes_since,
    sign_version,
    stale_versions,
    unsign_version,
)
from casualties.history import change_context
from casualties.validators import validate_http_url

REASON_FIELD = "change_reason"
# Restoring an old revision (or a deleted object) is a reviewer's call (claims/roles.py).
RESTORE_PERMISSION = "claims.restore_revision"
RELOAD = "reload the page and make your change again"


class SignedVersionField(forms.CharField):
    """The version a form was opened at, signed so that a page cannot claim one it never saw."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return unsign_version(value)
        except (signing.BadSignature, ValueError):
            raise forms.ValidationError(
                f"This form's revision marker is not valid; {RELOAD}.", code="bad_version"
            ) from None


_LIVE_UNSET = object()


class VersionedFormMixin:
    """Carries the version the object was opened at, and refuses a save from an older one.

    On a conflict the form is invalid (so the admin shows it again with the editor's input), it
    remembers ``edit_conflict`` = (the version they opened, the object now), and its hidden
    version moves to the current one: saving again after reading the changes is a deliberate
    overwrite, not another refusal.
    """

    # What the live row's version is, when it is not the instance's own (restoring an old
    # revision: the instance is the revision, the row is elsewhere; None if it was deleted).
    live_version = _LIVE_UNSET

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.edit_conflict = None
        version = self._live_version()
        if version is not None and self.instance.pk is not None:
            self.fields[VERSION_FIELD].initial = sign_version(version)

    def _live_version(self):
        if self.live_version is not _LIVE_UNSET:
            return self.live_version
        if self.instance.pk is None or self.instance._state.adding:
            return None
        return getattr(self.instance, VERSION_FIELD)

    def clean(self):
        data = super().clean()
        opened = self.cleaned_data.get(VERSION_FIELD)
        if VERSION_FIELD in self.errors:
            return data
        live = self._live_version()
        if live is None:
            if opened is not None and self.instance.pk is None and self.prefix:
                # An inline row that was deleted by someone else since the page was opened.
                self.edit_conflict = (opened, None)
                self.add_error(None, "This row was deleted by someone else since you opened it.")
            return data
        if opened is None:
            self.add_error(
                None, f"This form does not say which revision it was opened at; {RELOAD}."
            )
        elif opened != live:
            self.edit_conflict = (opened, self.instance)
            self.add_error(
                None,
                "Not saved: someone else changed this since you opened it (see what changed "
                "above). Your text is kept below; save again to replace their version with it.",
            )
            self.data = self.data.copy()
            self.data[self.add_prefix(VERSION_FIELD)] = sign_version(live)
        else:
            # The save checks this version in its UPDATE, so a race after this check is
            # refused by the database too.
            setattr(self.instance, VERSION_FIELD, opened)
        return data


class VersionedInlineForm(VersionedFormMixin, forms.ModelForm):
    version = SignedVersionField()


def versioned_form(form_class):
    """``form_class`` with the signed version field, unless it has it already."""
    if VERSION_FIELD in form_class.base_fields:
        return form_class
    return type(
        f"Versioned{form_class.__name__}",
        (VersionedFormMixin, form_class),
        {VERSION_FIELD: SignedVersionField()},
    )


class VersionedInlineFormSet(forms.BaseInlineFormSet):
    def _should_delete_form(self, form):
        # Deleting a row someone changed meanwhile is a conflict too: validate it, so the
        # formset is refused instead of the row silently going.
        return super()._should_delete_form(form) and not getattr(form, "edit_conflict", None)


def fields_but_version(fields):
    """Field names (or fieldsets) without the version: it is the form's own signed field; the
    model's is not editable, and naming it among a model form's fields is an error."""
    if fields is None:
        return None
    fields = list(fields)
    if fields and isinstance(fields[0], tuple | list) and isinstance(fields[0][-1], dict):
        fields = flatten_fieldsets(fields)
    return [f for f in fields if f != VERSION_FIELD]


class VersionedInlineMixin:
    """Inline rows carry their version too (``<prefix>-<i>-version``)."""

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["fields"] = fields_but_version(
            kwargs["fields"] if "fields" in kwargs else self.get_fieldsets(request, obj)
        )
        return super().get_formset(request, obj, **kwargs)


class ReasonForm(VersionedFormMixin, forms.ModelForm):
    version = SignedVersionField()
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
    # The restore page shows what restoring would change (``restore_changes``).
    object_history_form_template = "admin/restore_form.html"

    class Media:
        js = ["casualties/admin_a11y.js"]  # names for the autocomplete pickers

    history_list_per_page = 50
    change_list_template = "admin/change_list_with_deleted.html"
    # A link typed without a scheme is taken as https (Django 6's default), then validated.
    formfield_overrides = {models.URLField: {"assume_scheme": "https", "widget": HttpURLWidget}}
    actions = [delete_selected_with_reason]
    delete_confirmation_template = "admin/delete_confirmation_with_reason.html"
    delete_selected_confirmation_template = "admin/delete_selected_confirmation_with_reason.html"

    def get_changeform_initial_data(self, request):
        """The conflict is chosen for the editor when there is only one."""
        initial = super().get_changeform_initial_data(request)
        try:
            field = self.opts.get_field("conflict")
        except FieldDoesNotExist:
            return initial
        if field.many_to_one and "conflict" not in initial:
            only = list(field.related_model._default_manager.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                initial["conflict"] = only[0]
        return initial

    def lookup_allowed(self, lookup, value, request=None):
        # ``?quote__regex=[`` hands the database a pattern from the URL: a bad one is a
        # server error (SQLite and PostgreSQL both raise), a cruel one a slow scan. Refused
        # (HTTP 400, DisallowedModelAdminLookup); search and the filters do not need them.
        if set(lookup.split(LOOKUP_SEP)) & {"regex", "iregex"}:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        """The revisions on a history page, with the related rows their diffs name. simple-history
        joins every tracked foreign key into one query: for a claim (six of them, and the user)
        PostgreSQL spends ~8 ms planning that join, more than the page takes to render. Each
        foreign key's rows are read in one small query instead (``prefetch_related``)."""
        rows = history_manager.filter(**{pk_name: object_id}).select_related("history_user")
        related = [f.name for f in history_manager.model.tracked_fields if f.many_to_one]
        return rows.prefetch_related(*related)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Django adds its own delete_selected, which would not ask for a reason.
        actions.pop("delete_selected", None)
        return actions

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        moved = {REASON_FIELD, VERSION_FIELD}
        fieldsets = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in moved]})
            for name, opts in fieldsets
        ]
        return [*fieldsets, ("Why", {"fields": [REASON_FIELD, VERSION_FIELD]})]

    # --- edit conflicts ------------------------------------------------------------------

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.list_editable:
            errors.append(
                checks.Error(
                    "list_editable is not allowed: rows edited in the list cannot carry their "
                    "version, so a list save could overwrite someone else's change unseen.",
                    hint="Edit in the change form, or write a versioned action.",
                    obj=self.__class__,
                    id="casualties.E001",
                )
            )
        return errors

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = fields_but_version(
            kwargs["fields"] if "fields" in kwargs else self.get_fieldsets(request, obj)
        )
        form = versioned_form(super().get_form(request, obj, change=change, **kwargs))
        live = getattr(request, "restore_live_version", _LIVE_UNSET)
        if live is not _LIVE_UNSET:
            form = type(form.__name__, (form,), {"live_version": live})
        return form

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if not isinstance(inline, VersionedInlineMixin):
                cls = type(inline)
                inline.__class__ = type(f"Versioned{cls.__name__}", (VersionedInlineMixin, cls), {})
            inline.form = versioned_form(inline.form)
            if not issubclass(inline.formset, VersionedInlineFormSet):
                inline.formset = type(
                    f"Versioned{inline.formset.__name__}",
                    (VersionedInlineFormSet, inline.formset),
                    {},
                )
        return inlines

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditConflict:
            # Someone saved between this form's check and its UPDATE: the transaction rolled
            # back, nothing was written. Run the form again; it now sees the conflict.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Restoring a revision writes over the live row, so the page carries (and the save
        # checks) the live row's version, not the revision's; None if the row was deleted.
        def live_version():
            return (
                self.model._base_manager.filter(pk=unquote(object_id))
                .values_list(VERSION_FIELD, flat=True)
                .first()
            )

        if request.method == "POST" and not request.user.has_perm(RESTORE_PERMISSION):
            raise PermissionDenied
        request.restoring_revision = True  # response_change: stay on the restored object
        extra_context = {
            **(extra_context or {}),
            "restore_changes": self.restore_changes(request, object_id, version_id),
        }
        request.restore_live_version = live_version()
        try:
            with transaction.atomic():
                return super().history_form_view(request, object_id, version_id, extra_context)
        except EditConflict:
            request.restore_live_version = live_version()
            return super().history_form_view(request, object_id, version_id, extra_context)

    def restore_changes(self, request, object_id, version_id) -> dict:
        """What restoring revision ``version_id`` would change, field by field, as the history
        diff reads: ``{"rows": [{"field", "old" (now), "new" (restored)}], "deleted": bool}``.
        Two queries: the revision and the object's latest history row."""
        history = self.model.history
        pk_name = self.opts.pk.attname
        revision = history.filter(history_id=version_id, **{pk_name: unquote(object_id)}).first()
        latest = (
            history.filter(**{pk_name: unquote(object_id)})
            .order_by("-history_date", "-history_id")
            .first()
        )
        if revision is None or latest is None:
            return {"rows": [], "deleted": False, "same": False}
        # What the restore writes: not the bookkeeping that changes on every save, nor the
        # workflow fields a restore keeps (``keep_workflow_fields``).
        skipped = [VERSION_FIELD, *self.workflow_fields] + [
            f.name for f in self.opts.concrete_fields if getattr(f, "auto_now", False)
        ]
        skipped = [name for name in skipped if name in {f.name for f in self.opts.fields}]
        delta = revision.diff_against(latest, excluded_fields=skipped)
        helper = self.get_historical_record_context_helper(request, revision)
        rows = helper.context_for_delta_changes(delta)
        return {
            "rows": rows,
            "deleted": latest.history_type == "-",
            "same": latest.history_id == revision.history_id or not rows,
            "kept": [self.opts.get_field(name).verbose_name for name in self.workflow_fields],
        }

    def response_change(self, request, obj):
        if getattr(request, "restoring_revision", False) and "_continue" not in request.POST:
            # After restoring, the editor stays on the object to see what it now says.
            self.message_user(request, f"Restored “{obj}”: this is it now.", messages.SUCCESS)
            return HttpResponseRedirect(
                reverse(
                    "%s:%s_%s_change"
                    % (self.admin_site.name, self.opts.app_label, self.opts.model_name),
                    args=[obj.pk],
                )
            )
        return super().response_change(request, obj)

    def revert_disabled(self, request, obj=None):
        return super().revert_disabled(request, obj) or not request.user.has_perm(
            RESTORE_PERMISSION
        )

    def edit_conflicts(self, forms_):
        """What changed meanwhile, for each form that met a conflict."""
        conflicts = []
        for form in forms_:
            if not getattr(form, "edit_conflict", None):
                continue
            opened, obj = form.edit_conflict
            if obj is None:
                conflicts.append({"label": "a row", "deleted": True, "changes": []})
                continue
            model = type(obj)
            live = model._base_manager.filter(pk=obj.pk).first()
            rows = []
            for change in changes_since(obj, opened):
                row = {"change": change, "yours": "", "now": ""}
                if change.field:
                    field = model._meta.get_field(change.field)
                    row["yours"] = yours(form, field)
                    row["now"] = display_value(live, field) if live is not None else ""
                rows.append(row)
            conflicts.append(
                {
                    "label": f"{model._meta.verbose_name} “{live if live is not None else obj}”",
                    "deleted": live is None,
                    "changes": rows,
                }
            )
        return conflicts

    def _conflict_response(self, response, forms_):
        conflicts = self.edit_conflicts(forms_)
        if conflicts:
            response.context_data["conflict_base_template"] = select_template(
                [response.template_name]
                if isinstance(response.template_name, str)
                else response.template_name
            )
            response.context_data["edit_conflicts"] = conflicts
            response.template_name = "admin/edit_conflict.html"
            response.status_code = 409
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        forms_ = [context["adminform"].form]
        for inline in context.get("inline_admin_formsets", []):
            forms_.extend(inline.formset.forms)
        return self._conflict_response(response, forms_)

    def render_history_view(self, request, template, context, **kwargs):
        if "adminform" not in context:  # the list of revisions
            return super().render_history_view(request, template, context, **kwargs)
        response = TemplateResponse(request, template, context, **kwargs)
        return self._conflict_response(response, [context["adminform"].form])

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        """The row's checkbox posts "<pk>,<version>", so an action knows what was seen."""
        attrs = {
            "class": "action-select",
            "aria-label": format_html("Select this object for an action - {}", obj),
        }
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        value = f"{obj.pk},{getattr(obj, VERSION_FIELD)}"
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, value)

    def response_action(self, request, queryset):
        """Refuse a whole action if any selected object changed since the list was shown."""
        if request.POST.get("select_across") in {"1", "True", "true", "on"}:
            # "Select all N": the editor chose a filter, not particular revisions.
            return super().response_action(request, queryset)
        expected = {}
        to_python = self.opts.pk.to_python
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk, version = value.split(",")
                expected[to_python(pk)] = int(version)
        except (ValueError, TypeError, forms.ValidationError):
            self.message_user(
                request,
                f"The selection does not say which revisions you saw; {RELOAD}.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        with transaction.atomic():
            stale = stale_versions(self.model, expected, lock=True)
            if stale:
                still = {o.pk: o for o in self.model._base_manager.filter(pk__in=stale)}
                names = ", ".join(
                    f"“{still[pk]}”" if pk in still else f"#{pk} (deleted)" for pk in stale
                )
                self.message_user(
                    request,
                    f"Nothing was done: changed by someone else since you opened the list: "
                    f"{names}. Check them and select again.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, [str(pk) for pk in expected])
            return super().response_action(request, queryset)

    # Fields that only workflow steps change (claims.services): restoring a revision or a
    # deleted row never brings back their old value (a retracted claim's published revision
    # must not publish it again). They keep the live value, or the default when undeleting.
    workflow_fields: tuple[str, ...] = ()

    def keep_workflow_fields(self, request, obj) -> None:
        if not self.workflow_fields:
            return
        live = self.model._base_manager.filter(pk=obj.pk).values(*self.workflow_fields).first()
        for name in self.workflow_fields:
            field = self.opts.get_field(name)
            value = live[name] if live else field.get_default()
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                shown = dict(field.flatchoices).get(value, value)
                messages.info(
                    request,
                    f"The {field.verbose_name} was not restored: it stays “{shown}”. "
                    "It changes only through the workflow steps.",
                )

    def restoring(self, request) -> bool:
        """Whether this save restores an old revision (or a deleted object)."""
        return getattr(request, "restore_live_version", _LIVE_UNSET) is not _LIVE_UNSET

    def save_model(self, request, obj, form, change):
        if self.restoring(request):
            self.keep_workflow_fields(request, obj)
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
        if any("\x00" in key + value for key, value in request.GET.items()):
            # PostgreSQL cannot compare text with a NUL in it: search and filter without them.
            query = {k.replace("\x00", ""): v.replace("\x00", "") for k, v in request.GET.items()}
            messages.warning(request, "NUL characters were removed from the search.")
            return HttpResponseRedirect(f"{request.path}?{urlencode(query)}")
        extra_context = {
            **(extra_context or {}),
            "deleted_url": reverse(
                "%s:%s_%s_deleted"
                % (self.admin_site.name, self.opts.app_label, self.opts.model_name)
            ),
        }
        return super().changelist_view(request, extra_context)


def yours(form, field):
    """The value the editor typed for ``field``, as it reads."""
    if field.name in getattr(form, "cleaned_data", {}):
        value = form.cleaned_data[field.name]
    else:
        value = form.data.get(form.add_prefix(field.name), "")
    if field.choices and not isinstance(value, list | models.Model):
        value = dict(field.flatchoices).get(value, value)
    return "(empty)" if value in (None, "") else value


def display_value(obj, field):
    """The stored value of ``field`` as it reads (choice labels, related objects by name)."""
    if field.is_relation and field.many_to_one:
        value = getattr(obj, field.name)
    else:
        value = field.value_from_object(obj)
        if field.choices:
            value = dict(field.flatchoices).get(value, value)
    return "(empty)" if value in (None, "") else value
