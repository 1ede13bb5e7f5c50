"""An area's towns "with a record" on a date are its towns with a change in force then (the slice), read
from the same query as its shares over time: a first record superseded by a correction dated later
counts from the correction, a retracted one and a draft never count."""

import datetime as dt

import pytest
import shapely

from events import selectors, territory
from events.models import ControlChange
from tests.factories import AdminAreaFactory, ControlChangeFactory, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db

JAN = [dt.date(2017, 1, day) for day in range(1, 8)]


@pytest.fixture
def testshire():
    area = AdminAreaFactory(
        name="Testshire", code="SYT1", slug="testshire", geometry=shapely.geometry.mapping(shapely.box(37, 35, 38, 36))
    )
    red = FactionFactory(name="Red side", slug="red", colour="#aa0000")
    blue = FactionFactory(name="Blue side", slug="blue", colour="#0000aa")
    towns = [TownFactory(admin_area=area, name=f"T{i}", slug=f"t{i}") for i in range(6)]
    ControlChangeFactory(town=towns[0], faction=red, effective_date=JAN[0])
    # A first record corrected by a change dated three days later: nothing in force until the correction.
    wrong = ControlChangeFactory(town=towns[1], faction=red, effective_date=JAN[1])
    ControlChangeFactory(town=towns[1], faction=blue, effective_date=JAN[4], supersedes=wrong)
    # A retracted first record: the town has a record from its next change only.
    ControlChangeFactory(town=towns[2], faction=red, effective_date=JAN[0], state=ControlChange.State.RETRACTED)
    ControlChangeFactory(town=towns[2], faction=blue, effective_date=JAN[3])
    # A draft is no record.
    ControlChangeFactory(town=towns[3], faction=red, effective_date=JAN[1], state=ControlChange.State.DRAFT)
    # A first record corrected by an earlier-dated change: a record from the correction's date.
    late = ControlChangeFactory(town=towns[4], faction=red, effective_date=JAN[2])
    ControlChangeFactory(town=towns[4], faction=blue, effective_date=JAN[1], supersedes=late)
    ControlChangeFactory(town=towns[4], faction=red, effective_date=JAN[5])
    # towns[5] has no change at all.
    return area


def _in_the_slice(area, on: dt.date) -> int:
    """The direct count: the area's towns with a change in force on ``on``."""
    return len(selectors.control_as_of(on=on, towns=territory.area_towns(area)).changes)


def test_towns_with_a_record_are_the_slices_on_every_date(testshire):
    over_time = territory.area_over_time(area=testshire)
    for on in [dt.date(2016, 12, 31), *JAN]:
        assert over_time.recorded_on(on) == _in_the_slice(testshire, on), on
    assert [(d, n) for (d, _), n in zip(over_time.points, over_time.recorded, strict=True)] == [
        (d, _in_the_slice(testshire, d)) for d, _ in over_time.points
    ]
    assert [d for d, _ in over_time.points] == [JAN[0], JAN[1], JAN[3], JAN[4], JAN[5]]


def test_the_area_page_counts_the_towns_in_the_slice(client, testshire):
    for on in [dt.date(2016, 12, 31), *JAN]:
        response = client.get(f"/areas/testshire/?date={on}")
        assert response.status_code == 200
        known = _in_the_slice(testshire, on)
        assert (response.context["recorded"], response.context["unrecorded"]) == (known, 6 - known), on
        for row in response.context["table"]:
            assert row["recorded"] == _in_the_slice(testshire, row["date"]), row["date"]
    # Between the wrong first record and its correction, T1 has none: 2 of 6 (T0, T4) on 3 January.
    html = client.get("/areas/testshire/?date=2017-01-03").content.decode()
    assert "2 of 6 towns here have a record on this date" in html
