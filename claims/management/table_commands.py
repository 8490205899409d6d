"""What the table commands share: ``import_claims`` / ``import_records`` (the file, the user,
progress, summary) and ``export_claims`` / ``export_records`` (options, output, progress)."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims import exporting
from claims.importing import import_file
from claims.refresh import catch_up

# What a user named by --user must hold, as in the admin's import (claims/admin.py): adding and
# changing the rows, and for claims, whose rows may carry any status, publishing.
IMPORT_PERMISSIONS = {
    "claims": ("claims.add_claim", "claims.change_claim", "claims.publish_claim"),
    "records": ("casualties.add_casualtyrecord", "casualties.change_casualtyrecord"),
}


class ImportCommand(BaseCommand):
    kind = ""  # "claims" or "records"

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv, .xlsx or .json file (see docs/import-export.md).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and count; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Username recorded as who imported (in every history row); the import then "
            "needs what that user may do in the admin. Default: none (not checked).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress on stderr.")
        if self.kind == "records":
            parser.add_argument(
                "--publish",
                action="store_true",
                help="Publish the new records (they arrive as drafts otherwise); --user must be "
                "allowed to publish records.",
            )

    def handle(self, *args, file, dry_run, user, no_progress, publish=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        account = None
        if user:
            try:
                account = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No such user: {user}") from None
            missing = [p for p in IMPORT_PERMISSIONS[self.kind] if not account.has_perm(p)]
            if not account.is_active or missing:
                raise CommandError(
                    f"{user} may not import {self.kind}: "
                    + ("the account is inactive" if not account.is_active else
                       f"needs {', '.join(missing)}")
                )  # fmt: skip
        progress = None if no_progress else self.progress
        with path.open("rb") as f:
            result = import_file(
                f, path.name, kind=self.kind, user=account, via="command", dry_run=dry_run,
                progress=progress, publish=publish,
            )  # fmt: skip
        if progress:
            sys.stderr.write("\n")
        if result.written:
            catch_up()  # the figures follow the import before the command ends
        if result.note:
            self.stdout.write(f"Note: the file was {result.note}.")
        for group in result.grouped_errors():
            self.stderr.write(str(group))
        for pair in result.duplicates[:50]:
            self.stdout.write(
                f"Probable duplicate ({pair.score}): {pair.first.label} / {pair.second.label}: "
                + "; ".join(pair.reasons)
            )
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


EXPORT_PROGRESS_EVERY = 10_000


class ExportCommand(BaseCommand):
    """Write one table of ``claims.exporting`` to a file or stdout; progress goes to stderr."""

    table_name = ""

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", help="File to write (default: stdout). Its extension sets the format."
        )
        parser.add_argument(
            "--format",
            "-f",
            choices=sorted(exporting.FORMATS),
            help="csv, xlsx or json (default: the output file's extension, else csv).",
        )
        parser.add_argument(
            "--public",
            action="store_true",
            help="Leave out the columns kept from the public downloads (an editor's note).",
        )

    def queryset(self, options):
        return exporting.table(self.table_name).model._default_manager.all()

    def handle(self, *args, **options):
        output = options["output"]
        fmt = options["format"]
        if fmt is None:
            suffix = Path(output).suffix.lstrip(".").lower() if output else ""
            fmt = suffix if suffix in exporting.FORMATS else "csv"
        table = exporting.table(self.table_name)
        queryset = self.queryset(options)
        total = queryset.count()
        self.stderr.write(f"Exporting {total:,} {table.name} as {fmt}…")
        values = self.progress(exporting.rows(table, queryset, public=options["public"]), total)
        columns = table.visible(public=options["public"])
        try:
            if output:
                with open(output, "wb") as out:
                    exporting.write_rows(columns, values, fmt, out, title=table.name)
            elif fmt == "xlsx":
                # A zip is finished only at its end: build it in a temporary file, copy it out.
                with tempfile.TemporaryFile() as tmp:
                    exporting.write_rows(columns, values, fmt, tmp, title=table.name)
                    tmp.seek(0)
                    shutil.copyfileobj(tmp, sys.stdout.buffer)
            else:
                lines = exporting.text_lines(columns, values, fmt)
                for line in lines:
                    self.stdout.write(line, ending="")
                self.stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): not an error. Close the cursors now, and
            # point stdout at /dev/null so Python's final flush does not fail (Python docs).
            values.close()
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        except OSError as error:
            raise CommandError(f"Cannot write {output or 'stdout'}: {error.strerror}") from error
        where = f" to {output}" if output else ""
        self.stderr.write(f"Exported {self.done:,} {table.name}{where}.")

    def progress(self, values, total):
        self.done = 0
        for row in values:
            yield row
            self.done += 1
            if self.done % EXPORT_PROGRESS_EVERY == 0:
                self.stderr.write(f"  {self.done:,} / {total:,}")
