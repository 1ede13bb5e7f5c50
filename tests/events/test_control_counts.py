"""The time slice counted by the database (control_counts_as_of) and the area shares built from it."""

import datetime as dt
from collections import Counter

import pytest
import shapely
import shapely.geometry

from events import selectors, territory
from events.models import ControlChange
from geodata.models import Town
from tests.factories import AdminAreaFactory, ControlChangeFactory, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db

D = dt.date


def _counted_from_slice(on: dt.date, published_only: bool = True) -> dict[tuple, tuple[int, int, int]]:
    """What control_counts_as_of must say, worked out town by town from control_as_of."""
    towns, populated, population = Counter(), Counter(), Counter()
    for town, change in selectors.control_as_of(on=on, published_only=published_only):
        key = (town.admin_area_id, change and change.faction_slug, change and change.status)
        towns[key] += 1
        if town.population is not None:
            populated[key] += 1
            population[key] += town.population
    return {key: (towns[key], populated[key], population[key]) for key in towns}


def _counted(on: dt.date, published_only: bool = True) -> dict[tuple, tuple[int, int, int]]:
    return {
        (c.admin_area_id, c.faction_slug, c.status): (c.towns, c.populated, c.population)
        for c in selectors.control_counts_as_of(on=on, published_only=published_only)
    }


@pytest.mark.parametrize("on", [D(2010, 1, 1), D(2013, 1, 1), D(2017, 6, 6), D(2017, 9, 2), D(2017, 9, 3)])
def test_counts_are_the_slice_grouped_by_area_faction_and_status(seeded, on):
    assert _counted(on) == _counted_from_slice(on)


def test_counts_follow_the_slice_rules_for_drafts_supersessions_and_unknown_population(db):
    # The towns sit at the factory's spot, inside this area; the fourth is placed outside every area.
    area = AdminAreaFactory(geometry=shapely.geometry.mapping(shapely.box(37, 35, 38, 36)))
    red, blue = FactionFactory(slug="red"), FactionFactory(slug="blue")
    held, unpeopled, unknown = (TownFactory(population=p) for p in (100, None, 7))
    nowhere = TownFactory(population=5, latitude=10.0, longitude=10.0, outside_boundaries=True)
    assert [t.admin_area_id for t in (held, unpeopled, unknown, nowhere)] == [area.pk] * 3 + [None]
    old = ControlChangeFactory(town=held, faction=red, effective_date=D(2017, 9, 1))
    ControlChangeFactory(town=held, faction=blue, effective_date=D(2017, 9, 1), supersedes=old)
    ControlChangeFactory(town=unpeopled, faction=blue, effective_date=D(2017, 9, 1), status="contested",
                         contested_by=red)
    ControlChangeFactory(town=unknown, faction=red, effective_date=D(2017, 9, 1), state="draft")
    ControlChangeFactory(town=nowhere, faction=red, effective_date=D(2017, 9, 1))
    for published_only in (True, False):
        assert _counted(D(2017, 9, 1), published_only) == _counted_from_slice(D(2017, 9, 1), published_only)
    assert _counted(D(2017, 9, 1)) == {
        (area.pk, "blue", "controlled"): (1, 1, 100),
        (area.pk, "blue", "contested"): (1, 0, 0),
        (area.pk, None, None): (1, 1, 7),  # its only change is a draft
        (None, "red", "controlled"): (1, 1, 5),
    }
    assert _counted(D(2017, 9, 1), published_only=False)[(area.pk, "red", "controlled")] == (1, 1, 7)


def _shares_from_slice(on: dt.date, level: int) -> dict[int, dict]:
    """Province shares worked out town by town, as the rules in province_control_as_of's docstring say."""
    lifted = territory.level_area_ids(level)
    areas: dict[int, dict] = {}
    for town, change in selectors.control_as_of(on=on):
        if town.admin_area_id not in lifted:
            continue
        area = areas.setdefault(lifted[town.admin_area_id], {"towns": 0, "held": Counter(), "people": Counter(),
                                                              "contested": False})
        area["towns"] += 1
        if change is not None:
            area["held"][change.faction_slug] += 1
            area["contested"] |= change.status == ControlChange.Status.CONTESTED
            if town.population is not None:
                area["people"][change.faction_slug] += town.population
    expected = {}
    for area_id, area in areas.items():
        known, people = sum(area["held"].values()), sum(area["people"].values())
        top = max(area["held"].values(), default=0)
        leaders = [slug for slug, n in area["held"].items() if n == top]
        expected[area_id] = {
            "towns": area["towns"],
            "shares": {slug: n / known for slug, n in area["held"].items()},
            "population_shares": {slug: n / people for slug, n in area["people"].items()} if people else {},
            "dominant_faction": leaders[0] if len(leaders) == 1 else None,
            "contested": area["contested"] or (known > 0 and top * 2 <= known),
        }
    return expected


@pytest.mark.parametrize("level", [1, 2])
@pytest.mark.parametrize("on", [D(2013, 1, 1), D(2017, 6, 6), D(2017, 9, 2), D(2017, 9, 3)])
def test_province_control_agrees_with_the_slice_town_by_town(seeded, on, level):
    expected = _shares_from_slice(on, level)
    frame = territory.province_control_as_of(on=on, level=level)
    assert set(frame["area_id"]) >= set(expected)
    for row in frame.itertuples():
        want = expected.get(row.area_id, {"towns": 0, "shares": {}, "population_shares": {},
                                          "dominant_faction": None, "contested": False})
        got = {"towns": row.towns, "dominant_faction": row.dominant_faction, "contested": row.contested}
        assert got == {key: want[key] for key in got}, (on, level, row.code)
        assert row.shares == pytest.approx(want["shares"]), (on, level, row.code)
        assert row.population_shares == pytest.approx(want["population_shares"]), (on, level, row.code)
        assert list(row.shares) == sorted(row.shares)  # slugs in order, as the GeoJSON writes them
    assert frame["towns"].sum() == Town.objects.filter(admin_area_id__in=territory.level_area_ids(level)).count()
