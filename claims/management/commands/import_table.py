"""Import a reference table (parties, sources, claimants, categories, events, places) from a
file, as the admin's Import does: the same columns (docs/import-export.md), the same bounded
reader, one history row per written row ("Imported by <user> from “<file>” (command)"), and a
file with any error imports nothing.

    manage.py import_table parties.csv --user editor [--dry-run] [--table parties]

A parent (or, for categories, the "lost, any outcome" category a row adds to) may stand in the
same file as its children, before or after them: rows are imported parents first.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from import_export.formats import base_formats

from casualties.history import change_context
from claims import resources
from claims.admin_import import BoundedFormat
from claims.refresh import catch_up
from claims.resources import COLUMNS
from claims.tabular import FileError

RESOURCES = {
    "parties": resources.PartyResource,
    "sources": resources.SourceResource,
    "claimants": resources.ClaimantResource,
    "categories": resources.CategoryResource,
    "events": resources.EventResource,
    "places": resources.PlaceResource,
}
FORMATS = {".csv": base_formats.CSV, ".xlsx": base_formats.XLSX, ".json": base_formats.JSON}
# The columns naming another row of the same table, which must be imported first.
SAME_TABLE = ("parent", "adds_to")


def parents_first(dataset):
    """The dataset's rows reordered so that a row comes after every row of the file it names
    in ``SAME_TABLE`` columns (rows in a cycle keep their order, at the end: they fail)."""
    headers = dataset.headers or []
    links = [h for h in SAME_TABLE if h in headers]
    if not links or "slug" not in headers:
        return dataset
    rows = list(dataset.dict)
    in_file = {row["slug"] for row in rows}
    done, ordered, waiting = set(), [], rows
    while waiting:
        ready = [
            r
            for r in waiting
            if all(not r[h] or r[h] not in in_file or r[h] in done for h in links)
        ]
        if not ready:
            ordered += waiting
            break
        ordered += ready
        done |= {r["slug"] for r in ready}
        waiting = [r for r in waiting if r not in ready]
    out = dataset.__class__(headers=headers)
    for row in ordered:
        out.append([row[h] for h in headers])
    return out


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv, .xlsx or .json file (docs/import-export.md).")
        parser.add_argument(
            "--table",
            choices=sorted(RESOURCES),
            help="Which table (default: the file's name, e.g. parties.csv).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and count; write nothing."
        )
        parser.add_argument(
            "--user",
            help="Username recorded as who imported; it needs the admin's add and change "
            "permissions for the table. Default: none (not checked).",
        )

    def handle(self, *args, file, table, dry_run, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        table = table or path.stem
        if table not in RESOURCES:
            raise CommandError(
                f"Which table is “{path.name}”? Name it with --table ({', '.join(RESOURCES)})."
            )
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise CommandError(f"{path.name}: a .csv, .xlsx or .json file, please.")
        resource_class = RESOURCES[table]
        account = self.account(user, resource_class._meta.model)
        reader = type(f"Bounded{fmt.__name__}", (BoundedFormat, fmt), {"columns": COLUMNS[table]})
        try:
            dataset = parents_first(reader().create_dataset(path.read_bytes()))
        except FileError as exc:
            raise CommandError(f"{path.name}: {exc.message}") from None
        who = account.get_username() if account else "an unknown user"
        reason = f"Imported by {who} from “{path.name}” (command)"
        with change_context(user=account, reason=reason):
            result = resource_class().import_data(
                dataset, dry_run=dry_run, raise_errors=False, use_transactions=True,
                file_name=path.name, user=account,
            )  # fmt: skip
        if not dry_run:
            catch_up()  # the figures follow the import before the command ends
        errors = self.errors(result)
        for line in errors:
            self.stderr.write(line)
        totals = result.totals
        counts = (
            f"{totals.get('new', 0)} new, {totals.get('update', 0)} changed, "
            f"{totals.get('skip', 0)} unchanged"
        )
        if errors:
            raise CommandError(f"{len(errors)} error(s); nothing imported.")
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{path.name}: {verb} {counts} {table}.")

    def account(self, user, model):
        if not user:
            return None
        try:
            account = get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No such user: {user}") from None
        opts = model._meta
        needed = [f"{opts.app_label}.{action}_{opts.model_name}" for action in ("add", "change")]
        missing = [p for p in needed if not account.has_perm(p)]
        if not account.is_active or missing:
            raise CommandError(
                f"{user} may not import {opts.verbose_name_plural}: "
                + ("the account is inactive" if not account.is_active else
                   f"needs {', '.join(missing)}")
            )  # fmt: skip
        return account

    @staticmethod
    def errors(result) -> list[str]:
        """Every row error as "row N, column: message" (row 2 is the first under the header)."""
        lines = []
        for invalid in result.invalid_rows:
            for column, messages in invalid.error_dict.items():
                for message in messages:
                    lines.append(f"row {invalid.number + 1}, {column}: {message}")
        for number, row_errors in result.row_errors():
            for error in row_errors:
                lines.append(f"row {number + 1}: {error.error}")
        for error in result.base_errors:
            lines.append(str(error.error))
        return lines
