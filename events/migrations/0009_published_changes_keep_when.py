"""Changes published at entry without a named user (the seed, early imports) got no reviewed_at; the
rule's "known at" moment reads it as the time of publication, so they take their entry time."""

from django.db import migrations
from django.db.models import F


def stamp(apps, schema_editor):
    ControlChange = apps.get_model("events", "ControlChange")
    ControlChange.objects.filter(state__in=["published", "retracted"], reviewed_at__isnull=True).update(
        reviewed_at=F("entered_at"))


class Migration(migrations.Migration):
    dependencies = [("events", "0008_drop_state_date_index")]
    operations = [migrations.RunPython(stamp, migrations.RunPython.noop)]
