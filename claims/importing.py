"""The fast import of claims and casualty records, with full history.

One import = one file, one user, one reason (``Imported by <user> from “<file>” (admin)``).
The file is read in chunks of ``CHUNK`` rows, so memory does not grow with the file (only the
set of row ids seen, to refuse duplicates). For each chunk:

1. every row is validated: column types, choices, slugs of related rows looked up in dicts
   filled by one query per related table, then the rules the admin and the services follow
   too (a claim's bounds read from its words by ``claims.figures.read_words``, its rules in
   ``claims.models.claim_errors``; a record's in ``casualties.records.record_errors``) —
   every error is collected with its row number, column and a plain message;
2. the rows already in the database are read in one query (and their cited sources in one
   more), and each row is classed new / changed / unchanged (unchanged rows are not written,
   so re-importing a file writes nothing and leaves no history);
3. unless an error has been seen anywhere in the file so far, the chunk is written: new rows
   with ``COPY`` (PostgreSQL) or ``executemany`` (SQLite) under ids taken from the table's
   sequence first, changed rows through a staging table and one ``UPDATE … FROM`` (PostgreSQL)
   or ``executemany`` (SQLite), then their history rows with one ``INSERT … SELECT`` from the
   rows just written (type ``+`` or ``~``, the user, the time, the reason), and the same for the
   cited sources (claims) or the history of the sources (records).

All of it runs in one transaction: a file with any error, anywhere, writes nothing. A dry run
(the admin's preview) only validates and classes rows; it writes nothing at all.

An import deletes only what its user may delete: a claim row whose ``sources`` leave out a
source the claim cites now deletes that citation (a ClaimSource row), which needs
``claims.delete_claimsource``; without it the row is an error (``sources``). Records' sources
are a plain many-to-many of the record: taking one off changes the record, nothing is deleted.
An import with no user (a command without ``--user``) is not checked.

Its history rows are written in bulk, so it notes its changes itself (``casualties.changes``,
one note per conflict and category it wrote, and per category its claims' figures were under):
the stored figures follow once it commits (``claims.refresh``).
"""

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from concurrency.fields import OFFSET as VERSION_OFFSET
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from casualties.changes import note
from casualties.models import CasualtyRecord
from claims.figures import MAX_VALUE, read_words
from claims.models import (
    Claim,
    ClaimSource,
    FigureClaimRole,
    Source,
    claim_errors,
    derive_relation,
    new_external_id,
)
from claims.resources import (
    CLAIM_COLUMNS,
    RECORD_COLUMNS,
    Col,
    deletion_refused,
    may_delete,
    parse_sources,
)
from claims.tabular import FileError, parse_bool, parse_date, parse_whole_number, read_table

VERSION_FIELD = "version"  # casualties.concurrency: every tracked row has one

CHUNK = 2000
SAMPLE_ROWS = 50  # rows of each class kept for the preview page
_ID = re.compile(r"^[-a-zA-Z0-9_]+$")
_TEXT = {"CharField", "TextField", "SlugField"}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"row {self.row}" if self.row else "file"
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


GROUP_FIRST_ROWS = 5  # rows named in a grouped error


@dataclass
class ErrorGroup:
    """Rows with the same error: the message once, the count and the first rows."""

    column: str
    message: str
    count: int = 0
    rows: list[int] = field(default_factory=list)

    @property
    def rows_text(self) -> str:
        if self.rows == [0]:
            return "file"
        shown = ", ".join(str(r) for r in self.rows)
        if self.count > len(self.rows):
            return f"rows {shown}… ({self.count:,} rows)"
        return f"row{'s' if self.count > 1 else ''} {shown}"

    def __str__(self):
        where = self.rows_text
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


@dataclass
class ImportResult:
    kind: str
    file_name: str
    dry_run: bool
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    samples: dict[str, list[dict]] = field(
        default_factory=lambda: {"new": [], "changed": [], "unchanged": []}
    )
    note: str = ""
    written: bool = False

    publish: bool = False
    duplicates: list = field(default_factory=list)  # casualties.duplicates.Pair, records only
    duplicates_unchecked: int = 0  # rows past casualties.duplicates.IMPORT_ROWS_CHECKED

    @property
    def ok(self) -> bool:
        return not self.errors

    def grouped_errors(self, first: int = GROUP_FIRST_ROWS) -> list["ErrorGroup"]:
        """The errors with one entry per (column, message): 3,530 rows citing one unknown
        source are one entry with the count and the first rows, in the order first seen."""
        groups: dict[tuple[str, str], ErrorGroup] = {}
        for error in self.errors:
            key = (error.column, error.message)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ErrorGroup(error.column, error.message)
            group.count += 1
            if len(group.rows) < first:
                group.rows.append(error.row)
        return list(groups.values())

    @property
    def rows(self) -> int:
        return self.new + self.changed + self.unchanged

    def summary(self) -> str:
        text = f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged"
        return text + (f", {len(self.errors)} errors" if self.errors else "")


class _Rollback(Exception):
    pass


def import_reason(user, file_name: str, via: str) -> str:
    who = getattr(user, "get_username", lambda: "")() or "an unknown user"
    return f"Imported by {who} from “{file_name}” ({via})"


# --- what each import writes -----------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    kind: str
    model: type
    columns: tuple[Col, ...]
    many: str  # "citations" (ClaimSource rows with history) or "m2m" (history snapshots)

    @cached_property
    def by_name(self) -> dict[str, Col]:
        return {c.name: c for c in self.columns}

    @cached_property
    def attrs(self) -> list[str]:
        """Model attributes (``claimant_id`` for a foreign key) the file can set."""
        return [
            _attname(self.model, c)
            for c in self.columns
            if c.kind != "many" and c.attr != VERSION_FIELD
        ]


def _attname(model, col: Col) -> str:
    return model._meta.get_field(col.attr).attname


SPECS = {
    "claims": Spec("claims", Claim, CLAIM_COLUMNS, "citations"),
    "records": Spec("records", CasualtyRecord, RECORD_COLUMNS, "m2m"),
}


# --- reading and checking one row ------------------------------------------------------------


class _Lookups:
    """Slug → id of every related table a file refers to: one query per table."""

    def __init__(self, spec: Spec):
        self.by_model: dict[type, dict[str, int]] = {}
        for col in spec.columns:
            if col.fk_model is not None and col.fk_model not in self.by_model:
                self.by_model[col.fk_model] = dict(
                    col.fk_model._default_manager.values_list(col.key, "pk")
                )
        if spec.kind == "claims":
            from casualties.models import Party
            from claims.models import Claimant

            self.claimant_party = dict(Claimant.objects.values_list("pk", "party_id"))
            self.party_side = dict(Party.objects.values_list("pk", "side_id"))


_FIELDS: dict = {}


def _field(model, name):
    key = (model, name)
    if key not in _FIELDS:
        _FIELDS[key] = model._meta.get_field(name)
    return _FIELDS[key]


def _convert(spec: Spec, lookups: _Lookups, col: Col, raw: str):
    """The database value of one cell; raises ValueError with a plain message."""
    field_ = _field(spec.model, col.attr)
    if col.kind == "fk":
        value = raw.strip()
        if not value:
            return None
        try:
            return lookups.by_model[col.fk_model][value]
        except KeyError:
            raise ValueError(
                f"unknown {col.fk_model._meta.verbose_name} “{value[:80]}” (no such slug); "
                "add it first, imports do not create it"
            ) from None
    if col.kind == "many":
        known = lookups.by_model[Source]
        items, seen = [], set()
        for slug, locator in parse_sources(raw):
            if slug not in known:
                raise ValueError(f"unknown source “{slug[:80]}” (no such slug)")
            if slug in seen:
                raise ValueError(f"source “{slug}” is cited twice")
            seen.add(slug)
            items.append((known[slug], locator))
        return items
    if col.kind == "int":
        return parse_whole_number(raw, MAX_VALUE)
    if col.kind == "date":
        return parse_date(raw)
    if col.kind == "bool":
        return parse_bool(raw)
    if col.kind == "choice":
        value = raw.strip()
        if not value:
            if col.required:
                raise ValueError("is required")
            # The qualifier has no default: it is read from the figure.
            return field_.get_default() if field_.has_default() else None
        if value not in {str(k) for k, _ in field_.flatchoices}:
            allowed = ", ".join(str(k) for k, _ in field_.flatchoices if k)
            raise ValueError(f"“{value[:40]}” is not one of: {allowed}")
        return value
    # text
    if col.attr == "external_id":
        value = raw.strip()
        if value and (not _ID.match(value) or len(value) > field_.max_length):
            raise ValueError(
                f"“{value[:40]}” is not an id (letters, digits, - and _; "
                f"at most {field_.max_length})"
            )
        return value
    if field_.max_length and len(raw) > field_.max_length:
        raise ValueError(f"is {len(raw)} characters long; at most {field_.max_length}")
    if "\x00" in raw:
        raise ValueError("contains a NUL character")
    return raw


def _check_claim(values: dict, before: dict | None, lookups: _Lookups, err: Callable) -> None:
    """The claim's rules, as in the admin and the services: the bounds read from the words
    where the row leaves them to the words (``read_words``), then ``claim_errors``, on the
    merged row. Words that cannot be read are an error here (nobody reads a warning)."""
    complaint = read_words(values, before)
    relation = None
    if values["accepted"] and values["claimant_id"] is not None:
        party = lookups.claimant_party.get(values["claimant_id"])
        subject = values["subject_id"]
        relation = derive_relation(
            None if party is None else _PartyRef(party, lookups.party_side.get(party)),
            None if subject is None else _PartyRef(subject, lookups.party_side.get(subject)),
        )
    errors = claim_errors(values, relation=relation)
    if complaint and "figure_text" not in errors:
        errors["figure_text"] = (
            f"{complaint} Give lower/upper and a qualifier, or qualifier “unreadable” to keep "
            "only the words"
        )
    for field_name, message in errors.items():
        err(field_name, message)


# A record rule's field → the column that holds it.
_RECORD_COLUMN = {"conflict_id": "conflict"}


def _check_record(values: dict, wars: dict, err: Callable) -> None:
    """The record's own rules (``casualties.records``, as ``CasualtyRecord.clean``), on the
    merged row; then its derived fields (Latin form, search text)."""
    from casualties.records import derive, record_errors

    if not values["name"].strip():
        err("name", "is required")
        return
    start, end, name = wars.get(values["conflict_id"], (None, None, ""))
    errors = record_errors(
        date=values["date"], outcome=values["outcome"],
        died_after_war=values["died_after_war"], conflict_start=start,
        conflict_end=end, conflict_name=name, date_of_birth=values["date_of_birth"],
        age=values["age"], age_band=values["age_band"],
        date_precision=values["date_precision"],
    )  # fmt: skip
    for field_name, message in errors.items():
        err(_RECORD_COLUMN.get(field_name, field_name), message)
    derive(values)


@dataclass(frozen=True)
class _PartyRef:
    pk: int
    side_id: int | None


# --- the import ------------------------------------------------------------------------------


def import_file(
    f,
    file_name: str,
    *,
    kind: str,
    user,
    via: str = "admin",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    publish: bool = False,
) -> ImportResult:
    """Import ``f`` (a binary, seekable file) as ``kind`` ("claims" or "records").

    Returns the counts and every error. With any error nothing is written. ``progress`` is
    called with the number of rows read so far after each chunk.

    New records arrive as drafts, or published with ``publish`` (only for a user who may
    publish records, ``casualties.publish_casualtyrecord``; an import with no user is not
    checked). A record's status is never changed by a file: that is the workflow's.
    """
    spec = SPECS[kind]
    result = ImportResult(kind, file_name, dry_run, publish=publish)
    if (
        publish
        and kind == "records"
        and user is not None
        and not user.has_perm("casualties.publish_casualtyrecord")
    ):
        result.errors.append(
            RowError(0, "", "you may not publish records: import them without “publish”")
        )
        return result
    try:
        table = read_table(f, file_name, spec.columns)
    except FileError as exc:
        result.errors.append(RowError(0, "", exc.message))
        return result
    result.note = table.note
    job = _Job(spec, result, table.headers, user, import_reason(user, file_name, via))
    try:
        if dry_run:
            job.run(table.rows(), progress)
            job.finish()
        else:
            with transaction.atomic():
                job.run(table.rows(), progress)
                job.finish()
                if result.errors:
                    raise _Rollback
                result.written = True
                job.note_changes()
    except _Rollback:
        pass
    except FileError as exc:
        result.errors.append(RowError(0, "", exc.message))
    if result.errors:
        result.written = False
    return result


class _Job:
    def may_change(self, current: dict) -> bool:
        """Whether this import's user may change the existing row ``current``."""
        if self.spec.kind != "records" or self.may_review_records:
            return True
        from casualties.models import CasualtyRecord

        return current.get("status") == CasualtyRecord.Status.DRAFT

    def __init__(self, spec: Spec, result: ImportResult, headers, user, reason):
        self.spec, self.result, self.user, self.reason = spec, result, user, reason
        self.present = [spec.by_name[h] for h in headers]
        self.lookups = _Lookups(spec)
        self.seen: set[str] = set()
        # A claim's cited sources missing from its row are deleted (ClaimSource rows): only
        # for users who may delete them (claims.roles: administrators).
        self.may_delete_citations = may_delete(user, ClaimSource)
        # Records past draft change only through users who may review them (the admin's rule).
        self.may_review_records = user is None or user.has_perm("casualties.publish_casualtyrecord")
        self.writer = None
        self.now = timezone.now()
        self.citation_ids: dict[tuple[int, int], int] = {}
        self._defaults = {}
        for f in spec.model._meta.concrete_fields:
            if not f.primary_key:
                self._defaults[f.attname] = (
                    f.get_default()
                    if f.has_default() and not callable(f.default)
                    # Blank text is "" (a column left out of the file), never NULL.
                    else ("" if not f.null and f.get_internal_type() in _TEXT else None)
                )
        self._defaults["external_id"] = ""
        if spec.kind == "records":
            from casualties.duplicates import ImportDuplicates
            from casualties.models import Conflict

            self._defaults["status"] = (
                CasualtyRecord.Status.PUBLISHED if result.publish else CasualtyRecord.Status.DRAFT
            )
            self.wars = {
                c.pk: (c.start_date, c.end_date, c.name)
                for c in Conflict.objects.only("start_date", "end_date", "name")
            }
            self.duplicates = ImportDuplicates()

    def note_changes(self):
        """Its history rows are written in bulk (no ``save()``): note what the figures must
        follow, one note per conflict and category."""
        if self.writer is None:
            return
        for conflict_id, category_id in sorted(self.writer.touched, key=str):
            note(self.spec.model, reason=self.reason, user=self.user,
                 conflict_id=conflict_id, category_id=category_id)  # fmt: skip

    def finish(self):
        """After the last chunk: the probable duplicates of the file's new records."""
        if self.spec.kind == "records":
            self.result.duplicates = self.duplicates.pairs()
            self.result.duplicates_unchecked = self.duplicates.unchecked

    def run(self, rows: Iterable, progress):
        chunk, read = [], 0
        for number, raw in rows:
            chunk.append((number, raw))
            if len(chunk) == CHUNK:
                read += len(chunk)
                self.chunk(chunk)
                chunk = []
                if progress:
                    progress(read)
        if chunk:
            read += len(chunk)
            self.chunk(chunk)
            if progress:
                progress(read)

    # -- validate and class one chunk --

    def chunk(self, rows):
        spec, result = self.spec, self.result
        parsed = []
        for number, raw in rows:
            errors_before = len(result.errors)

            def err(column, message, number=number):
                result.errors.append(RowError(number, column, message))

            if "__error__" in raw:
                err("", raw["__error__"])
                continue
            file_values, many = {}, None
            for col in self.present:
                text = raw.get(col.name, "")
                try:
                    value = _convert(spec, self.lookups, col, text)
                except ValueError as exc:
                    err(col.name, str(exc))
                    continue
                if col.kind == "many":
                    many = value
                else:
                    file_values[_attname(spec.model, col)] = value
            ext_id = file_values.get("external_id", "")
            if ext_id:
                if ext_id in self.seen:
                    err("external_id", f"the id “{ext_id}” is in the file more than once")
                self.seen.add(ext_id)
            if len(result.errors) == errors_before:
                parsed.append((number, file_values, many))
        ids = [fv["external_id"] for _, fv, _ in parsed if fv.get("external_id")]
        existing = self.existing(ids)
        existing_many = self.existing_many([row["id"] for row in existing.values()])
        new, changed = [], []
        for number, file_values, many in parsed:
            errors_before = len(result.errors)

            def err(column, message, number=number):
                result.errors.append(RowError(number, column, message))

            current = existing.get(file_values.get("external_id"))
            sent = file_values.pop(VERSION_FIELD, None)
            # A stale version guards what the row would overwrite: it is refused below if the
            # row changes anything; the same edited file imported again changes nothing.
            stale = current is not None and sent is not None and sent != current[VERSION_FIELD]

            def stale_error(sent=sent, current=current):
                err(
                    "version",
                    f"this row was changed since you exported it (version {sent} in the file, "
                    f"{current[VERSION_FIELD]} now); export it again and redo your change",
                )

            if (
                spec.kind == "claims"
                and current is not None
                and file_values.get("status", current["status"]) != current["status"]
            ):
                if stale:
                    stale_error()
                    continue
                # Status moves only through the workflow steps (claims.services), each with
                # its own reason and permission; a file cannot publish or un-retract a claim.
                err(
                    "status",
                    f"an import does not change a claim's status (it is “{current['status']}”, "
                    f"the file says “{file_values['status']}”); take the workflow step in the "
                    "admin (submit, publish, send back, retract), or leave the cell as it is",
                )
                continue
            values = dict(current) if current else self.defaults()
            if current is None and sent is not None:
                values[VERSION_FIELD] = sent  # a row re-created from an export keeps its version
            values.update(file_values)
            if not values.get("external_id"):
                if spec.kind == "claims":
                    values["external_id"] = new_external_id()
                else:
                    err("external_id", "is required")
            for col in spec.columns:
                if (
                    col.required
                    and not col.blank
                    and col.kind == "fk"
                    and values.get(f"{col.attr}_id") is None
                ):
                    err(col.name, "is required")
            if spec.kind == "claims" and len(result.errors) == errors_before:
                _check_claim(values, current, self.lookups, err)
            elif spec.kind == "records" and len(result.errors) == errors_before:
                _check_record(values, self.wars, err)
            if len(result.errors) > errors_before:
                continue
            many_now = existing_many.get(current["id"], []) if current else []
            if spec.many == "m2m" and many is not None:
                many = [(sid, "") for sid, _ in many]
            if spec.many == "citations" and many is not None and not self.may_delete_citations:
                cited = {sid for sid, _ in many}
                dropped = [sid for sid, _ in many_now if sid not in cited]
                if dropped:
                    slugs = [self.source_slugs.get(sid, str(sid)) for sid in dropped]
                    err("sources", deletion_refused(ClaimSource, "cited source", slugs))
                    continue
            if spec.kind == "records":
                self.duplicates.add(number, values, is_new=current is None)
            if current is None:
                result.new += 1
                new.append((values, many or []))
                self.sample("new", number, values, None)
            else:
                diff = [a for a in spec.attrs if values.get(a) != current.get(a)]
                many_changed = many is not None and sorted(many) != sorted(many_now)
                if (diff or many_changed) and stale:
                    stale_error()
                elif (diff or many_changed) and not self.may_change(current):
                    # As in the admin: editors change drafts only; a reviewed record changes
                    # through a reviewer, so a file cannot rewrite what a reviewer published.
                    err(
                        "external_id",
                        f"“{current['external_id']}” is {current['status'].replace('_', ' ')}: "
                        "only a reviewer may change it (an editor changes drafts only)",
                    )
                elif diff or many_changed:
                    result.changed += 1
                    changed.append((values, many, many_changed, bool(diff)))
                    before = {a: current.get(a) for a in diff}
                    if many_changed:
                        before["sources"] = (many_now, many)
                    self.sample(
                        "changed", number, values, diff + (["sources"] * many_changed), before
                    )
                else:
                    result.unchanged += 1
                    self.sample("unchanged", number, values, None)
        if not result.errors and not result.dry_run:
            if self.writer is None:
                self.writer = _Writer(self.spec, self.user, self.reason, self.now)
            self.writer.write(new, changed, existing_many, self.citation_ids)
        self.citation_ids = {}

    @cached_property
    def source_slugs(self) -> dict[int, str]:
        return {pk: slug for slug, pk in self.lookups.by_model[Source].items()}

    def sample(self, which, number, values, diff, before=None):
        """Keep the first rows of each class for the preview; a changed row keeps the values
        it had (``before``: attribute → old value; "sources" → (old, new) citations)."""
        bucket = self.result.samples[which]
        if len(bucket) < SAMPLE_ROWS:
            bucket.append(
                {"row": number, "values": values, "changed": diff or [], "before": before or {}}
            )

    def defaults(self) -> dict:
        return dict(self._defaults)

    def existing(self, ids) -> dict[str, dict]:
        if not ids:
            return {}
        names = [
            "id",
            *(f.attname for f in self.spec.model._meta.concrete_fields if not f.primary_key),
        ]
        rows = (
            self.spec.model._default_manager.filter(external_id__in=ids).order_by().values(*names)
        )
        return {row["external_id"]: row for row in rows}

    def existing_many(self, pks) -> dict[int, list]:
        out: dict[int, list] = {}
        if not pks:
            return out
        if self.spec.many == "citations":
            rows = []
            for pk, claim_id, source_id, locator in ClaimSource.objects.filter(
                claim_id__in=pks
            ).values_list("pk", "claim_id", "source_id", "locator"):
                self.citation_ids[(claim_id, source_id)] = pk
                rows.append((claim_id, source_id, locator))
        else:
            through = CasualtyRecord.sources.through
            rows = (
                (r, s, "")
                for r, s in through.objects.filter(casualtyrecord_id__in=pks).values_list(
                    "casualtyrecord_id", "source_id"
                )
            )
        for owner, source, locator in rows:
            out.setdefault(owner, []).append((source, locator))
        return out


# --- writing ---------------------------------------------------------------------------------


def _q(name):
    return connection.ops.quote_name(name)


class _Writer:
    """Writes one chunk: rows, their history, and their sources with history."""

    def __init__(self, spec, user, reason, now):
        self.spec, self.reason, self.now = spec, reason, now
        self.user_id = getattr(user, "pk", None)
        self.pg = connection.vendor == "postgresql"
        self.model = spec.model
        self.fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        self.stage = None
        # COPY takes Python values; SQLite's executemany takes what Django would store.
        self.stamp = self.now if self.pg else connection.ops.adapt_datetimefield_value(self.now)
        self.version = int(time.time() * 1_000_000) - VERSION_OFFSET
        # (conflict id, category id or None) of every claim or record written, before and after.
        self.touched: set[tuple[int, int | None]] = set()

    # ids ---------------------------------------------------------------------------------

    def allocate(self, model, n) -> list[int]:
        """``n`` fresh primary keys, taken before writing so every lookup is done before COPY."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [r[0] for r in cursor.fetchall()]
            # SQLite: the transaction holds the write lock (IMMEDIATE), so max + 1 is ours.
            cursor.execute(
                f"SELECT MAX(v) FROM (SELECT MAX(id) AS v FROM {_q(table)} UNION ALL "  # noqa: S608
                "SELECT seq FROM sqlite_sequence WHERE name = %s)",
                [table],
            )
            start = (cursor.fetchone()[0] or 0) + 1
            return list(range(start, start + n))

    # low-level ---------------------------------------------------------------------------

    def insert(self, model, columns, rows):
        if not rows:
            return
        table = _q(model._meta.db_table)
        cols = ", ".join(_q(c) for c in columns)
        if self.pg:
            raw = connection.connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def history(self, model, history_type, where_sql, params, returning=False):
        """One INSERT … SELECT of the history rows of the rows ``where_sql`` picks."""
        hist = model.history.model
        names = [f.column for f in model._meta.concrete_fields]
        cols = ", ".join(_q(c) for c in names)
        extra = ", ".join(
            _q(c)
            for c in ("history_date", "history_change_reason", "history_type", "history_user_id")
        )
        sql = (
            f"INSERT INTO {_q(hist._meta.db_table)} ({cols}, {extra}) "  # noqa: S608
            f"SELECT {', '.join('t.' + _q(c) for c in names)}, %s, %s, %s, %s "
            f"FROM {_q(model._meta.db_table)} t WHERE {where_sql}"
        )
        if returning:
            sql += " RETURNING history_id"
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.stamp, self.reason, history_type, self.user_id, *params])
            ids = [r[0] for r in cursor.fetchall()] if returning else None
            if model in (Claim, CasualtyRecord):
                self.touched.update(self.scopes(cursor, model, where_sql, params))
            return ids

    def scopes(self, cursor, model, where_sql, params):
        """The conflicts and categories of the rows ``where_sql`` picks, and for claims those
        their figures are stored under (before this import moved them): what the figures must
        follow (``casualties.changes.note``)."""
        table = _q(model._meta.db_table)
        category = "t.category_id" if model is Claim else "NULL"
        cursor.execute(
            f"SELECT DISTINCT t.conflict_id, {category} FROM {table} t WHERE {where_sql}",  # noqa: S608
            params,
        )
        found = cursor.fetchall()
        if model is Claim:
            roles = _q(FigureClaimRole._meta.db_table)
            cursor.execute(
                f"SELECT DISTINCT conflict_id, category_id FROM {roles} WHERE claim_id IN "  # noqa: S608
                f"(SELECT t.id FROM {table} t WHERE {where_sql})",
                params,
            )
            found += cursor.fetchall()
        return found

    def ids_where(self, ids, column="id", alias="t."):
        if self.pg:
            return f"{alias}{_q(column)} = ANY(%s)", [list(ids)]
        return f"{alias}{_q(column)} IN ({', '.join(['%s'] * len(ids))})", list(ids)

    # the chunk ---------------------------------------------------------------------------

    def write(self, new, changed, existing_many, citation_ids):
        model = self.model
        returning = self.spec.many == "m2m"
        history_ids = []
        if new:
            pks = self.allocate(model, len(new))
            columns = ["id", *(f.column for f in self.fields)]
            rows = []
            for pk, (values, _many) in zip(pks, new, strict=True):
                values["id"] = pk
                rows.append([pk, *(self.value(f, values, new=True) for f in self.fields)])
            self.insert(model, columns, rows)
            where, params = self.ids_where(pks)
            history_ids += self.history(model, "+", where, params, returning) or []
        updated = [values for values, _m, _mc, row_changed in changed if row_changed or returning]
        if updated:
            self.update(updated)
            where, params = self.ids_where([v["id"] for v in updated])
            history_ids += self.history(model, "~", where, params, returning) or []
        self.write_many(new, changed, existing_many, citation_ids)
        if returning and history_ids:
            self.m2m_history(history_ids)

    def value(self, f, values, new=False):
        if f.attname == "updated_at" or (new and f.attname == "created_at"):
            return self.stamp
        if f.attname == VERSION_FIELD:
            # As django-concurrency's IntegerVersionField: microseconds since 2000, always up.
            if new:
                return values.get(VERSION_FIELD) or self.version
            return max((values.get(VERSION_FIELD) or 0) + 1, self.version)
        return values.get(f.attname)

    def update(self, rows):
        model = self.model
        skip = {"created_at", "external_id"}
        fields = [f for f in self.fields if f.attname not in skip]
        table = _q(model._meta.db_table)
        data = [[*(self.value(f, values) for f in fields), values["id"]] for values in rows]
        if not self.pg:
            sets = ", ".join(f"{_q(f.column)} = %s" for f in fields)
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", data)  # noqa: S608
            return
        # PostgreSQL: COPY into a staging table, then one UPDATE … FROM.
        stage = _q(f"import_stage_{model._meta.db_table}")
        cols = [f.column for f in fields]
        with connection.cursor() as cursor:
            # Dropped at commit; inside a longer transaction (tests) it is reused, emptied.
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(_q(c) for c in cols)}, id FROM {table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {stage}")
            self.stage = stage
        raw = connection.connection
        copy_cols = ", ".join(_q(c) for c in [*cols, "id"])
        with raw.cursor() as cursor, cursor.copy(f"COPY {stage} ({copy_cols}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in cols)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {stage}")
            cursor.execute(f"UPDATE {table} t SET {sets} FROM {stage} s WHERE t.id = s.id")  # noqa: S608

    def write_many(self, new, changed, existing_many, citation_ids):
        """Cited sources (claims: ClaimSource rows with their own history) or sources (records)."""
        inserts, deletes, relocated = [], [], []
        for values, many in new:
            inserts += [(values["id"], sid, loc) for sid, loc in many]
        for values, many, many_changed, _ in changed:
            if not many_changed:
                continue
            have = dict(existing_many.get(values["id"], []))
            want = dict(many)
            inserts += [(values["id"], s, loc) for s, loc in many if s not in have]
            deletes += [(values["id"], s) for s in have if s not in want]
            relocated += [
                (want[s], values["id"], s) for s in have if s in want and want[s] != have[s]
            ]
        if self.spec.many == "citations":
            self.citations(inserts, deletes, relocated, citation_ids)
        else:
            through = CasualtyRecord.sources.through
            if deletes:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"DELETE FROM {_q(through._meta.db_table)} "  # noqa: S608
                        "WHERE casualtyrecord_id = %s AND source_id = %s",
                        deletes,
                    )
            if inserts:
                pks = self.allocate(through, len(inserts))
                rows = [[pk, r, s] for pk, (r, s, _l) in zip(pks, inserts, strict=True)]
                self.insert(through, ["id", "casualtyrecord_id", "source_id"], rows)

    def citations(self, inserts, deletes, relocated, citation_ids):
        table = _q(ClaimSource._meta.db_table)
        if deletes:
            ids = [citation_ids[key] for key in deletes]
            where, params = self.ids_where(ids)
            self.history(ClaimSource, "-", where, params)
            bare, params = self.ids_where(ids, alias="")
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE {bare}", params)  # noqa: S608
        if relocated:
            ids = [citation_ids[(c, s)] for _, c, s in relocated]
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET locator = %s, version = version + 1 WHERE id = %s",  # noqa: S608
                    [(loc, pk) for (loc, _, _), pk in zip(relocated, ids, strict=True)],
                )
            where, params = self.ids_where(ids)
            self.history(ClaimSource, "~", where, params)
        if inserts:
            pks = self.allocate(ClaimSource, len(inserts))
            rows = [
                [pk, c, s, loc, self.version] for pk, (c, s, loc) in zip(pks, inserts, strict=True)
            ]
            self.insert(ClaimSource, ["id", "claim_id", "source_id", "locator", "version"], rows)
            where, params = self.ids_where(pks)
            self.history(ClaimSource, "+", where, params)

    def m2m_history(self, history_ids):
        """The sources of each new record history row, as simple-history keeps them."""
        through = CasualtyRecord.sources.through
        hist_m2m = _q(
            apps.get_model("casualties", "HistoricalCasualtyRecord_sources")._meta.db_table
        )
        hist = _q(CasualtyRecord.history.model._meta.db_table)
        where, params = self.ids_where(history_ids, column="history_id")
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {hist_m2m} (id, casualtyrecord_id, source_id, history_id) "  # noqa: S608
                f"SELECT m.id, m.casualtyrecord_id, m.source_id, t.history_id FROM {hist} t "
                f"JOIN {_q(through._meta.db_table)} m ON m.casualtyrecord_id = t.id WHERE {where}",
                params,
            )
