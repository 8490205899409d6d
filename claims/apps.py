from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims: claimants, sources, claims"

    def ready(self):
        from claims.roles import sync_roles_after_migrate

        # Sent after auth has created this migrate's permissions (claims is the last app).
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="claims_roles")
