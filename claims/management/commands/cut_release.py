"""Cut a named release: the published data pinned as it stands now (claims/releases.py)."""

from django.core.management import BaseCommand, CommandError

from casualties.history import system_user
from claims.releases import ReleaseError, release_cut


class Command(BaseCommand):
    help = "Cut a release NAME of the published data, with its files, figures and changelog."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The release's name, as in /releases/<name>/ (a slug).")
        parser.add_argument("--note", default="", help="What this release is, for its readers.")
        parser.add_argument("--reason", default="", help="Why (kept in the history row).")

    def handle(self, *args, name, note, reason, verbosity=1, **options):
        user = system_user("release-cut")
        try:
            release = release_cut(
                name=name, note=note, user=user, reason=reason or f"cut_release {name}"
            )
        except ReleaseError as error:
            raise CommandError(str(error)) from error
        if verbosity:
            counts = release.counts
            self.stdout.write(
                f"Release {release.name} cut at {release.cut_at.isoformat()}: "
                f"{counts['claims']} claims, {counts['people']} people."
            )
