"""Import named casualty records from a CSV, XLSX or JSON file, with full history."""

from claims.management.table_commands import ImportCommand


class Command(ImportCommand):
    help = __doc__
    kind = "records"
