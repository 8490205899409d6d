"""export_records [--output FILE] [--format csv|xlsx|json]"""

from claims.management.table_commands import ExportCommand


class Command(ExportCommand):
    help = "Export the named casualty records in the import columns (CSV, XLSX or JSON), streamed."
    table_name = "records"
