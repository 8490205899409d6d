"""Import claims from a CSV, XLSX or JSON file, with the same checks and history as the admin."""

from claims.management.table_commands import ImportCommand


class Command(ImportCommand):
    help = __doc__
    kind = "claims"
