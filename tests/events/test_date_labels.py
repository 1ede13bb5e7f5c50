"""A change's date in words: every precision and every part of day."""

import datetime as dt

import pytest

from events.date_labels import date_label
from events.models import ControlChange

Precision, DayPart = ControlChange.Precision, ControlChange.DayPart
SEPT_3 = dt.date(2017, 9, 3)


@pytest.mark.parametrize(("day_part", "expected"), [
    (DayPart.UNSPECIFIED, "3 September 2017"),
    (DayPart.MORNING, "3 September 2017, morning"),
    (DayPart.AFTERNOON, "3 September 2017, afternoon"),
    (DayPart.EVENING, "3 September 2017, evening"),
    (DayPart.NIGHT, "3 September 2017, night"),
])
def test_an_exact_day_says_its_part_of_day(day_part, expected):
    assert date_label(on=SEPT_3, precision=Precision.DAY, day_part=day_part) == expected


def test_every_part_of_day_is_covered():
    # A new part of day must get a case above (and a word in the label).
    assert {int(p) for p in DayPart} == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("day_part", list(DayPart))
def test_a_month_says_only_the_month(day_part):
    # The part of an unknown day tells the reader nothing.
    assert date_label(on=SEPT_3, precision=Precision.MONTH, day_part=day_part) == "September 2017"
    assert date_label(on=dt.date(2017, 9, 1), precision="month", day_part=day_part) == "September 2017"


@pytest.mark.parametrize(("on", "expected"), [
    (dt.date(2014, 1, 1), "about 2014"),          # the seed's "held since 2014"
    (dt.date(2017, 6, 1), "about June 2017"),
    (dt.date(2017, 6, 6), "about 6 June 2017"),   # the seed's Raqqa: "6 June, approximate"
    (dt.date(2017, 1, 31), "about 31 January 2017"),
])
def test_an_approximate_date_says_about_as_much_as_was_entered(on, expected):
    assert date_label(on=on, precision=Precision.APPROXIMATE, day_part=DayPart.UNSPECIFIED) == expected


@pytest.mark.parametrize("day_part", list(DayPart))
def test_an_approximate_date_leaves_the_part_of_day_out(day_part):
    assert date_label(on=dt.date(2017, 6, 6), precision="approximate", day_part=day_part) == "about 6 June 2017"


def test_every_precision_is_covered():
    assert set(Precision.values) == {"day", "month", "approximate"}


def test_plain_values_work_like_the_choices():
    assert date_label(on=SEPT_3, precision="day", day_part=1) == "3 September 2017, morning"


@pytest.mark.parametrize(("precision", "day_part", "message"), [
    ("year", 0, "'year' is not a date precision (day, month, approximate)."),
    ("", 0, "'' is not a date precision (day, month, approximate)."),
    ("day", 5, "'5' is not a part of day (0-4)."),
    ("day", -1, "'-1' is not a part of day (0-4)."),
])
def test_unknown_precision_or_part_of_day_is_an_error_naming_it(precision, day_part, message):
    with pytest.raises(ValueError) as caught:
        date_label(on=SEPT_3, precision=precision, day_part=day_part)
    assert str(caught.value) == message


def test_a_change_gives_its_label():
    change = ControlChange(effective_date=SEPT_3, date_precision=Precision.DAY, day_part=DayPart.EVENING)
    assert change.date_label == "3 September 2017, evening"
    change.date_precision = Precision.MONTH
    assert change.date_label == "September 2017"
