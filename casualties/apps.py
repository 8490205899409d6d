from django.apps import AppConfig


class CasualtiesConfig(AppConfig):
    name = "casualties"
    verbose_name = "The war: conflicts, parties, places, events, categories, records"

    def ready(self):
        from casualties import history  # noqa: F401  (connects the history guard)
