"""A theatre's boundaries carry their source and licence; the seed's theatre (syria) gets the credit line and
the view the map had as code constants before theatres (OCHA's credit, as its licence asks; the padded
extent), where it has none of its own."""

from django.db import migrations, models

# As seeds/theatre.json gives them (the shipped boundaries are OCHA's COD-AB for Syria).
SYRIA_CREDIT = {
    "boundaries_credit": "Administrative boundaries: OCHA, Syrian Arab Republic COD-AB (CC BY 3.0 IGO)",
    "boundaries_url": "https://data.humdata.org/dataset/cod-ab-syr",
    "boundaries_licence_url": "https://creativecommons.org/licenses/by/3.0/igo/",
    "view_bbox": [35.5, 32.2, 42.5, 37.4],  # [west, south, east, north]
}


def syria_credits_ocha(apps, schema_editor):
    syria = apps.get_model("geodata", "Theatre").objects.filter(slug="syria").first()
    if syria is None:
        return
    missing = {f: v for f, v in SYRIA_CREDIT.items() if not getattr(syria, f)}
    if missing:
        for f, v in missing.items():
            setattr(syria, f, v)
        syria.save(update_fields=list(missing))


class Migration(migrations.Migration):

    dependencies = [
        ("geodata", "0004_theatres"),
    ]

    operations = [
        migrations.AddField(
            model_name="theatre",
            name="boundaries_url",
            field=models.URLField(
                blank=True, help_text="Where the boundaries are published (linked from their credit line on the map).",
                max_length=500, verbose_name="boundaries' source",
            ),
        ),
        migrations.AddField(
            model_name="theatre",
            name="boundaries_licence_url",
            field=models.URLField(
                blank=True, help_text="The licence the boundaries are published under.", max_length=500,
                verbose_name="boundaries' licence",
            ),
        ),
        migrations.RunPython(syria_credits_ocha, migrations.RunPython.noop),
    ]
