"""Stored changes meet the date-precision rule the services now apply (issue 12, item 4).

A month-precision change is stored as the month's first day; a month or approximate change has no
part of day. A row that would then clash with another change of its town on that date and part of
day is left as it is and named, for an editor to correct: a migration cannot tell which is right.
"""

from django.db import IntegrityError, migrations, transaction


def normalise(apps, schema_editor):
    ControlChange = apps.get_model("events", "ControlChange")
    left = []
    months = ControlChange.objects.filter(date_precision="month").exclude(effective_date__day=1, day_part=0)
    for change in months.iterator():
        try:
            with transaction.atomic():
                ControlChange.objects.filter(pk=change.pk).update(
                    effective_date=change.effective_date.replace(day=1), day_part=0)
        except IntegrityError:
            left.append(change.pk)
    for change in ControlChange.objects.filter(date_precision="approximate").exclude(day_part=0).iterator():
        try:
            with transaction.atomic():
                ControlChange.objects.filter(pk=change.pk).update(day_part=0)
        except IntegrityError:
            left.append(change.pk)
    if left:
        print(f"\n  changes left with a day or part of day their precision does not claim (a clash): {left}")


class Migration(migrations.Migration):
    dependencies = [("events", "0004_review_queue_index")]
    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
