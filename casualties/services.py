"""Writes with rules on named casualty records. The admin, the import, commands and tests call
these; each leaves history rows with who and why (casualties.history).

The workflow is the claims' (claims.services): draft → in review → published → retracted, and
in review → draft when a reviewer sends it back. Only published records are public and counted.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from casualties.history import change_context, save_with_history
from casualties.models import CasualtyRecord, DistinctPair
from casualties.records import derive
from casualties.workflow import take_step

S = CasualtyRecord.Status
TRANSITIONS = {
    "submit": ((S.DRAFT,), S.IN_REVIEW),
    "publish": ((S.DRAFT, S.IN_REVIEW), S.PUBLISHED),
    "send_back": ((S.IN_REVIEW,), S.DRAFT),
    "retract": ((S.PUBLISHED,), S.RETRACTED),
}
PUBLISH_PERMISSION = "casualties.publish_casualtyrecord"


@transaction.atomic
def record_create(*, user, reason: str, sources=(), **fields) -> CasualtyRecord:
    """Create a record (a draft unless ``status`` says otherwise), its Latin form derived."""
    record = CasualtyRecord(**fields)
    derive(record)
    with change_context(user=user, reason=reason):
        save_with_history(record, user=user, reason=reason)
        if sources:
            record.sources.set(sources)
    return record


@transaction.atomic
def record_update(
    *, record: CasualtyRecord, user, reason: str, expected_version: int | None = None, **fields
) -> CasualtyRecord:
    """Change fields of a record (never its status: that is the workflow's). With
    ``expected_version`` a record changed since is refused (EditConflict), writing nothing."""
    if "status" in fields:
        raise ValidationError({"status": "The status changes only through the workflow steps."})
    if expected_version is not None:
        record.version = expected_version
    for name, value in fields.items():
        setattr(record, name, value)
    derive(record)
    return save_with_history(record, user=user, reason=reason)


def _transition(record, name, **kwargs):
    return take_step(record, TRANSITIONS, name, **kwargs)


@transaction.atomic
def record_submit_for_review(
    *, record, user, expected_version: int, reason: str = "Submitted for review"
):
    """Draft → in review."""
    return _transition(
        record, "submit", user=user, reason=reason, expected_version=expected_version
    )


@transaction.atomic
def record_publish(*, record, user, expected_version: int, reason: str = "Published"):
    """Draft or in review → published: the record is public and counts from now on."""
    return _transition(
        record, "publish", user=user, reason=reason, expected_version=expected_version,
        review_note="",
    )  # fmt: skip


@transaction.atomic
def record_send_back(*, record, user, expected_version: int, note: str):
    """In review → draft with the reviewer's note."""
    if not (note or "").strip():
        raise ValidationError({"review_note": "Say what the editor should change."})
    return _transition(
        record, "send_back", user=user, reason=f"Sent back: {note.strip()}",
        expected_version=expected_version, review_note=note.strip(),
    )  # fmt: skip


@transaction.atomic
def record_retract(*, record, user, expected_version: int, reason: str):
    """Published → retracted: off the public pages and the counts; its history stays."""
    return _transition(
        record, "retract", user=user, reason=reason, expected_version=expected_version
    )


TRANSITION_SERVICES = {
    "submit": record_submit_for_review,
    "publish": record_publish,
    "send_back": record_send_back,
    "retract": record_retract,
}


@transaction.atomic
def record_merge(
    *, keep: CasualtyRecord, duplicate: CasualtyRecord, user, reason: str
) -> CasualtyRecord:
    """Record that ``duplicate`` is the same person as ``keep``.

    Nothing is deleted: ``duplicate`` stays, with its own history, pointing at ``keep``
    (``merged_into``), so it no longer counts; ``keep`` gains its sources, and its names as
    aliases. Both get a history row with ``reason``. Records merged into ``duplicate`` move to
    ``keep``.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why they are the same person."})
    keep = CasualtyRecord.objects.select_for_update().get(pk=keep.pk)
    duplicate = CasualtyRecord.objects.select_for_update().get(pk=duplicate.pk)
    if keep.pk == duplicate.pk:
        raise ValidationError("A record cannot be merged into itself.")
    if keep.merged_into_id is not None:
        raise ValidationError(f"{keep} was itself merged into another record; merge into that.")
    if duplicate.merged_into_id is not None:
        raise ValidationError(f"{duplicate} is already merged into another record.")
    reason = f"Merged {duplicate.external_id} into {keep.external_id}: {reason.strip()}"
    aliases = [a for a in keep.aliases.splitlines() if a.strip()]
    for name in [duplicate.name, duplicate.name_transliterated, *duplicate.aliases.splitlines()]:
        if name.strip() and name.strip() not in aliases and name.strip() != keep.name:
            aliases.append(name.strip())
    with change_context(user=user, reason=reason):
        keep.aliases = "\n".join(aliases)
        for field in ("date_of_birth", "rank", "date", "place_id", "event_id"):
            if not getattr(keep, field) and getattr(duplicate, field):
                setattr(keep, field, getattr(duplicate, field))
        derive(keep)
        save_with_history(keep, user=user, reason=reason, validate=False)
        keep.sources.add(*duplicate.sources.all())
        for other in list(CasualtyRecord.objects.filter(merged_into=duplicate)):
            other.merged_into = keep
            save_with_history(other, user=user, reason=reason, validate=False)
        duplicate.merged_into = keep
        save_with_history(duplicate, user=user, reason=reason, validate=False)
    return keep


@transaction.atomic
def record_mark_distinct(*, first: CasualtyRecord, second: CasualtyRecord, user, reason: str):
    """Two records are different people: the pair is not suggested as duplicates again."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say how you know they are different people."})
    a, b = sorted([first.pk, second.pk])
    pair = DistinctPair.objects.filter(first_id=a, second_id=b).first()
    if pair is None:
        pair = DistinctPair(first_id=a, second_id=b, reason=reason.strip()[:300])
        save_with_history(pair, user=user, reason=reason.strip())
    return pair
