"""Text with a NUL character is refused before any save, on every database alike.

PostgreSQL cannot store NUL in text (psycopg raises a ValueError mid-transaction) while SQLite
stores it silently; forms already refuse it, and this closes every other path (services,
commands, imports through save())."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver

OWN_APPS = {"casualties", "claims"}


@receiver(pre_save)
def refuse_nul_characters(sender, instance, raw=False, **kwargs):
    if sender._meta.app_label not in OWN_APPS:
        return
    errors = {
        field.name: "This text contains a NUL character, which cannot be stored."
        for field in sender._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
        and "\x00" in (getattr(instance, field.attname) or "")
    }
    if errors:
        raise ValidationError(errors)
