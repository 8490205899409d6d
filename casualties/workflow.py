"""The editorial workflow shared by every model with a status (claims, named records): a step
moves the status only from the statuses it allows, with a reason, refusing a stale version."""

from django.core.exceptions import ValidationError

from casualties.history import save_with_history


class IllegalTransition(Exception):
    """A workflow step the status does not allow (e.g. publishing a draft)."""


def take_step(obj, transitions, name, *, user, reason, expected_version, **fields):
    """Take the step ``name`` of ``transitions`` (step → (from statuses, to status)) on
    ``obj``: one history row with who and why; refused (EditConflict) if ``obj`` moved on
    since ``expected_version``."""
    allowed, to = transitions[name]
    if obj.status not in allowed:
        labels = dict(type(obj)._meta.get_field("status").flatchoices)
        raise IllegalTransition(
            f"{type(obj)._meta.verbose_name.capitalize()} {obj.external_id} is "
            f"{obj.get_status_display()}; “{name.replace('_', ' ')}” needs it to be "
            f"{' or '.join(str(labels[a]) for a in allowed)}."
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why; the reason is kept in the history."})
    obj.version = expected_version
    obj.status = to
    for key, value in fields.items():
        setattr(obj, key, value)
    return save_with_history(obj, user=user, reason=reason.strip())
