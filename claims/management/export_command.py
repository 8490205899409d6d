"""What ``export_claims`` and ``export_records`` share: options, output, progress."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims import exporting

PROGRESS_EVERY = 10_000


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
            if self.done % PROGRESS_EVERY == 0:
                self.stderr.write(f"  {self.done:,} / {total:,}")
