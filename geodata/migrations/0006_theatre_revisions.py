"""A revision per theatre beside the shared one, and a row for "every theatre" (see geodata.services.revision).

The one row there was becomes the shared row (1); the "every theatre" row (2) starts from it, so every
ETag and cache key handed out before names no state that can come back.
"""

import django.db.models.deletion
from django.db import migrations, models


def every_theatre_row(apps, schema_editor):
    revision = apps.get_model("geodata", "DataRevision")
    shared = revision.objects.filter(pk=1).first()
    if shared is not None:
        revision.objects.get_or_create(
            pk=2, defaults={"number": shared.number, "token": shared.token, "changed_at": shared.changed_at}
        )
    # Each theatre's row, so that a write bumps it with one UPDATE from the first (a missing row is made then).
    theatre_revision = apps.get_model("geodata", "TheatreRevision")
    for theatre_id in apps.get_model("geodata", "Theatre").objects.values_list("pk", flat=True):
        theatre_revision.objects.get_or_create(theatre_id=theatre_id)


def one_row_again(apps, schema_editor):
    apps.get_model("geodata", "DataRevision").objects.exclude(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("geodata", "0005_theatre_boundaries_source"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="datarevision", name="datarevision_one_row"),
        migrations.AddConstraint(
            model_name="datarevision",
            constraint=models.CheckConstraint(condition=models.Q(("pk__in", [1, 2])), name="datarevision_two_rows"),
        ),
        migrations.CreateModel(
            name="TheatreRevision",
            fields=[
                (
                    "theatre",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="revision",
                        serialize=False,
                        to="geodata.theatre",
                    ),
                ),
                ("number", models.PositiveBigIntegerField(default=0)),
                ("token", models.CharField(default="", max_length=16)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(every_theatre_row, one_row_again),
    ]
