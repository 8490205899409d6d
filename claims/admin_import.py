"""Admin import of claims and casualty records: upload → preview → confirm.

The preview is a dry run of ``claims.importing``: it checks every row and classes it (new,
changed, unchanged) without writing anything, so it leaves no trace (no rows, no history, no
admin log entries). Confirming imports the same uploaded file in one transaction; any error
then (e.g. someone changed a row in between) imports nothing and shows the errors again.
"""

import io
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportMixin
from import_export.formats import base_formats
from import_export.tmp_storages import BaseStorage

from claims.importing import SPECS, import_file
from claims.resources import COLUMNS
from claims.tabular import FileError, max_bytes, read_table

SESSION_KEY = "claims_import_uploads"
MAX_ERRORS_SHOWN = 20  # in the message of a reference import whose confirm failed


def _upload_dir() -> Path:
    folder = Path(getattr(settings, "IMPORT_UPLOAD_DIR", "") or tempfile.gettempdir())
    folder = folder / "casualty-ledger-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_max_age() -> int:
    """Seconds an uploaded file waits for its confirm before it is refused and removed."""
    return getattr(settings, "IMPORT_UPLOAD_MAX_AGE", 6 * 60 * 60)


def remove_abandoned_uploads(now: float | None = None) -> int:
    """Delete uploads older than ``IMPORT_UPLOAD_MAX_AGE`` (previews never confirmed or
    cancelled); run on every upload. Returns how many were removed."""
    cutoff = (now or time.time()) - upload_max_age()
    removed = 0
    for entry in _upload_dir().iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue  # another worker removed it first
    return removed


def _save_upload(chunks) -> tuple[str, Path]:
    """Write an upload to the import folder under a new random name: (token, path)."""
    remove_abandoned_uploads()
    token = secrets.token_urlsafe(16)
    stored = _upload_dir() / f"{token}.upload"
    with open(stored, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token, stored


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8), XLSX or JSON in the columns of docs/import-export.md; "
        "at most 64 MB and 200,000 rows."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; the most one import takes is "
                f"{max_bytes() / 1_048_576:.0f} MB. Split it or use the import command."
            )
        return upload


class ImportButtonMixin:
    """The Import button on a list page, for those who may add and change its rows."""

    change_list_template = "admin/change_list_with_import.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra = {}
        if self.has_import_permission(request):
            info = self.admin_site.name, self.opts.app_label, self.opts.model_name
            extra["import_url"] = reverse("%s:%s_%s_import" % info)
        return super().changelist_view(request, {**(extra_context or {}), **extra})


class TableImportMixin(ImportButtonMixin):
    """Adds an Import button to a change list (claims or casualty records)."""

    import_kind = ""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="%s_%s_import" % info,
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        uploads = request.session.get(SESSION_KEY, {})
        token = request.POST.get("token", "")
        if request.method == "POST" and token:
            if token not in uploads:
                messages.error(request, "That upload has expired; upload the file again.")
                return HttpResponseRedirect(request.path)
            stored, name, *options = uploads[token]
            publish = bool(options and options[0])
            if "cancel" in request.POST:
                self._forget(request, token)
                return HttpResponseRedirect(request.path)
            if not Path(stored).is_file():  # removed as abandoned (IMPORT_UPLOAD_MAX_AGE)
                self._forget(request, token)
                messages.error(request, "That upload has expired; upload the file again.")
                return HttpResponseRedirect(request.path)
            with open(stored, "rb") as f:
                result = import_file(
                    f, name, kind=self.import_kind, user=request.user, publish=publish
                )
            if result.ok:
                self._forget(request, token)
                messages.success(
                    request, f"Imported “{name}”: {result.summary()}. Every row has its history."
                )
                return HttpResponseRedirect(
                    reverse(
                        "%s:%s_%s_changelist"
                        % (self.admin_site.name, self.opts.app_label, self.opts.model_name)
                    )
                )
            return self._preview(request, result, token)
        form = UploadForm(request.POST or None, request.FILES or None)
        if self.import_kind == "records" and request.user.has_perm(
            "casualties.publish_casualtyrecord"
        ):
            # Imported records arrive as drafts unless a reviewer asks (docs/import-export.md).
            form.fields["publish"] = forms.BooleanField(
                required=False, label="Publish the new records (they arrive as drafts otherwise)"
            )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            token, stored = _save_upload(upload.chunks())
            publish = bool(form.cleaned_data.get("publish"))
            uploads[token] = (str(stored), os.path.basename(upload.name), publish)
            request.session[SESSION_KEY] = uploads
            with open(stored, "rb") as f:
                result = import_file(
                    f, upload.name, kind=self.import_kind, user=request.user, dry_run=True,
                    publish=publish,
                )  # fmt: skip
            return self._preview(request, result, token)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import {self.opts.verbose_name_plural}",
            "form": form,
            "columns": [c.name for c in SPECS[self.import_kind].columns],
            "required": [c.name for c in SPECS[self.import_kind].columns if c.required],
        }
        return TemplateResponse(request, "admin/table_import.html", context)

    def _preview(self, request, result, token):
        label = "name" if self.import_kind == "records" else "figure_text"
        readable = ReadableImportValues(SPECS[self.import_kind], result.samples["changed"])
        samples = {
            which: [
                {
                    "row": s["row"],
                    "id": s["values"].get("external_id", ""),
                    "label": s["values"].get(label, ""),
                    "changed": ", ".join(readable.column(a) for a in s["changed"]),
                    "changes": readable.changes(s) if which == "changed" else [],
                }
                for s in result.samples[which]
            ]
            for which in ("new", "changed", "unchanged")
        }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import {self.opts.verbose_name_plural}: preview of “{result.file_name}”",
            "result": result,
            "samples": samples,
            "label": label.replace("_", " "),
            "token": token,
        }
        return TemplateResponse(request, "admin/table_import_preview.html", context)

    def _forget(self, request, token):
        uploads = request.session.get(SESSION_KEY, {})
        stored, *_ = uploads.pop(token, (None, None))
        request.session[SESSION_KEY] = uploads
        if stored:
            Path(stored).unlink(missing_ok=True)


class ReadableImportValues:
    """The old and new values of the preview's changed rows, as the history diff shows them:
    column names, choice labels, related rows by slug, "(empty)". One query per related table."""

    def __init__(self, spec, samples):
        self.spec = spec
        self.model = spec.model
        self.columns = {
            self.model._meta.get_field(c.attr).attname: c.name
            for c in spec.columns
            if c.kind != "many"
        }
        ids: dict[type, set] = {}
        sources: set = set()
        for sample in samples:
            for attr in sample["changed"]:
                if attr == "sources":
                    old, new = sample["before"].get("sources", ([], []))
                    sources.update(sid for sid, _ in [*old, *(new or [])])
                    continue
                field = self._field(attr)
                if field is not None and field.many_to_one:
                    ids.setdefault(field.related_model, set()).update(
                        v
                        for v in (sample["before"].get(attr), sample["values"].get(attr))
                        if v is not None
                    )
        from claims.models import Source

        if sources:
            ids.setdefault(Source, set()).update(sources)
        self.names = {
            model: {
                obj.pk: getattr(obj, "slug", None) or getattr(obj, "external_id", None) or str(obj)
                for obj in model._base_manager.filter(pk__in=pks)
            }
            for model, pks in ids.items()
        }
        self.source_names = self.names.get(Source, {})

    def _field(self, attr):
        for field in self.model._meta.concrete_fields:
            if field.attname == attr:
                return field
        return None

    def column(self, attr) -> str:
        return self.columns.get(attr, attr)

    def value(self, attr, value) -> str:
        field = self._field(attr)
        if value in (None, ""):
            return "(empty)"
        if field is not None and field.many_to_one:
            return self.names.get(field.related_model, {}).get(value, str(value))
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    def citations(self, pairs) -> str:
        items = [
            self.source_names.get(sid, str(sid)) + (f" ({locator})" if locator else "")
            for sid, locator in sorted(pairs or [], key=lambda p: str(p))
        ]
        return "; ".join(items) or "(empty)"

    def changes(self, sample) -> list[dict]:
        """[{"column", "old", "new"}] for each changed column of one sample row."""
        rows = []
        for attr in sample["changed"]:
            if attr == "sources":
                old, new = sample["before"].get("sources", ([], []))
                rows.append(
                    {"column": "sources", "old": self.citations(old), "new": self.citations(new)}
                )
                continue
            rows.append(
                {
                    "column": self.column(attr),
                    "old": self.value(attr, sample["before"].get(attr)),
                    "new": self.value(attr, sample["values"].get(attr)),
                }
            )
        return rows


def reference_import_errors(result) -> list[str]:
    """Every error of a django-import-export ``Result`` as ``Row 3, names: …`` lines."""
    lines = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        lines += [f"Row {number}: {error.error}" for error in errors]
    for row in result.invalid_rows:
        for field_name, messages_ in row.field_specific_errors.items():
            lines += [f"Row {row.number}, {field_name}: {message}" for message in messages_]
        lines += [f"Row {row.number}: {message}" for message in row.non_field_specific_errors]
    return lines


class UploadExpired(FileError):
    """A confirm names an upload that is not (or no longer) one of ours."""

    def __init__(self):
        super().__init__("That upload has expired or is not yours; upload the file again.")


_SIGNING_SALT = "claims.admin_import.upload"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class SignedUploadStorage(BaseStorage):
    """django-import-export's store between preview and confirm, for the reference tables.

    The stock ``TempFolderStorage`` opens (and afterwards deletes) whatever name the confirm
    form posts back, inside the system temp folder: any file there. Here the name posted back
    is a signed, timestamped token; the file is ``<token>.upload`` in the import folder, and a
    forged, altered or expired name (``IMPORT_UPLOAD_MAX_AGE``) is refused with
    ``UploadExpired`` before any file is touched. Files are read as bytes: the bounded
    formats below decode them.
    """

    def save(self, data):
        token, _ = _save_upload([data])
        self.name = signing.dumps(token, salt=_SIGNING_SALT, compress=False)

    def _path(self) -> Path:
        try:
            token = signing.loads(self.name or "", salt=_SIGNING_SALT, max_age=upload_max_age())
        except signing.BadSignature:  # SignatureExpired included
            raise UploadExpired() from None
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise UploadExpired()
        return _upload_dir() / f"{token}.upload"

    def read(self):
        try:
            return self._path().read_bytes()
        except FileNotFoundError:
            raise UploadExpired() from None

    def remove(self):
        self._path().unlink(missing_ok=True)


class BoundedFormat:
    """An import format that reads the upload through ``claims.tabular``, the reader of every
    other import: the same limits (size, rows with blank ones, cells, an XLSX's inflated size
    and DOCTYPEs, JSON nesting), encodings, header rules and cell text (formula escapes and
    XLSX's ``_xHHHH_`` undone, short rows padded, blank rows skipped). The dataset is built
    from its rows, not by tablib's own loaders (whose XLSX loader failed on a row shorter than
    the header, as the ledger's own downloads have)."""

    columns = ()

    def create_dataset(self, in_stream):
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else in_stream
        table = read_table(io.BytesIO(data), f"upload.{self.get_extension()}", self.columns)
        dataset = tablib.Dataset(headers=table.headers)
        for number, row in table.rows():
            if "__error__" in row:
                raise FileError(f"Row {number}: {row['__error__']}. Nothing was imported.")
            dataset.append([row.get(header, "") for header in table.headers])
        return dataset


IMPORT_FORMATS = (base_formats.CSV, base_formats.XLSX, base_formats.JSON)


class ReferenceImportMixin(ImportButtonMixin, ImportMixin):
    """django-import-export's stock import (upload → preview → confirm) for the small
    reference tables: per row, with history through ``claims.resources.HistoryResource``.

    Only editors who may add and change rows may import; a row that would delete rows (a
    place's names) needs the permission to delete them too (``claims.resources``). No admin
    LogEntry per row (the history rows are the record of the import).

    The preview shows every row error and offers no confirm button. A confirm that meets an
    error (the data changed since the preview) has imported nothing (``HistoryResource``
    rolls the whole file back); it goes back to the upload form with the errors, never to the
    list with a success message.
    """

    skip_admin_log = True
    tmp_storage_class = SignedUploadStorage

    def get_import_formats(self):
        # CSV, XLSX and JSON only (docs/import-export.md), each read within the limits.
        columns = COLUMNS[self.export_table]
        return [
            type(f"Bounded{fmt.__name__}", (BoundedFormat, fmt), {"columns": columns})
            for fmt in IMPORT_FORMATS
        ]

    def get_import_form_class(self, request):
        form_class = super().get_import_form_class(request)

        def clean_import_file(form):
            upload = form.cleaned_data["import_file"]
            if upload.size > max_bytes():
                raise forms.ValidationError(
                    f"The file is {upload.size / 1_048_576:.1f} MB; the most one import takes "
                    f"is {max_bytes() / 1_048_576:.0f} MB."
                )
            return upload

        return type(form_class.__name__, (form_class,), {"clean_import_file": clean_import_file})

    def write_to_tmp_storage(self, import_file, input_format):
        storage = self.get_tmp_storage_class()(**self.get_tmp_storage_class_kwargs())
        storage.save(b"".join(import_file.chunks()))
        return storage

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileError):
            form.add_error("import_file", e.message)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_import(self, request, **kwargs):
        # A confirm whose upload is forged, expired or unreadable goes back to the upload
        # form with the reason, never to a server error.
        try:
            return super().process_import(request, **kwargs)
        except FileError as exc:
            messages.error(request, f"Nothing was imported: {exc.message}")
            info = self.admin_site.name, self.opts.app_label, self.opts.model_name
            return HttpResponseRedirect(reverse("%s:%s_%s_import" % info))

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            lines = reference_import_errors(result)
            shown = lines[:MAX_ERRORS_SHOWN]
            more = len(lines) - len(shown)
            messages.error(
                request,
                format_html(
                    "Nothing was imported: the file has errors. Correct them and upload it "
                    "again.<ul>{}{}</ul>",
                    format_html_join("", "<li>{}</li>", ((line,) for line in shown)),
                    format_html("<li>… and {} more</li>", more) if more else "",
                ),
            )
            info = self.admin_site.name, self.opts.app_label, self.opts.model_name
            return HttpResponseRedirect(reverse("%s:%s_%s_import" % info))
        return super().process_result(result, request)
