from django.apps import AppConfig


class GeodataConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "geodata"
    verbose_name = "Places"
