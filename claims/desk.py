"""The admin index as an editor's and a reviewer's home: what waits for me, what changed.

``desk_for(user)`` reads everything the index shows; ``templates/admin/index.html`` draws it
through the ``editors_desk`` tag (claims/templatetags/desk.py), so the admin site stays Django's.
"""

from django.core.cache import cache
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ContradictionFlag, Source

SHOWN = 10  # rows of each list
DUPLICATES_CACHE_SECONDS = 24 * 3600  # the key changes with every write that matters
# Whose changes "Changed recently" lists: the editorial models editors work in most.
RECENT_MODELS = [Claim, Source]


def probable_duplicate_people(user) -> dict | None:
    """``{"count": n, "url": the duplicates page}`` for those who may see named records.

    The search (``casualties.duplicates.database_pairs``) reads every record, so its count is
    cached under the latest history ids of records and of "different people" decisions: any
    write to either makes a new key, and an index load without one costs two small queries.
    """
    if not user.has_perm("casualties.view_casualtyrecord"):
        return None
    from casualties.duplicates import database_pairs
    from casualties.models import CasualtyRecord, DistinctPair

    latest = [
        model.history.aggregate(last=Max("history_id"))["last"] or 0
        for model in (CasualtyRecord, DistinctPair)
    ]
    key = "desk:duplicates:{}:{}".format(*latest)
    count = cache.get(key)
    if count is None:
        count = len(database_pairs())
        cache.set(key, count, DUPLICATES_CACHE_SECONDS)
    return {"count": count, "url": reverse("admin:casualties_casualtyrecord_duplicates")}


def recent_changes(limit: int = SHOWN) -> list[dict]:
    """The latest history rows of the editorial models, with who, when and why.

    Queries: one per model in ``RECENT_MODELS`` (with the user joined).
    """
    rows = []
    for model in RECENT_MODELS:
        info = model._meta.app_label, model._meta.model_name
        for row in model.history.select_related("history_user").order_by("-history_date")[:limit]:
            rows.append(
                {
                    "when": row.history_date,
                    "who": row.history_user,
                    "why": row.history_change_reason,
                    "what": f"{model._meta.verbose_name} “{row.instance}”",
                    "kind": {"+": "added", "~": "changed", "-": "deleted"}[row.history_type],
                    "url": reverse("admin:%s_%s_history" % info, args=[row.id]),
                }
            )
    rows.sort(key=lambda r: r["when"], reverse=True)
    return rows[:limit]


def desk_for(user) -> dict:
    """What waits for ``user``: their drafts (those sent back first, with the note), the
    review queue with its oldest wait (reviewers), open contradiction flags, probable
    duplicate people (``recent_changes`` is the index's other half)."""
    now = timezone.now()
    desk = {"drafts": [], "sent_back": [], "review": None, "flags": None, "duplicates": None}
    if user.has_perm("claims.view_claim"):
        drafts = list(
            Claim.objects.drafts_of(user).select_related("claimant", "subject", "category")[
                : SHOWN * 2
            ]
        )
        desk["sent_back"] = [c for c in drafts if c.review_note][:SHOWN]
        desk["drafts"] = [c for c in drafts if not c.review_note][:SHOWN]
        desk["drafts_url"] = reverse("admin:claims_claim_changelist") + "?status__exact=draft"
    if user.has_perm("claims.publish_claim"):
        waiting = Claim.objects.in_review()
        oldest = waiting.values_list("updated_at", flat=True).first()
        desk["review"] = {
            "count": waiting.count(),
            "oldest": oldest,
            "oldest_days": (now - oldest).days if oldest else None,
            "url": reverse("admin:claims_claim_review"),
        }
    if user.has_perm("claims.view_contradictionflag"):
        desk["flags"] = {
            "count": ContradictionFlag.objects.open().count(),
            "url": reverse("admin:claims_contradictionflag_changelist"),
        }
    desk["duplicates"] = probable_duplicate_people(user)
    return desk
