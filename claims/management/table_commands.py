"""What ``import_claims`` and ``import_records`` share: the file, the user, progress, summary."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims.importing import import_file


class ImportCommand(BaseCommand):
    kind = ""  # "claims" or "records"

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv, .xlsx or .json file (see docs/import-export.md).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and count; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Username recorded as who imported (in every history row). Default: none.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress on stderr.")

    def handle(self, *args, file, dry_run, user, no_progress, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        account = None
        if user:
            try:
                account = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No such user: {user}") from None
        progress = None if no_progress else self.progress
        with path.open("rb") as f:
            result = import_file(
                f, path.name, kind=self.kind, user=account, via="command", dry_run=dry_run,
                progress=progress,
            )  # fmt: skip
        if progress:
            sys.stderr.write("\n")
        if result.note:
            self.stdout.write(f"Note: the file was {result.note}.")
        for error in result.errors:
            self.stderr.write(str(error))
        verb = "would import" if dry_run else "imported"
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} error(s); nothing imported "
                f"({result.new} new, {result.changed} changed, {result.unchanged} unchanged rows "
                "were fine)."
            )
        self.stdout.write(f"{path.name}: {verb} {result.summary()}.")

    def progress(self, rows: int):
        sys.stderr.write(f"\r{rows:,} rows checked")
        sys.stderr.flush()
