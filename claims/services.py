"""Writes with rules. The admin, imports, commands and tests all go through these."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casualties.history import change_context, save_with_history
from casualties.workflow import IllegalTransition, take_step  # noqa: F401 (re-exported)
from claims.figures import FIGURE_FIELDS, read_words
from claims.models import Claim, ClaimSource, ContradictionFlag, Source


def figure_values(claim: Claim) -> dict:
    """The fields ``read_words`` reads and fills, as they are on ``claim`` now."""
    return {name: getattr(claim, name) for name in ("figure_text", *FIGURE_FIELDS)}


def fill_bounds_from_words(claim: Claim, before: dict | None = None) -> str:
    """Read ``claim.figure_text`` into its bounds where the write leaves them to the words
    (``claims.figures.read_words``, the rule the admin form and the import follow too);
    ``before``: ``figure_values`` of the claim as stored, None for a new claim. Returns the
    parser's complaint, if any."""
    values = figure_values(claim)
    complaint = read_words(values, before)
    for name in FIGURE_FIELDS:
        setattr(claim, name, values[name])
    return complaint


@transaction.atomic
def claim_create(
    *, user, reason: str, sources: list[Source] = (), claim: Claim | None = None, **fields
) -> Claim:
    """Create a claim from ``fields``, or save ``claim``, a new one filled in already (the
    admin's form). Bounds left to the words are read from ``figure_text``; the claim's rules
    (``claim_errors``, through ``full_clean``) refuse a bad claim before anything is written."""
    if claim is None:
        claim = Claim(**fields)
    else:
        for name, value in fields.items():
            setattr(claim, name, value)
    fill_bounds_from_words(claim)
    with change_context(user=user, reason=reason):
        save_with_history(claim, user=user, reason=reason)
        citations = [ClaimSource(source=source) for source in sources]
        claim_citations_save(claim=claim, user=user, reason=reason, saved=citations)
    return claim


@transaction.atomic
def claim_citations_save(
    *,
    claim: Claim,
    user,
    reason: str,
    saved: Iterable[ClaimSource] = (),
    deleted: Iterable[ClaimSource] = (),
) -> None:
    """Cite sources in ``claim`` (new or changed ``saved`` rows) and drop ``deleted`` ones;
    every row's history says who and why. Drops go first, so a source dropped and cited again
    in one save is not refused as cited twice."""
    with change_context(user=user, reason=reason):
        for citation in deleted:
            citation.delete()
        for citation in saved:
            citation.claim = claim
            save_with_history(citation, user=user, reason=reason)


@transaction.atomic
def claim_update(
    *, claim: Claim, user, reason: str, expected_version: int | None = None, **fields
) -> Claim:
    """Change fields of a claim. New words without new bounds are read again
    (``claims.figures.read_words``); the claim's rules are checked before the write.

    ``claim`` may carry changes made already (the admin's form, which read the words by the
    same rule): they are saved as they are. With ``expected_version`` (the version the editor
    started from) the save is refused with ``casualties.concurrency.EditConflict``, writing
    nothing, if the claim moved on since.
    """
    if "status" in fields and fields["status"] != claim.status:
        raise IllegalTransition(
            "A claim's status changes only through a workflow step (submit, publish, send "
            "back, retract), not an update."
        )
    if expected_version is not None:
        claim.version = expected_version
    before = figure_values(claim)
    for name, value in fields.items():
        setattr(claim, name, value)
    fill_bounds_from_words(claim, before)
    return save_with_history(claim, user=user, reason=reason)


# (service name, from statuses, to status): draft → in review → published → retracted, and
# in review → draft when a reviewer sends it back.
S = Claim.Status
TRANSITIONS = {
    "submit": ((S.DRAFT,), S.IN_REVIEW),
    "publish": ((S.IN_REVIEW,), S.PUBLISHED),
    "send_back": ((S.IN_REVIEW,), S.DRAFT),
    "retract": ((S.PUBLISHED,), S.RETRACTED),
}


def _transition(claim, name, **kwargs):
    return take_step(claim, TRANSITIONS, name, **kwargs)


@transaction.atomic
def claim_submit_for_review(
    *, claim: Claim, user, expected_version: int, reason: str = "Submitted for review"
) -> Claim:
    """Draft → in review. One history row with who and why."""
    return _transition(claim, "submit", user=user, reason=reason, expected_version=expected_version)


@transaction.atomic
def claim_publish(*, claim: Claim, user, expected_version: int, reason: str = "Published") -> Claim:
    """In review → published: from now on the claim counts on the public pages."""
    return _transition(
        claim, "publish", user=user, reason=reason, expected_version=expected_version,
        review_note="",
    )  # fmt: skip


@transaction.atomic
def claim_send_back(*, claim: Claim, user, expected_version: int, note: str) -> Claim:
    """In review → draft, with the reviewer's note kept in ``review_note`` and the history."""
    if not (note or "").strip():
        raise ValidationError({"review_note": "Say what the editor should change."})
    return _transition(
        claim, "send_back", user=user, reason=f"Sent back: {note.strip()}",
        expected_version=expected_version, review_note=note.strip(),
    )  # fmt: skip


@transaction.atomic
def claim_retract(*, claim: Claim, user, expected_version: int, reason: str) -> Claim:
    """Published → retracted: it leaves the public pages; its history stays."""
    return _transition(
        claim, "retract", user=user, reason=reason, expected_version=expected_version
    )


TRANSITION_SERVICES = {
    "submit": claim_submit_for_review,
    "publish": claim_publish,
    "send_back": claim_send_back,
    "retract": claim_retract,
}


@transaction.atomic
def flags_refresh(*, conflict, user, reason: str) -> dict[str, int]:
    """(Re)compute the contradiction flags of a conflict from the reconciliation.

    A contradiction found for the first time opens a flag linking to its claims. One found again
    keeps its flag as it is, open or resolved (the signature names the kind, subject, category,
    event and claims, so a resolved flag stays resolved until the claims change). An open flag
    whose contradiction is gone is resolved with a note saying so. Returns the counts.
    """
    from claims.loaders import compute
    from claims.models import ContradictionFlag

    result = compute(conflict.pk)
    found = {c.signature: c for r in result.categories.values() for c in r.contradictions}
    existing = {f.signature: f for f in ContradictionFlag.objects.filter(conflict=conflict)}
    opened = closed = 0
    with change_context(user=user, reason=reason):
        for signature, contradiction in sorted(found.items()):
            if signature in existing:
                continue
            flag = ContradictionFlag(
                conflict=conflict,
                kind=contradiction.kind,
                signature=signature,
                subject_id=contradiction.subject_id,
                category_id=contradiction.category_id,
                event_id=contradiction.event_id,
                ratio=None if contradiction.ratio is None else Decimal(str(contradiction.ratio)),
                description=contradiction.text,
            )
            save_with_history(flag, user=user, reason=reason)
            flag.claims.set(contradiction.claim_ids)
            opened += 1
        for signature, flag in existing.items():
            if signature not in found and flag.status == ContradictionFlag.Status.OPEN:
                flag.status = ContradictionFlag.Status.RESOLVED
                flag.resolution_note = "No longer found: the claims behind it changed."
                flag.resolved_at = timezone.now()
                save_with_history(flag, user=user, reason=reason)
                closed += 1
    return {"opened": opened, "closed": closed, "found": len(found)}


@transaction.atomic
def flag_resolve(*, flag, user, note: str, reason: str = ""):
    """Resolve a contradiction flag with the reviewer's note; the history keeps who and why
    (the reason defaults to the note)."""
    from claims.models import ContradictionFlag

    if not (note or "").strip():
        raise ValidationError({"resolution_note": "Say what you checked and what you decided."})
    flag.status = ContradictionFlag.Status.RESOLVED
    flag.resolution_note = note.strip()
    flag.resolved_by = user
    flag.resolved_at = timezone.now()
    reason = reason or f"Flag resolved: {note.strip()[:200]}"
    return save_with_history(flag, user=user, reason=reason)


def flags_refresh_summary(conflict, counts: dict) -> str:
    """``flags_refresh``'s counts in words: what a contradiction is, and what is left to do."""
    still_open = ContradictionFlag.objects.filter(
        conflict=conflict, status=ContradictionFlag.Status.OPEN
    ).count()
    found = counts["found"]
    return (
        f"{found} contradiction{'s' if found != 1 else ''} between claims found "
        "(claims about the same figure that cannot all be true); "
        f"{counts['opened']} new flag{'s' if counts['opened'] != 1 else ''} opened for them, "
        f"{counts['closed']} closed because the claims behind them changed; "
        f"{still_open} flag{'s' if still_open != 1 else ''} open for reviewers "
        "(admin: Contradiction flags)."
    )
