"""Create a local account of the embedded default in one role, and print its password once.

``make run`` creates ``editor`` (in the editor group, not a superuser: a newcomer sees what an
editor sees, no Users, Groups, Delete or Publish). ``--role reviewer`` and ``--role
administrator`` create the other two roles' accounts, named after the role.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand, CommandError

from claims.roles import EDITOR, ROLES

COMMAND = ".venv/bin/python manage.py ensure_local_editor"


def banner(lines: list[str]) -> str:
    """A box that stands out between pip's and Django's lines."""
    width = max(len(line) for line in lines)
    rule = "=" * (width + 4)
    body = "\n".join(f"| {line.ljust(width)} |" for line in lines)
    return f"\n{rule}\n{body}\n{rule}\n"


class Command(BaseCommand):
    help = (
        "Create a local account in one role (editor unless --role) for the embedded SQLite "
        "default with DEBUG on (never elsewhere); its password is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=ROLES, default=EDITOR)

    def handle(self, *args, role=EDITOR, **options):
        engine = settings.DATABASES["default"]["ENGINE"]
        if not settings.DEBUG or not engine.endswith("sqlite3"):
            raise CommandError(
                "The local accounts are only for the embedded SQLite default with DEBUG on. "
                "Use `manage.py createsuperuser` elsewhere."
            )
        username = role
        User = get_user_model()  # noqa: N806
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Local {role} account '{username}' exists (its password was printed when it "
                f"was created; reset it with `manage.py changepassword {username}`)."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            username=username, email="", password=password, is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        others = [r for r in ROLES if r != role]
        lines = [
            f"Local {role} account created (role: {role}; README 'Roles and workflow').",
            f"    user:     {username}",
            f"    password: {password}",
            "This password is shown only once.",
        ]
        if role == EDITOR:
            lines += [
                "",
                "To try the other roles, create their accounts the same way:",
                *(f"    {COMMAND} --role {other}" for other in others),
            ]
        self.stdout.write(self.style.SUCCESS(banner(lines)))
