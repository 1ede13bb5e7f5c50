from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("geodata", "DataRevision").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("geodata", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="DataRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveBigIntegerField(default=0)),
                ("token", models.CharField(default="", max_length=16)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "constraints": [models.CheckConstraint(condition=models.Q(("pk", 1)), name="datarevision_one_row")],
            },
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
