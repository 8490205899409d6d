"""Every write leaves a history row with who, when and why.

simple-history records who and when. The guard below refuses any save or delete of a tracked
model that did not say why, so no code path (admin, service, import, command) can skip it.
A reason is given either on the object (``_change_reason``, as simple-history reads it) or for
a block of work with ``change_context`` (which also covers cascaded deletes and inline rows).
"""

import contextvars
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record, pre_create_historical_record

_context: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "history_context", default=None
)


class MissingChangeReason(RuntimeError):
    """A tracked model was written without a reason for its history row."""


@contextmanager
def change_context(*, user, reason: str):
    """Every history row written inside the block gets this user and reason (unless the
    object carries its own)."""
    if not (reason or "").strip():
        raise MissingChangeReason("A change needs a reason.")
    token = _context.set((user, reason.strip()))
    try:
        yield
    finally:
        _context.reset(token)


def current_context():
    return _context.get()


def _is_tracked(model) -> bool:
    return bool(getattr(model._meta, "simple_history_manager_attribute", None))


@receiver(pre_save)
@receiver(pre_delete)
def refuse_unexplained_write(sender, instance, **kwargs):
    """Refuse before the database is touched, so a refused write changes nothing."""
    if (
        _is_tracked(sender)
        and _context.get() is None
        and not getattr(instance, "_change_reason", "")
    ):
        raise MissingChangeReason(
            f"{sender.__name__} {instance.pk} would be written without a change reason; "
            "use a service or change_context()."
        )


@receiver(pre_create_historical_record)
def require_change_reason(sender, instance, history_instance, **kwargs):
    context = _context.get()
    if context is not None:
        user, reason = context
        if not history_instance.history_change_reason:
            history_instance.history_change_reason = reason
        if history_instance.history_user_id is None and user is not None and user.pk:
            history_instance.history_user = user
    if not (history_instance.history_change_reason or "").strip():
        raise MissingChangeReason(
            f"{type(instance).__name__} {instance.pk} was written without a change reason; "
            "use a service or change_context()."
        )


@receiver(post_create_historical_record)
def forget_change_reason(sender, instance, history_instance, **kwargs):
    # A reason explains one write: an object saved again later must be given a new one.
    instance.__dict__.pop("_change_reason", None)


SYSTEM_USERS = {
    "default-data": "Default data",
    "flags-refresh": "Contradiction flags",
    "reconcile": "Reconciled figures",
    "release-cut": "Release command",
}


def system_user(username: str):
    """The account that commands write history as ("changed by" names it instead of None).

    Inactive and without a usable password: nobody can log in as it.
    """
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": SYSTEM_USERS.get(username, username), "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def save_with_history(instance, *, user, reason: str, validate: bool = True):
    """Validate and save one object, recording ``user`` and ``reason`` in its history row."""
    if validate:
        instance.full_clean()
    with change_context(user=user, reason=reason):
        instance.save()
    return instance


@transaction.atomic
def delete_with_history(instance, *, user, reason: str):
    """Delete one object; its history keeps a '-' row with who and why, so it can be restored."""
    with change_context(user=user, reason=reason):
        instance.delete()
