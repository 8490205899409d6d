"""The changes feed: published edits and retractions since a time, from the history tables.

Each history row of a claim or a named record after ``since`` is compared with the row before
it (the object's latest row at or before ``since`` for the first one). Whether a row is public
is decided as the live public querysets decide it: a claim when published, a record when
published and not merged into another (``counted``). Then:

- not public before, public now: ``published`` (the object's page and API answer show it);
- public before and now, some public field changed: ``changed``, with the fields;
- public before, not now: ``retracted``, with the status it went to (``retracted``, ``draft``,
  ``in_review``, ``merged`` or ``deleted``).

Anything else (a draft edited, a draft deleted, a change of an editor's note or of a sensitive
field only) is not in the feed. Only the names of public fields are given, never a value of a
draft or a sensitive field; the reason is the history row's change reason (why). A change of a
claim's cited sources has history rows of its own (``ClaimSource``) and is not listed here.
"""

from __future__ import annotations

from django.db.models import Subquery

# The public fields compared, by the model field's name (foreign keys by ``<name>_id``), as the
# API serializers show them (claims.api.serializers; never a note, review note or sensitive
# field of a record).
CLAIM_FIELDS = (
    "external_id", "conflict", "claimant", "subject", "category", "figure_text", "lower", "best",
    "upper", "qualifier", "scope", "as_of", "period_start", "period_end", "stated_on", "event",
    "place", "quote", "assessment", "assessment_note", "accepted", "acceptance_reason",
)  # fmt: skip
PERSON_FIELDS = (
    "external_id", "conflict", "name", "name_transliterated", "name_latin", "aliases", "role",
    "rank", "description", "party", "counted_in", "outcome", "date", "date_precision",
    "died_after_war", "place", "place_precision", "event", "sex", "age", "age_band",
    "ihl_status", "cause", "corroboration",
)  # fmt: skip


def _kinds():
    from casualties.models import CasualtyRecord
    from claims.models import Claim

    def claim_public(row):
        return row is not None and row["status"] == Claim.Status.PUBLISHED

    def person_public(row):
        return (
            row is not None
            and row["status"] == CasualtyRecord.Status.PUBLISHED
            and row["merged_into_id"] is None
        )

    return [
        ("claim", Claim, CLAIM_FIELDS, claim_public),
        ("person", CasualtyRecord, PERSON_FIELDS, person_public),
    ]


def _attnames(model, names):
    return [model._meta.get_field(n).attname for n in names]


def changes(since) -> list[dict]:
    """Every public change after ``since``, oldest first (time, then object kind, then the
    history row). Two queries per kind: the rows after ``since``, and the row before them."""
    out = []
    for kind, model, names, public in _kinds():
        history = model.history.model
        attnames = _attnames(model, names)
        wanted = ["id", *attnames, "status", *(["merged_into_id"] if kind == "person" else [])]
        meta = ["history_id", "history_date", "history_type", "history_change_reason"]
        after = history.objects.filter(history_date__gt=since)
        before = history.objects.filter(
            history_date__lte=since, id__in=Subquery(after.values("id"))
        ).order_by("id", "history_date", "history_id")
        previous = {row["id"]: row for row in before.values(*wanted, "history_type")}
        previous = {k: None if v["history_type"] == "-" else v for k, v in previous.items()}
        rows = after.order_by("id", "history_date", "history_id").values(*wanted, *meta)
        for row in rows:
            old = previous.get(row["id"])
            new = None if row["history_type"] == "-" else row
            previous[row["id"]] = new
            was, now = public(old), public(new)
            if not (was or now):
                continue
            if now and not was:
                action, fields, status = "published", [], row["status"]
            elif now:
                fields = [n for n, a in zip(names, attnames, strict=True) if old[a] != new[a]]
                if not fields:
                    continue
                action, status = "changed", row["status"]
            else:
                action, fields = "retracted", []
                if new is None:
                    status = "deleted"
                elif kind == "person" and new["merged_into_id"] is not None:
                    status = "merged"
                else:
                    status = row["status"]
            out.append(
                {
                    "object": kind,
                    "external_id": row["external_id"],
                    "action": action,
                    "status": status,
                    "fields": fields,
                    "at": row["history_date"],
                    "reason": row["history_change_reason"] or "",
                    "_order": (row["history_date"], kind, row["history_id"]),
                }
            )
    out.sort(key=lambda item: item["_order"])
    for item in out:
        del item["_order"]
    return out
