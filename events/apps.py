from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Control"

    def ready(self):
        from django.db.models.signals import post_migrate

        from conflictmap.planner_stats import analyze_sqlite

        from .api import tokens  # noqa: F401  (connects the token-revoking signals)

        # Once per migrate (this app's signal), after the indexes have changed.
        post_migrate.connect(analyze_sqlite, sender=self, dispatch_uid="events-analyze-sqlite")
