"""Back up the whole database to one file (README "Backups")."""

from pathlib import Path

from django.core.management import BaseCommand

from casualties.backup import backup


class Command(BaseCommand):
    help = (
        "Back up the database to OUT: pg_dump's custom format on PostgreSQL, a copy made with "
        "SQLite's online backup API on SQLite. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "out", type=Path, help="the backup file to write (replaced if it exists)"
        )
        parser.add_argument(
            "--database-url", help="back up this database instead of the configured one"
        )

    def handle(self, *args, out, database_url, verbosity, **options):
        backup(out, database_url)
        if verbosity:
            self.stdout.write(f"Backed up to {out} ({out.stat().st_size:,} bytes).")
