"""Edit conflicts: every tracked row carries a version, and a save from an old one is refused.

django-concurrency does the check where it cannot be raced: its ``IntegerVersionField`` turns
each UPDATE into ``UPDATE … WHERE id = %s AND version = %s`` and, when no row matched, calls
``CONCURRENCY_CALLBACK`` (``raise_edit_conflict`` below) inside the same transaction, so the
losing save writes nothing and leaves no history row. Whoever saves says which version they
started from by setting ``obj.version`` before ``save()`` (the admin from a signed hidden field,
services from ``expected_version=``).

The helpers here are what the admin and the services need around that check: which of a set
of rows moved on (``stale_versions``), a version that cannot be forged in a form
(``sign_version`` / ``unsign_version``), and what changed meanwhile, from the history rows
(``changes_since``).
"""

from dataclasses import dataclass

from concurrency.exceptions import RecordModifiedError
from django.core import signing
from django.db import models

VERSION_FIELD = "version"
_SALT = "casualties.concurrency.version"
# Fields that change on every save: they are not news to the one who lost the race.
_NOT_SHOWN = {VERSION_FIELD, "updated_at", "created_at"}


class EditConflict(RecordModifiedError):
    """The object was saved by someone else since the version this save started from."""

    def __init__(self, message="", *, target):
        super().__init__(
            message
            or f"{type(target)._meta.verbose_name} “{target}” was changed by someone else "
            "since you opened it.",
            target=target,
        )


def raise_edit_conflict(target, *args, **kwargs):
    """CONCURRENCY_CALLBACK: the versioned UPDATE matched no row."""
    raise EditConflict(target=target)


# Imported after the callback: loading the field reads CONCURRENCY_CALLBACK, which names it.
from concurrency.fields import IntegerVersionField  # noqa: E402


class VersionField(IntegerVersionField):
    """The row's version (microseconds since 2000 at its last save, so versions only grow).

    Not editable: forms carry it in their own signed hidden field (see ``casualties.admin_history``).
    The historical copy of the field keeps the version each revision had, as given.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", "Revision of the row; changes on every save.")
        super().__init__(*args, **kwargs)
        self.editable = False

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)  # always 0, set by the field itself
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        if getattr(type(model_instance), "instance_type", None) is not None:
            # A historical record: keep the version of the revision it copies.
            return getattr(model_instance, self.attname)
        return super().pre_save(model_instance, add)


def current_versions(model, pks, *, lock: bool = False) -> dict:
    """{pk: version} of the rows that exist; ``lock`` holds them (select_for_update) until the
    transaction ends, so a check and the write after it cannot be raced."""
    queryset = model._base_manager.filter(pk__in=list(pks))
    if lock:
        queryset = queryset.select_for_update()
    return dict(queryset.values_list("pk", VERSION_FIELD))


def stale_versions(model, expected: dict, *, lock: bool = False) -> list:
    """The pks of ``expected`` ({pk: version}) whose row has another version now or is gone."""
    current = current_versions(model, expected.keys(), lock=lock)
    return [pk for pk, version in expected.items() if current.get(pk) != version]


def sign_version(version) -> str:
    """The version as a form carries it: signed, so a page cannot claim a version it never saw."""
    return signing.Signer(salt=_SALT).sign(str(int(version)))


def unsign_version(value) -> int:
    """Read a signed version back; ``signing.BadSignature`` (or ValueError) if tampered with."""
    return int(signing.Signer(salt=_SALT).unsign(str(value)))


@dataclass(frozen=True)
class Change:
    """One field changed by one later revision."""

    field: str
    label: str
    old: object
    new: object
    user: object
    date: object
    reason: str
    history_type: str


def changes_since(obj, version) -> list[Change]:
    """What changed in ``obj`` after revision ``version``, oldest first, one entry per field
    and revision, read from its simple-history rows (who, when and why included).

    A deletion since then shows as one entry labelled "(deleted)", a save that changed no
    field as one labelled "(saved, no field changed)"; both with an empty ``field``.
    """
    model = type(obj)
    pk_name = model._meta.pk.attname
    rows = list(
        model.history.filter(**{pk_name: obj.pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    # The revision they started from: the last save at or before their version (a deletion
    # keeps the version of the last save, so it always counts as later).
    base = max(
        (i for i, row in enumerate(rows) if row.version <= version and row.history_type != "-"),
        default=-1,
    )
    later = rows[base + 1 :]
    previous = rows[base] if base >= 0 else None
    changes = []
    for row in later:
        common = {
            "user": row.history_user,
            "date": row.history_date,
            "reason": row.history_change_reason or "",
            "history_type": row.history_type,
        }
        if row.history_type == "-":
            changes.append(Change(field="", label="(deleted)", old="", new="", **common))
        elif previous is not None:
            delta = row.diff_against(previous, foreign_keys_are_objs=False)
            shown = [c for c in delta.changes if c.field not in _NOT_SHOWN]
            if not shown:
                # Saved with nothing changed (e.g. the parent of changed inline rows): still
                # news, it says who saved and why.
                changes.append(Change(field="", label="(saved, no field changed)", old="",
                                      new="", **common))  # fmt: skip
            for change in shown:
                field = model._meta.get_field(change.field)
                changes.append(
                    Change(
                        field=change.field,
                        label=str(getattr(field, "verbose_name", change.field)),
                        old=_readable(field, change.old),
                        new=_readable(field, change.new),
                        **common,
                    )
                )
        previous = row
    return changes


def _readable(field, value):
    if isinstance(field, models.Field) and field.choices and not isinstance(value, list):
        value = dict(field.flatchoices).get(value, value)
    return "(empty)" if value in (None, "") else value
