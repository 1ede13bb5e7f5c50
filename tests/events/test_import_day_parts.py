"""One reading of the part-of-day column, shared by the CSV import and the seed loader."""

import pytest

from events import imports, seeding
from events.imports import changes_import_check
from events.models import ControlChange

DayPart = ControlChange.DayPart


@pytest.mark.parametrize(("text", "part"), [
    ("", DayPart.UNSPECIFIED), ("  ", DayPart.UNSPECIFIED), ("Morning", DayPart.MORNING),
    ("EVENING", DayPart.EVENING), (" night ", DayPart.NIGHT), ("2", DayPart.AFTERNOON), ("0", DayPart.UNSPECIFIED),
    ("dawn", None), ("5", None), ("-1", None),
])
def test_day_part_from_text(text, part):
    assert DayPart.from_text(text) == part


def test_no_second_table_of_day_parts():
    assert not hasattr(imports, "DAY_PARTS") and not hasattr(seeding, "DAY_PARTS")


@pytest.mark.django_db
def test_import_reads_names_and_numbers_and_lists_them_when_wrong(seeded):
    header = "town,faction,date,day_part,source_title,source_publisher"
    plan = changes_import_check(text=f"{header}\nRaqqa,SDF,2017-10-20,Night,T,P\nTabqa,SDF,2017-10-20,3,T,P\n")
    assert not plan.errors and [r.new.change.day_part for r in plan.rows] == [DayPart.NIGHT, DayPart.EVENING]
    plan = changes_import_check(text=f"{header}\nRaqqa,SDF,2017-10-20,dawn,T,P\n")
    assert [(e.column, e.reason) for e in plan.errors] == [
        ("day_part", "'dawn' is not a part of day (unspecified, morning, afternoon, evening, night, or 0-4)")]
