"""The data migration brings stored changes under the date-precision rule."""

import datetime as dt
import importlib

from django.apps import apps

from events.models import ControlChange
from tests.factories import ControlChangeFactory

migration = importlib.import_module("events.migrations.0005_dates_say_no_more_than_their_precision")


def test_month_rows_move_to_the_first_and_vague_rows_lose_their_part_of_day(db):
    month = ControlChangeFactory(effective_date=dt.date(2017, 9, 1), date_precision="month")
    about = ControlChangeFactory(effective_date=dt.date(2014, 1, 1), date_precision="approximate")
    # Rows stored before the rule, written straight to the table (the services refuse them now).
    ControlChange.objects.filter(pk=month.pk).update(effective_date=dt.date(2017, 9, 5), day_part=1)
    ControlChange.objects.filter(pk=about.pk).update(day_part=3)
    migration.normalise(apps, None)
    month.refresh_from_db()
    about.refresh_from_db()
    assert (month.effective_date, month.day_part) == (dt.date(2017, 9, 1), 0)
    assert (about.effective_date, about.day_part) == (dt.date(2014, 1, 1), 0)


def test_a_row_that_would_clash_is_left_and_named(db, capsys):
    first = ControlChangeFactory(effective_date=dt.date(2017, 9, 1))
    month = ControlChangeFactory(town=first.town, effective_date=dt.date(2017, 10, 1), date_precision="month",
                                 faction=first.faction)
    ControlChange.objects.filter(pk=month.pk).update(effective_date=dt.date(2017, 9, 20))
    migration.normalise(apps, None)
    month.refresh_from_db()
    assert month.effective_date == dt.date(2017, 9, 20)
    assert str(month.pk) in capsys.readouterr().out
