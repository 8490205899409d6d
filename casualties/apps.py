from django.apps import AppConfig


class CasualtiesConfig(AppConfig):
    name = "casualties"
    verbose_name = "The war: conflicts, parties, places, events, categories, records"

    def ready(self):
        from casualties import history, integrity  # noqa: F401  (connect the guards)
