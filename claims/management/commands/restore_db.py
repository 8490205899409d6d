"""Restore the whole database from a backup_db file (README "Backups")."""

from pathlib import Path

from django.core.cache import cache
from django.core.management import BaseCommand, CommandError

from casualties.backup import is_default, restore, target
from claims.public import downloads
from claims.refresh import rebuild


class Command(BaseCommand):
    help = (
        "Replace the database's contents with the backup IN (from backup_db): pg_restore --clean "
        "in one transaction on PostgreSQL, SQLite's backup API on SQLite. A failed restore "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="a file written by backup_db")
        parser.add_argument(
            "--database-url", help="restore into this database instead of the configured one"
        )
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="do not ask for confirmation",
        )  # fmt: skip

    def handle(self, *args, backup, database_url, interactive, verbosity, **options):
        db = target(database_url)
        if interactive:
            answer = input(
                f"This replaces everything in the database {db['NAME']} with {backup}.\n"
                "Type 'yes' to go on: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        restore(backup, database_url)
        if is_default(db):
            # The figures are computed again from the restored rows, and a new epoch starts:
            # the data state's token, which keys downloads, API answers and cached days, may
            # not come back with old ids.
            rebuild(reason=f"Database restored from {backup.name}")
            downloads.clear()
            cache.clear()
        if verbosity:
            self.stdout.write(f"Restored {db['NAME']} from {backup}.")
