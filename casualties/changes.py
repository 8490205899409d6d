"""Every tracked write notes what it changed, in the same transaction, for the figures to follow.

The history row of a write is its record; ``NotedHistory`` (the base of every tracked model's
history, ``HistoricalRecords(bases=[NotedHistory])``) also appends a ``DataChange`` row naming
the model, the object, its conflict and category, and the reason in words ("Claim seed-001
changed by reviewer: Published: checked"). Bulk imports write their history rows without
``save()`` and note their changes with ``note()``. ``claims.refresh`` consumes the notes: it
recomputes the stored figures they can affect and moves the data state on, so pages, downloads
and the API follow every write — whatever wrote it (admin, service, import, restore, workflow
step, shell) — and a write that rolls back leaves no note.
"""

from django.db import models

VERBS = {"+": "added", "~": "changed", "-": "deleted"}


def describe(model, label, history_type, user, reason) -> str:
    """ "Claim seed-001 changed by reviewer: Published: checked against the source"."""
    who = f" by {user.get_username()}" if user is not None else ""
    name = model._meta.verbose_name.capitalize()
    return f"{name} {label} {VERBS.get(history_type, 'changed')}{who}: {reason or ''}".strip()


def note(model, *, reason: str, user=None, conflict_id=None, category_id=None, object_id=""):
    """Note a change that wrote its history in bulk (an import, the default data). With no
    conflict, every conflict's figures are recomputed."""
    from casualties.models import DataChange

    DataChange.objects.create(
        model=model._meta.label_lower,
        object_id=str(object_id),
        conflict_id=conflict_id,
        category_id=category_id,
        reason=reason[:2000],
        user=user if user is not None and user.pk else None,
    )


class NotedHistory(models.Model):
    """The base of the tracked models' history rows: saving one notes the change."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from casualties.models import DataChange

        instance = self.instance
        label = getattr(instance, "external_id", "") or getattr(instance, "slug", "") or self.pk
        user = self.history_user
        model = type(instance)._meta.label_lower
        # A conflict is its own scope: its write moves its figures, not every conflict's.
        conflict_id = instance.pk if model == "casualties.conflict" else None
        DataChange.objects.create(
            model=model,
            object_id=str(instance.pk),
            conflict_id=getattr(instance, "conflict_id", conflict_id),
            category_id=getattr(instance, "category_id", None),
            reason=describe(
                type(instance), label, self.history_type, user, self.history_change_reason
            )[:2000],
            user=user if user is not None and user.pk else None,
        )
