"""Load the default data (the seed article's figures) and give every row its first history row."""

from django.apps import apps
from django.core.management import BaseCommand, call_command
from django.db import transaction
from django.db.models import Max

from casualties.changes import note
from casualties.history import change_context, system_user
from casualties.models import Conflict
from claims.refresh import catch_up
from claims.services import flags_refresh

DEFAULT_FIXTURES = ["fixtures/default.json"]


def tracked_models():
    return [m for m in apps.get_models() if hasattr(m, "history") and hasattr(m.history, "model")]


class Command(BaseCommand):
    help = "Load fixtures/default.json with a history row (reason: this command) for every object."

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", default=DEFAULT_FIXTURES)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if a conflict already exists."
        )

    def handle(self, *args, fixtures, if_empty, verbosity, **options):
        if if_empty and Conflict.objects.exists():
            if verbosity:
                self.stdout.write("Default data already loaded; nothing to do.")
            return
        reason = f"Default data loaded from {', '.join(fixtures)}"
        with transaction.atomic():
            user = system_user("default-data")
            self.load(fixtures, user, reason, verbosity)
            # Its history rows were written in bulk: every figure is to be computed.
            note(Conflict, reason=reason, user=user)
        catch_up()

    def load(self, fixtures, user, reason, verbosity):
        with change_context(user=user, reason=reason):
            before = {
                m: set(m._default_manager.values_list("pk", flat=True)) for m in tracked_models()
            }
            last_history = {
                m: m.history.aggregate(last=Max("history_id"))["last"] or 0
                for m in tracked_models()
            }
            # loaddata saves with raw=True, which simple-history does not record; the rows
            # it added get their "+" history rows below, in bulk, with this command's reason.
            call_command("loaddata", *fixtures, verbosity=0)
            created = 0
            for model in tracked_models():
                new = model._default_manager.exclude(pk__in=before[model])
                # Setting a tracked many-to-many field (a record's sources) did write a "~"
                # row, with the related ids: that row is the object's creation, so mark it
                # "+" and do not add a second one without them.
                during = model.history.filter(history_id__gt=last_history[model])
                during.update(history_type="+")
                recorded = set(during.values_list(model._meta.pk.attname, flat=True))
                objs = [obj for obj in new if obj.pk not in recorded]
                if objs:
                    model.history.bulk_history_create(
                        objs, default_change_reason=reason, default_user=user
                    )
                created += len(objs) + len(recorded)
            # The reviewers' queue starts with the contradictions of the default data.
            for conflict in Conflict.objects.all():
                created += flags_refresh(conflict=conflict, user=user, reason=reason)["opened"]
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Loaded {created} objects, each with history."))
