"""Recompute the contradiction flags of every conflict (or one) for the reviewers' queue."""

from django.core.management import BaseCommand, CommandError

from casualties.history import system_user
from casualties.models import Conflict
from claims.services import flags_refresh, flags_refresh_summary


class Command(BaseCommand):
    help = "Open a flag for every new contradiction; resolve open flags that no longer apply."

    def add_arguments(self, parser):
        parser.add_argument("--conflict", help="Slug of one conflict; all of them if omitted.")

    def handle(self, *args, conflict=None, verbosity=1, **options):
        conflicts = Conflict.objects.all()
        if conflict:
            conflicts = conflicts.filter(slug=conflict)
            if not conflicts:
                raise CommandError(f"No conflict with the slug {conflict!r}.")
        user = system_user("flags-refresh")
        for item in conflicts:
            counts = flags_refresh(conflict=item, user=user, reason="flags_refresh command")
            if verbosity:
                self.stdout.write(f"{item.slug}: {flags_refresh_summary(item, counts)}")
