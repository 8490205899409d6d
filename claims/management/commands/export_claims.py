"""export_claims [--output FILE] [--format csv|xlsx|json] [--status published ...]"""

from claims.management.table_commands import ExportCommand
from claims.models import Claim


class Command(ExportCommand):
    help = "Export claims in the import columns (CSV, XLSX or JSON), streamed."
    table_name = "claims"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--status",
            action="append",
            choices=Claim.Status.values,
            help="Only claims with this status; repeat for several (default: all).",
        )

    def queryset(self, options):
        claims = Claim.objects.all()
        if options["status"]:
            claims = claims.filter(status__in=options["status"])
        return claims
