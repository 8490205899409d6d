"""Give the editor, reviewer and administrator groups exactly the permissions of claims.roles."""

from django.core.management import BaseCommand

from claims.roles import sync_roles


class Command(BaseCommand):
    help = "Create the editorial groups and set their permissions from claims/roles.py."

    def handle(self, *args, verbosity, **options):
        counts = sync_roles()
        if verbosity:
            for role, n in counts.items():
                self.stdout.write(f"{role}: {n} permissions")
