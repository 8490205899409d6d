"""Create the local editor account of the embedded default, and print its password once."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

USERNAME = "editor"


class Command(BaseCommand):
    help = "Create a local 'editor' superuser for the embedded SQLite default (never elsewhere)."

    def handle(self, *args, **options):
        engine = settings.DATABASES["default"]["ENGINE"]
        if not settings.DEBUG or not engine.endswith("sqlite3"):
            raise CommandError(
                "The local editor account is only for the embedded SQLite default with DEBUG on. "
                "Use `manage.py createsuperuser` elsewhere."
            )
        User = get_user_model()  # noqa: N806
        if User.objects.filter(username=USERNAME).exists():
            self.stdout.write(
                f"Local editor account '{USERNAME}' exists (its password was printed when it was "
                f"created; reset it with `manage.py changepassword {USERNAME}`)."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=USERNAME, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the local editor account — user: {USERNAME}  password: {password}\n"
                "This password is shown only once."
            )
        )
