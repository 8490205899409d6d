from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims: claimants, sources, claims"

    def ready(self):
        from simple_history.signals import post_create_historical_record

        from claims.reconciliation import warm_on_history
        from claims.roles import sync_roles_after_migrate

        # Sent after auth has created this migrate's permissions (claims is the last app).
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="claims_roles")
        # Every tracked write: compute the new figures after it commits, off the request path.
        post_create_historical_record.connect(warm_on_history, dispatch_uid="claims_warm")
