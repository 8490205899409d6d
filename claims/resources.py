"""The columns of every import and export file, and django-import-export resources built on them.

This module is the one place the file formats are defined: the fast importer
(``claims.importing``), the admin import, the management commands and the export
(``claims.exporting``) all read the column lists below. Foreign keys are written as slugs
(natural keys), never as database ids. Dates are ISO ``YYYY-MM-DD``. Empty cell = empty value.

Claims (``CLAIM_COLUMNS``; the row id is ``external_id``)::

    external_id, conflict, claimant, subject, category, figure_text, lower, best, upper,
    qualifier, scope, as_of, period_start, period_end, stated_on, event, place, quote, status,
    assessment, assessment_note, accepted, acceptance_reason, note, sources, version

    conflict/claimant/subject/category/event/place: slugs; an empty subject is the whole war
    (all parties). figure_text: the figure as written.
    lower/best/upper/qualifier: read from figure_text where the row leaves them to the words
    (``claims.figures.read_words``: a new row or new words with none of them changed, or no
    bounds at all); a figure the parser cannot read is a row error unless qualifier is
    ``unreadable``. Every row keeps the claim's rules (``claims.models.claim_errors``). sources: cited source slugs separated by ``;``, each optionally followed
    by its locator in brackets: ``mod-2020-10-21 (para 3); hrw-report``.

Casualty records (``RECORD_COLUMNS``; the row id is ``external_id``)::

    external_id, conflict, name, name_transliterated, role, rank, description, party,
    outcome, date, place, event, sources, counted_in, aliases, sex, age, age_band, ihl_status,
    cause, date_precision, place_precision, corroboration, died_after_war,
    date_of_birth, private_notes, contact_details, version
    (sources: source slugs separated by ``;``; aliases: one per line; the last three are
    sensitive: never in a public download)

``version`` (claims and records) is the row's version when it was exported; optional. An
import row whose version is not the row's version now is refused ("changed since you exported
it"), so an import cannot silently undo someone's later edit. Leave it empty (or drop the
column) to overwrite whatever is there.

Reference tables (row id ``slug``)::

    sources:    slug, title, publisher, url, published_on, accessed_on, archive_url,
                language, note
    events:     slug, name, conflict, start_date, end_date, place, description
    parties:    slug, name, conflict, kind, parent, side, description
    places:     slug, name, kind, parent, is_contested, names
                (names: ``language=name`` separated by ``;``, each optionally followed by
                who uses it in brackets: ``hy=Ստեփանակերտ (Armenian usage); az=Xankəndi``)
    categories: slug, name, parent, kind, unit, outcome, position, adds_to
    claimants:  slug, name, kind, party, description

Booleans are ``true``/``false``. Choice columns hold the stored value (``published``, not
"published" as displayed). The resources below are the stock django-import-export path
(per-row, used by the admin for the small reference tables and as the benchmark's baseline);
claims and casualty records go through ``claims.importing`` for speed and full history.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db import models
from import_export import fields, resources, widgets

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
from claims.figures import MAX_VALUE
from claims.models import Claim, Claimant, Source
from claims.tabular import parse_bool, parse_date, parse_whole_number


@dataclass(frozen=True)
class Col:
    """One column of a file.

    ``name`` is the header; ``attr`` the model field; ``path`` the ORM path of the exported
    value (``claimant__slug``); ``kind`` one of text, int, date, bool, choice, fk, many.
    ``fk_model``/``key`` say what a slug column refers to. ``required``: the header must be
    present (a new row needs a value too, unless ``blank``: an empty cell has a meaning).
    """

    name: str
    attr: str
    kind: str = "text"
    fk_model: type[models.Model] | None = None
    key: str = "slug"
    required: bool = False
    blank: bool = False

    @property
    def path(self) -> str:
        return f"{self.attr}__{self.key}" if self.kind == "fk" else self.attr


def _fk(name, model, required=False, attr=None, blank=False):
    return Col(name, attr or name, "fk", model, required=required, blank=blank)


CLAIM_COLUMNS: tuple[Col, ...] = (
    Col("external_id", "external_id", required=True),
    _fk("conflict", Conflict, required=True),
    _fk("claimant", Claimant, required=True),
    # An empty subject: the whole war, all parties together.
    _fk("subject", Party, required=True, blank=True),
    _fk("category", Category, required=True),
    Col("figure_text", "figure_text", required=True),
    Col("lower", "lower", "int"),
    Col("best", "best", "int"),
    Col("upper", "upper", "int"),
    Col("qualifier", "qualifier", "choice"),
    Col("scope", "scope", "choice"),
    Col("as_of", "as_of", "date"),
    Col("period_start", "period_start", "date"),
    Col("period_end", "period_end", "date"),
    Col("stated_on", "stated_on", "date"),
    _fk("event", Event),
    _fk("place", Place),
    Col("quote", "quote"),
    Col("status", "status", "choice"),
    Col("assessment", "assessment", "choice"),
    Col("assessment_note", "assessment_note"),
    Col("accepted", "accepted", "bool"),
    Col("acceptance_reason", "acceptance_reason"),
    Col("note", "note"),
    Col("sources", "sources", "many", Source),
    Col("version", "version", "int"),
)

RECORD_COLUMNS: tuple[Col, ...] = (
    Col("external_id", "external_id", required=True),
    _fk("conflict", Conflict, required=True),
    Col("name", "name", required=True),
    Col("name_transliterated", "name_transliterated"),
    Col("role", "role", "choice", required=True),
    Col("rank", "rank"),
    Col("description", "description"),
    _fk("party", Party, required=True),
    Col("outcome", "outcome", "choice", required=True),
    Col("date", "date", "date"),
    _fk("place", Place),
    _fk("event", Event),
    Col("sources", "sources", "many", Source),
    _fk("counted_in", Party),
    Col("aliases", "aliases"),
    Col("sex", "sex", "choice"),
    Col("age", "age", "int"),
    Col("age_band", "age_band", "choice"),
    Col("ihl_status", "ihl_status", "choice"),
    Col("cause", "cause"),
    Col("date_precision", "date_precision", "choice"),
    Col("place_precision", "place_precision", "choice"),
    Col("corroboration", "corroboration", "choice"),
    Col("died_after_war", "died_after_war", "bool"),
    # Sensitive: in editors' exports and imports, never in a public download (RECORD_SENSITIVE).
    Col("date_of_birth", "date_of_birth", "date"),
    Col("private_notes", "private_notes"),
    Col("contact_details", "contact_details"),
    Col("version", "version", "int"),
)
RECORD_SENSITIVE = frozenset({"date_of_birth", "private_notes", "contact_details"})

SOURCE_COLUMNS = (
    Col("slug", "slug", required=True),
    Col("title", "title", required=True),
    Col("publisher", "publisher"),
    Col("url", "url"),
    Col("published_on", "published_on", "date"),
    Col("accessed_on", "accessed_on", "date"),
    Col("archive_url", "archive_url"),
    Col("language", "language"),
    Col("note", "note"),
)
EVENT_COLUMNS = (
    Col("slug", "slug", required=True),
    Col("name", "name", required=True),
    _fk("conflict", Conflict, required=True),
    Col("start_date", "start_date", "date", required=True),
    Col("end_date", "end_date", "date"),
    _fk("place", Place),
    Col("description", "description"),
)
PARTY_COLUMNS = (
    Col("slug", "slug", required=True),
    Col("name", "name", required=True),
    _fk("conflict", Conflict, required=True),
    Col("kind", "kind", "choice"),
    _fk("parent", Party),
    _fk("side", Side),
    Col("description", "description"),
)
PLACE_COLUMNS = (
    Col("slug", "slug", required=True),
    Col("name", "name", required=True),
    Col("kind", "kind", "choice"),
    _fk("parent", Place),
    Col("is_contested", "is_contested", "bool"),
    Col("names", "names", "many", PlaceName),
)
CATEGORY_COLUMNS = (
    Col("slug", "slug", required=True),
    Col("name", "name", required=True),
    _fk("parent", Category),
    Col("kind", "kind", "choice", required=True),
    Col("unit", "unit", "choice"),
    Col("outcome", "outcome", "choice"),
    Col("position", "position", "int"),
    _fk("adds_to", Category),
)
CLAIMANT_COLUMNS = (
    Col("slug", "slug", required=True),
    Col("name", "name", required=True),
    Col("kind", "kind", "choice", required=True),
    _fk("party", Party),
    Col("description", "description"),
)

COLUMNS: dict[str, tuple[Col, ...]] = {
    "claims": CLAIM_COLUMNS,
    "records": RECORD_COLUMNS,
    "sources": SOURCE_COLUMNS,
    "events": EVENT_COLUMNS,
    "parties": PARTY_COLUMNS,
    "places": PLACE_COLUMNS,
    "categories": CATEGORY_COLUMNS,
    "claimants": CLAIMANT_COLUMNS,
}


# --- many-valued cells -----------------------------------------------------------------------

LIST_SEPARATOR = ";"
_ITEM = re.compile(r"^\s*(?P<key>[-\w]+)(?:\s*\((?P<note>.*)\))?\s*$", re.DOTALL)
_OPEN_ITEM = re.compile(r"^\s*[-\w]+\s*\(", re.DOTALL)
_NAME_ITEM = re.compile(
    r"^\s*(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\s*=(?P<rest>.*)$", re.DOTALL
)


def render_sources(values: list[tuple]) -> str:
    """(slug,) or (slug, locator) tuples → ``slug (locator); slug``."""
    return "; ".join(f"{v[0]} ({v[1]})" if len(v) > 1 and v[1] else v[0] for v in values)


def parse_sources(text: str) -> list[tuple[str, str]]:
    """``slug (locator); slug`` → [(slug, locator), (slug, "")]; raises ValueError.

    A ``;`` inside an open bracket belongs to the locator, so every rendered cell parses back
    to what was rendered.
    """
    out: list[tuple[str, str]] = []
    buffer = None
    for piece in (text or "").split(LIST_SEPARATOR):
        buffer = piece if buffer is None else buffer + LIST_SEPARATOR + piece
        if not buffer.strip():
            buffer = None
            continue
        match = _ITEM.match(buffer)
        if match:
            out.append((match["key"], match["note"] or ""))
            buffer = None
        elif not _OPEN_ITEM.match(buffer):
            raise ValueError(f"“{buffer.strip()[:60]}” is not a source slug.")
    if buffer is not None:
        raise ValueError(f"“{buffer.strip()[:60]}” has an unclosed bracket.")
    return out


def render_names(values: list[tuple]) -> str:
    """(language, name, used_by) tuples → ``hy=Ստեփանակերտ (Armenian usage); az=Xankəndi``."""
    return "; ".join(
        f"{lang}={name} ({used})" if used else f"{lang}={name}" for lang, name, used in values
    )


def parse_names(text: str) -> list[tuple[str, str, str]]:
    out = []
    for piece in (text or "").split(LIST_SEPARATOR):
        if not piece.strip():
            continue
        match = _NAME_ITEM.match(piece)
        if not match:
            raise ValueError(f"“{piece.strip()[:60]}” is not language=name (e.g. hy=Շուշի).")
        rest = match["rest"].strip()
        used = ""
        if rest.endswith(")") and " (" in rest:
            rest, used = rest[:-1].rsplit(" (", 1)
        if not rest:
            raise ValueError(f"“{piece.strip()[:60]}” has no name.")
        out.append((match["lang"], rest.strip(), used.strip()))
    return out


# --- django-import-export resources (the stock per-row path) --------------------------------


class SlugDictWidget(widgets.ForeignKeyWidget):
    """A foreign key by slug, looked up in a dict filled by one query on first use.

    import-export's CachedForeignKeyWidget builds a namedtuple class per lookup; a plain dict
    is 1.4–2x faster (MEASURED.md). A slug missing from the dict is looked up once more (a row
    the same import wrote before, e.g. a parent); an unknown slug is an error naming the value:
    nothing is created on the fly.
    """

    def __init__(self, model, field="slug", **kwargs):
        super().__init__(model, field=field, **kwargs)
        self._by_key = None

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
        if not value:
            return None
        if self._by_key is None:
            self._by_key = {getattr(o, self.field): o for o in self.model._default_manager.all()}
        found = self._by_key.get(value)
        if found is None:
            # A row written earlier in the same import (a parent before its children).
            found = self.model._default_manager.filter(**{self.field: value}).first()
            if found is None:
                raise ValueError(
                    f"Unknown {self.model._meta.verbose_name} “{value}” (no such slug)."
                )
            self._by_key[value] = found
        return found

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)


class SourcesWidget(widgets.ManyToManyWidget):
    """``slug; slug`` → Source objects, all looked up in one dict."""

    def __init__(self, **kwargs):
        super().__init__(Source, separator=LIST_SEPARATOR, field="slug", **kwargs)
        self._by_slug = None

    def clean(self, value, row=None, **kwargs):
        if self._by_slug is None:
            self._by_slug = {s.slug: s for s in Source.objects.all()}
        found = []
        for slug, _locator in parse_sources(str(value or "")):
            if slug not in self._by_slug:
                raise ValueError(f"Unknown source “{slug}” (no such slug).")
            found.append(self._by_slug[slug])
        return found

    def render(self, value, obj=None, **kwargs):
        return render_sources([(s.slug,) for s in value.all()]) if value is not None else ""


class TextWidget(widgets.CharWidget):
    """Blank text is "", never None (the models keep blank text as ""). The file's reader
    (``claims.tabular``, through ``claims.admin_import.BoundedFormat``) has undone the
    formula escapes already."""

    def clean(self, value, row=None, **kwargs):
        return "" if value is None else str(value)


class DateWidget(widgets.DateWidget):
    """Read as every import reads a date (``claims.tabular.parse_date``), with its message."""

    def clean(self, value, row=None, **kwargs):
        return parse_date("" if value is None else str(value))


class WholeNumberWidget(widgets.IntegerWidget):
    """Read as every import reads a whole number (``claims.tabular.parse_whole_number``)."""

    def clean(self, value, row=None, **kwargs):
        return parse_whole_number("" if value is None else str(value), MAX_VALUE)


class BooleanWidget(widgets.BooleanWidget):
    """Read as every import reads true or false (``claims.tabular.parse_bool``)."""

    def clean(self, value, row=None, **kwargs):
        return parse_bool("" if value is None else str(value))


def _fields_for(columns):
    attrs = {}
    for col in columns:
        if col.kind == "fk":
            widget = SlugDictWidget(col.fk_model, field=col.key)
        elif col.kind == "many" and col.fk_model is Source:
            widget = SourcesWidget()
        elif col.kind == "many":
            continue  # handled by the resource itself (place names)
        elif col.attr == "version":
            continue  # the stale-version check is the fast importer's (claims.importing)
        elif col.kind == "int":
            widget = WholeNumberWidget()
        elif col.kind == "date":
            widget = DateWidget(format="%Y-%m-%d")
        elif col.kind == "bool":
            widget = BooleanWidget()
        else:
            widget = TextWidget()
        attrs[col.name] = fields.Field(attribute=col.attr, column_name=col.name, widget=widget)
    return attrs


class HistoryResource(resources.ModelResource):
    """Every row the stock path writes gets a history row with the importer and the file.

    django-import-export saves row by row (``save()``), so simple-history writes the rows;
    the reason is ``Imported by <user> from “<file>” (admin)``, set around the whole import
    (the admin's dry run and its confirm both come through here).

    A file with any error imports nothing: an invalid row (a bad value, an unknown slug, a
    deletion the user may not make) rolls the whole import back, its history included, as an
    exception in a row does. (django-import-export would otherwise keep the valid rows.)
    """

    def import_data(self, dataset, *args, file_name=None, user=None, **kwargs):
        from casualties.history import change_context, current_context

        kwargs["rollback_on_validation_errors"] = True
        if current_context() is not None:
            return super().import_data(dataset, *args, file_name=file_name, user=user, **kwargs)
        who = getattr(user, "get_username", lambda: "")() or "an unknown user"
        reason = f"Imported by {who} from “{file_name or 'a file'}” (admin)"
        with change_context(user=user, reason=reason):
            return super().import_data(dataset, *args, file_name=file_name, user=user, **kwargs)


def may_delete(user, model) -> bool:
    """Whether an import run by ``user`` may delete rows of ``model``.

    An import deletes only what its user could delete in the admin (``<app>.delete_<model>``:
    administrators, not editors or reviewers; see ``claims.roles``). An import with no user
    (a script, a management command without ``--user``) is not checked.
    """
    if user is None:
        return True
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.{get_permission_codename('delete', opts)}")


def deletion_refused(model, what: str, labels) -> str:
    """The row error for deleting ``labels`` (rows of ``model``) without the permission."""
    labels = [f"“{label}”" for label in labels]
    listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    plural = what if len(labels) == 1 else f"{what}s"
    return (
        f"removing the {plural} {listed} needs permission to delete "
        f"{model._meta.verbose_name_plural}"
    )


def _resource(name, model, columns, id_column):
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": tuple(c.name for c in columns if c.attr != "version"),
            "import_id_fields": (id_column,),
            "skip_unchanged": True,
            "report_skipped": True,
            "clean_model_instances": True,
            "use_transactions": True,
        },
    )
    return type(name, (HistoryResource,), {**_fields_for(columns), "Meta": meta})


class ClaimResource(_resource("_ClaimBase", Claim, CLAIM_COLUMNS, "external_id")):
    """Claims on the stock path, by the same rules as everywhere: the bounds read from the
    words where the row leaves them to the words (``claims.figures.read_words``), then the
    claim's rules in ``Claim.clean()`` (``clean_model_instances``)."""

    def import_instance(self, instance, row, **kwargs):
        from claims.services import figure_values, fill_bounds_from_words

        before = None if instance.pk is None else figure_values(instance)
        super().import_instance(instance, row, **kwargs)
        fill_bounds_from_words(instance, before)


CasualtyRecordResource = _resource(
    "CasualtyRecordResource", CasualtyRecord, RECORD_COLUMNS, "external_id"
)
SourceResource = _resource("SourceResource", Source, SOURCE_COLUMNS, "slug")
EventResource = _resource("EventResource", Event, EVENT_COLUMNS, "slug")
PartyResource = _resource("PartyResource", Party, PARTY_COLUMNS, "slug")
CategoryResource = _resource("CategoryResource", Category, CATEGORY_COLUMNS, "slug")
ClaimantResource = _resource("ClaimantResource", Claimant, CLAIMANT_COLUMNS, "slug")


class PlaceResource(_resource("_PlaceBase", Place, PLACE_COLUMNS, "slug")):
    """Places with their names in every language in one ``names`` cell.

    The cell sets the place's names to exactly those in it: a name missing from it is
    deleted. That needs permission to delete place names; without it the row is refused
    (``Row 3, names: removing the name “Khankendi” needs permission to delete place names``)
    and the file imports nothing. A file without a ``names`` column leaves the names as they
    are.
    """

    names = fields.Field(column_name="names", attribute=None, readonly=False)

    def dehydrate_names(self, place):
        return render_names([(n.language, n.name, n.used_by) for n in place.names.all()])

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name == "names":
            return  # read in import_instance, written in save_m2m
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        """The row's fields, then its names; every error of the row is reported together."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        instance._imported_names = None
        if "names" in row:
            try:
                wanted = parse_names(str(row.get("names") or ""))
            except ValueError as exc:
                errors["names"] = [ValidationError(str(exc), code="invalid")]
            else:
                instance._imported_names = wanted
                refused = self._refused_removals(instance, wanted, kwargs.get("user"))
                if refused:
                    errors["names"] = [ValidationError(refused, code="permission")]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _current_names(place) -> list:
        return list(place.names.all()) if place.pk is not None else []

    @staticmethod
    def _stale(current, wanted) -> list:
        """The current names (PlaceName rows) the ``names`` cell does not have."""
        keep = {(lang, name) for lang, name, _used in wanted}
        return [n for n in current if (n.language, n.name) not in keep]

    def _refused_removals(self, place, wanted, user) -> str:
        """The row error if the cell removes names ``user`` may not delete, else ""."""
        stale = self._stale(self._current_names(place), wanted)
        if not stale or may_delete(user, PlaceName):
            return ""
        return deletion_refused(PlaceName, "name", [n.name for n in stale])

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A row whose only change is in its names is not unchanged.
        wanted = getattr(instance, "_imported_names", None)
        if wanted is not None and not import_validation_errors and original is not None:
            have = [(n.language, n.name, n.used_by) for n in self._current_names(original)]
            if sorted(set(wanted)) != sorted(have):
                return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        wanted = getattr(instance, "_imported_names", None)
        if wanted is None or kwargs.get("dry_run") and not kwargs.get("using_transactions"):
            return
        current = self._current_names(instance)
        stale = self._stale(current, wanted)
        if stale and not may_delete(kwargs.get("user"), PlaceName):
            # Checked in import_instance already; this is the check at the deletion itself.
            # The ValidationError rolls the whole import back (HistoryResource).
            message = deletion_refused(PlaceName, "name", [n.name for n in stale])
            raise ValidationError({"names": [message]})
        have = {(n.language, n.name): n for n in current}
        for lang, name, used in wanted:
            found = have.pop((lang, name), None)
            if found is None:
                PlaceName.objects.create(place=instance, language=lang, name=name, used_by=used)
            elif found.used_by != used:
                found.used_by = used
                found.save()
        for name in stale:
            name.delete()
