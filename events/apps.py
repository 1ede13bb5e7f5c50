from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Control"

    def ready(self):
        from .api import tokens  # noqa: F401  (connects the token-revoking signals)
