"""Keep the stored figures in step with the data (claims/refresh.py)."""

import time

from django.core.management import BaseCommand

from casualties.history import system_user
from claims.refresh import catch_up, rebuild


class Command(BaseCommand):
    help = (
        "Follow the writes not yet followed by the stored figures (every figure, the first "
        "time); --all recomputes every figure; --watch keeps following (a worker for writes made outside the web requests "
        "and commands, e.g. from a shell)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute every figure")
        parser.add_argument("--watch", action="store_true", help="keep following writes")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="seconds between looks (--watch)"
        )

    def handle(self, *args, all=False, watch=False, interval=2.0, verbosity=1, **options):
        from casualties.models import DataState

        if all or not DataState.objects.exists():  # never stored (a database from before)
            started = time.perf_counter()
            moved = rebuild(reason="reconcile --all command", user=system_user("reconcile"))
            if verbosity:
                self.stdout.write(
                    f"Recomputed every figure in {time.perf_counter() - started:.1f} s: "
                    f"{moved} changed."
                )
        while True:
            moved = catch_up()
            if verbosity and (moved or not watch):
                self.stdout.write(f"Followed the pending writes: {moved} figures changed.")
            if not watch:
                return
            time.sleep(interval)
