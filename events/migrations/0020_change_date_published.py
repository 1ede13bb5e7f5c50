"""change_date_idx holds the publication moment too: a date walk as published at a moment tests it in the index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0019_publication_delay"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="controlchange", name="change_date_idx"),
        migrations.AddIndex(
            model_name="controlchange",
            index=models.Index(fields=["effective_date", "id", "reviewed_at"], name="change_date_idx"),
        ),
    ]
