"""Theatres: every area and town stored so far belongs to the seed's theatre, syria.

The FKs are added nullable, filled by one UPDATE per table (fast at 10,000 towns, on SQLite and
PostgreSQL alike), then made non-null. Control changes have no column: a change's theatre is its town's.
"""

import django.db.models.deletion
import geodata.models
from django.db import migrations, models


def syria_exists(apps, schema_editor):
    """Made before the history tables gain their theatre column, so that its default (the first theatre,
    ``geodata.models.default_theatre_id``) finds this row rather than making one with today's model."""
    apps.get_model("geodata", "Theatre").objects.get_or_create(slug="syria", defaults={"name": "Syria"})


def syria_holds_everything(apps, schema_editor):
    syria, _ = apps.get_model("geodata", "Theatre").objects.get_or_create(slug="syria", defaults={"name": "Syria"})
    for model in ("AdminArea", "Town", "HistoricalAdminArea", "HistoricalTown"):
        apps.get_model("geodata", model).objects.filter(theatre__isnull=True).update(theatre_id=syria.pk)


class Migration(migrations.Migration):

    dependencies = [
        ('geodata', '0003_town_name_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='Theatre',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True)),
                ('slug', models.SlugField(max_length=100, unique=True)),
                ('default_date', models.DateField(blank=True, help_text='The day the map opens on (default: the latest change).', null=True)),
                ('boundaries_credit', models.CharField(blank=True, help_text='Credit line of the boundaries.', max_length=500)),
                ('gazetteer_credit', models.CharField(blank=True, help_text="Credit line of the towns' gazetteer.", max_length=500)),
                ('control_credit', models.CharField(blank=True, help_text='Credit line of the control data.', max_length=500)),
                ('view_bbox', models.JSONField(blank=True, help_text="[west, south, east, north]; default: the extent of the theatre's areas (else its towns).", null=True, validators=[geodata.models.validate_bbox], verbose_name='default view')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.RunPython(syria_exists, migrations.RunPython.noop),
        migrations.AddField(
            model_name='adminarea',
            name='theatre',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='areas', to='geodata.theatre'),
        ),
        migrations.AddField(
            model_name='historicaladminarea',
            name='theatre',
            field=models.ForeignKey(blank=True, db_constraint=False, default=geodata.models.default_theatre_id, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='geodata.theatre'),
        ),
        migrations.AddField(
            model_name='historicaltown',
            name='theatre',
            field=models.ForeignKey(blank=True, db_constraint=False, default=geodata.models.default_theatre_id, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='geodata.theatre'),
        ),
        migrations.AddField(
            model_name='town',
            name='theatre',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='towns', to='geodata.theatre'),
        ),
        migrations.RunPython(syria_holds_everything, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='adminarea',
            name='theatre',
            field=models.ForeignKey(default=geodata.models.default_theatre_id, on_delete=django.db.models.deletion.PROTECT, related_name='areas', to='geodata.theatre'),
        ),
        migrations.AlterField(
            model_name='town',
            name='theatre',
            field=models.ForeignKey(default=geodata.models.default_theatre_id, on_delete=django.db.models.deletion.PROTECT, related_name='towns', to='geodata.theatre'),
        ),
    ]
