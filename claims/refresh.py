"""Keeping the stored figures in step with the data: ``catch_up`` after writes, ``rebuild``.

Every tracked write notes itself in the same transaction (``casualties.changes``: a
``DataChange`` row). ``catch_up`` takes the notes, works out which figures they can move — a
claim: its category (and the one it was stored under) and every category those add into; a
named record: the categories named records count in; a party, side, event or conflict: the whole
conflict; a claimant: the conflicts it has claims in; a place: the categories of the claims made
there; a category: everything — recomputes those with the rules
(``loaders.compute``), stores them (``figure_store.store``, one history row per figure that
moved, with the writes' reasons), removes the notes and moves the data state on; all in one
transaction, one process at a time (the ``DataState`` row is locked), so two web machines
never interleave.

Who calls it: ``RefreshFiguresMiddleware`` once a request that may write (not GET/HEAD) has
answered; the commands that write, when they finish; ``manage.py reconcile`` (and
``reconcile --watch``, a worker for writes from anywhere else: a shell, a script). It runs in
the calling process, no thread: a claim's edit costs its category's recompute (bench/README.md
"Stored figures"). ``rebuild`` recomputes everything (``manage.py reconcile --all``, and
after a restore) and starts a new epoch, so no state token is ever reused.
"""

from __future__ import annotations

import gc
import logging
import secrets
from collections import defaultdict
from contextlib import contextmanager

from django.db import transaction

from casualties.models import CasualtyRecord, Category, Conflict, DataChange, DataState
from claims.figure_store import store
from claims.loaders import compute, load_categories
from claims.models import Claim, FigureClaimRole
from claims.rules import RECORD_COUNTS, parts_of, wholes_of

logger = logging.getLogger(__name__)

ALL = None  # every category (of a conflict), or every conflict
# Models whose writes move no figure (they still move the data state: pages show them).
NO_FIGURES = {"claims.source", "claims.claimsource", "casualties.placename"}
# Models whose writes can move every figure of their conflict (of every conflict without one;
# a claimant: of the conflicts it has claims in).
WHOLE_CONFLICT = {
    "casualties.conflict", "casualties.side", "casualties.party", "casualties.event",
    "claims.claimant",
}  # fmt: skip
# Notes taken per transaction: a burst of writes (a bulk import's notes) is done in parts.
BATCH = 5000
REASONS_NAMED = 5


def _state(lock: bool) -> DataState:
    state = DataState.objects.select_for_update().first() if lock else DataState.objects.first()
    if state is None:
        state, _ = DataState.objects.get_or_create(pk=1, defaults={"epoch": secrets.token_hex(8)})
        if lock:
            state = DataState.objects.select_for_update().get(pk=state.pk)
    return state


def current_state() -> DataState:
    """The state of the public data, one query: its ``token`` changes with every batch of
    writes the figures followed, and after every restore (downloads, API answers and cached
    days are keyed by it); ``updated_at`` is when it last changed."""
    return _state(lock=False)


def state_token() -> str:
    return current_state().token


def affected(changes) -> dict:
    """What the notes can move: {conflict id or ALL: {category id} or ALL}."""
    out: dict = defaultdict(set)
    claim_ids = [int(c.object_id) for c in changes if c.model == "claims.claim" and c.object_id]
    # Where a claim's figure was stored (it may have moved category or conflict since).
    for conflict_id, category_id in FigureClaimRole.objects.filter(
        claim_id__in=claim_ids
    ).values_list("conflict_id", "category_id"):
        if out[conflict_id] is not ALL:
            out[conflict_id].add(category_id)
    record_categories = set(
        Category.objects.filter(slug__in=RECORD_COUNTS).values_list("pk", flat=True)
    )
    # A claimant speaks in the conflicts of its claims (independent ones in any): those.
    claimant_ids = [c.object_id for c in changes if c.model == "claims.claimant" and c.object_id]
    for conflict_id in (
        Claim.objects.filter(claimant_id__in=claimant_ids)
        .values_list("conflict_id", flat=True)
        .distinct()
    ):
        out[conflict_id] = ALL
    # A named record counts in the war it is in now (its note says which) and in every war it
    # was in before (its history says which): one it left must lose it.
    record_ids = [
        c.object_id for c in changes if c.model == "casualties.casualtyrecord" and c.object_id
    ]
    for conflict_id in (
        CasualtyRecord.history.filter(id__in=record_ids)
        .values_list("conflict_id", flat=True)
        .distinct()
    ):
        if out[conflict_id] is not ALL:
            out[conflict_id] |= record_categories
    # A place's name is in the words of the figures of claims made there: those categories.
    place_ids = [c.object_id for c in changes if c.model == "casualties.place" and c.object_id]
    for conflict_id, category_id in (
        Claim.objects.filter(place_id__in=place_ids)
        .values_list("conflict_id", "category_id")
        .distinct()
    ):
        if out[conflict_id] is not ALL:
            out[conflict_id].add(category_id)
    for change in changes:
        if change.model in {"claims.claimant", "casualties.place"} and change.object_id:
            continue  # done above
        if change.model in NO_FIGURES:
            continue
        if change.model == "casualties.category" or (
            change.model in WHOLE_CONFLICT and change.conflict_id is None
        ):
            return {ALL: ALL}
        conflict = change.conflict_id if change.conflict_id is not None else ALL
        if conflict is ALL:
            return {ALL: ALL}
        if change.model in WHOLE_CONFLICT or (
            change.category_id is None and change.model != "casualties.casualtyrecord"
        ):
            out[conflict] = ALL
        elif out[conflict] is not ALL:
            if change.model == "casualties.casualtyrecord":
                out[conflict] |= record_categories
            else:
                out[conflict].add(change.category_id)
    return dict(out)


def _reasons(changes) -> tuple[str, object]:
    """The writes' reasons in one line, and their user when there is one."""
    reasons = list(dict.fromkeys(c.reason for c in changes))
    text = "; ".join(reasons[:REASONS_NAMED])
    if len(reasons) > REASONS_NAMED:
        text += f"; and {len(reasons) - REASONS_NAMED:,} more changes"
    users = {c.user_id for c in changes}
    return text, (changes[0].user if len(users) == 1 and None not in users else None)


def public_note(changes) -> str:
    """What moved a figure, as readers may see it: published claims by their identifier; other
    claims (retracted, back to draft, deleted) counted; anything else by its kind only (never
    an unpublished claim's identifier, a name or an editor's words)."""
    ids = {int(c.object_id) for c in changes if c.model == "claims.claim" and c.object_id}
    shown = sorted(
        Claim.objects.filter(pk__in=ids, status=Claim.Status.PUBLISHED).values_list(
            "external_id", flat=True
        )
    )
    parts = [f"claim {ext} (published)" for ext in shown[:REASONS_NAMED]]
    if len(shown) > REASONS_NAMED:
        parts.append(f"{len(shown) - REASONS_NAMED:,} more claims published")
    if hidden := len(ids) - len(shown):
        parts.append(f"{hidden:,} claim{'s' if hidden != 1 else ''} withdrawn or not public")
    kinds = sorted(
        {
            CasualtyRecord._meta.verbose_name_plural
            if c.model == "casualties.casualtyrecord"
            else c.model.split(".")[1]
            for c in changes
            if c.model not in {"claims.claim", *NO_FIGURES}
        }
    )
    parts += [f"{kind} edited" for kind in kinds]
    return "; ".join(parts) or "editorial changes"


@contextmanager
def _collector_paused():
    """A recompute allocates hundreds of thousands of small objects that hold no cycles (rows,
    figures, roles), and the cyclic garbage collector walked the whole heap again and again
    meanwhile: a sixth of an edit's recompute at 100,000 claims. Paused for the recompute
    only; what it left is collected as usual afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def catch_up() -> int:
    """Follow every noted write; returns how many figures changed. With no note pending it
    is one query and takes no lock (a note written meanwhile is followed by its writer's own
    catch-up, or the next one)."""
    if not DataChange.objects.exists():
        return 0
    with _collector_paused():
        return _catch_up()


def _catch_up() -> int:
    moved = 0
    while True:
        with transaction.atomic():
            state = _state(lock=True)
            changes = list(DataChange.objects.select_related("user").order_by("id")[:BATCH])
            if not changes:
                return moved
            reason, user = _reasons(changes)
            moved += _recompute(affected(changes), reason, public_note(changes), user)
            DataChange.objects.filter(pk__in=[c.pk for c in changes]).delete()
            state.generation += 1
            state.save()
        if len(changes) < BATCH:
            # All there was when the batch was read; a note written since is its writer's
            # to follow (its catch-up waited for this lock and then reads it).
            return moved


def _recompute(scopes: dict, reason: str, note: str, user) -> int:
    if not scopes:  # the notes move no figure (a source, a place no claim names)
        return 0
    if ALL in scopes:
        scopes = dict.fromkeys(Conflict.objects.values_list("pk", flat=True), ALL)
    cats = load_categories()
    moved = 0
    for conflict_id, category_ids in sorted(scopes.items()):
        if category_ids is ALL:
            result = compute(conflict_id)
            computed = {c.id for c in cats}
        else:
            wholes = wholes_of(cats, category_ids)
            result = compute(conflict_id, category_ids=wholes)
            computed = parts_of(cats, wholes)
        moved += store(result, computed, reason=reason, public_note=note, user=user)
    return moved


def rebuild(*, reason: str, user=None) -> int:
    """Recompute and store every figure of every conflict, dropping the pending notes; a new
    epoch starts (after a restore, tokens from before it must not come back)."""
    with _collector_paused(), transaction.atomic():
        state = _state(lock=True)
        DataChange.objects.all().delete()
        moved = _recompute({ALL: ALL}, reason, "the figures were recomputed", user)
        state.epoch = secrets.token_hex(8)
        state.generation += 1
        state.save()
    return moved


class RefreshFiguresMiddleware:
    """After a request that may have written (anything but GET, HEAD, OPTIONS), follow its
    writes before the next reader comes: the editor's request pays for its own recompute."""

    SAFE = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in self.SAFE:
            try:
                catch_up()
            except Exception:
                # The write itself has committed: the editor gets its answer. The notes stay
                # (the failed recompute rolled back), for the next write or the worker.
                logger.exception("Following the writes of %s failed", request.path)
        return response
