"""A slice worked out from a nearby date's (nearby_slices) is the slice control_as_of reads for that date."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import nearby_slices, selectors, services
from events.models import ControlChange
from tests.factories import ControlChangeFactory, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db

D = dt.date
# Forward a day at a time, back, then jumps across years and back into the summer of 2017.
WALK = [D(2017, 9, 3), D(2017, 9, 2), D(2017, 9, 1), D(2017, 8, 31), D(2017, 6, 6), D(2010, 1, 1),
        D(2017, 9, 3), D(2013, 1, 1), D(2017, 8, 30), D(2017, 9, 3), D(2017, 9, 2)]


def _same(got: selectors.ControlSnapshot, want: selectors.ControlSnapshot) -> None:
    assert got.on == want.on
    assert got.towns == want.towns
    assert list(got.changes.items()) == list(want.changes.items())  # same rows, same order
    assert got.factions == want.factions


@pytest.fixture
def every_step_moves(monkeypatch):
    """Take the nearby slice whatever the share of towns touched, so each step goes through _moved."""
    monkeypatch.setattr(nearby_slices, "MOST_TOWNS", 1.0)


@pytest.mark.parametrize("published_only", [True, False])
def test_a_walk_through_dates_gives_control_as_of_at_each_step(seeded, every_step_moves, published_only):
    for on in WALK:
        _same(nearby_slices.control_as_of_nearby(on=on, published_only=published_only),
              selectors.control_as_of(on=on, published_only=published_only))


def test_a_step_reads_only_the_towns_changed_in_between(seeded, every_step_moves, monkeypatch):
    nearby_slices.control_as_of_nearby(on=D(2017, 9, 1))
    changed = set(ControlChange.objects.filter(
        effective_date__gt=D(2017, 9, 1), effective_date__lte=D(2017, 9, 3), state="published",
    ).values_list("town_id", flat=True))
    assert changed, "the seed changes hands on those days"
    asked = []
    whole_slice = selectors.control_as_of

    def recording(**kwargs):
        asked.append(None if kwargs.get("towns") is None else set(kwargs["towns"].values_list("pk", flat=True)))
        return whole_slice(**kwargs)

    monkeypatch.setattr(selectors, "control_as_of", recording)
    moved = nearby_slices.control_as_of_nearby(on=D(2017, 9, 3))
    assert asked == [changed]  # one read, of those towns alone
    _same(moved, whole_slice(on=D(2017, 9, 3)))


def test_when_most_towns_changed_the_whole_slice_is_read(seeded):
    nearby_slices.control_as_of_nearby(on=D(2010, 1, 1))
    base = nearby_slices._slices(published_only=True)[D(2010, 1, 1)]
    assert nearby_slices._moved(base, on=D(2017, 9, 3), published_only=True) is None
    _same(nearby_slices.control_as_of_nearby(on=D(2017, 9, 3)), selectors.control_as_of(on=D(2017, 9, 3)))


def test_a_date_already_made_costs_a_revision_read_only(seeded):
    nearby_slices.control_as_of_nearby(on=D(2017, 9, 2))
    with CaptureQueriesContext(connection) as queries:
        nearby_slices.control_as_of_nearby(on=D(2017, 9, 2))
    assert len(queries) == 1  # the data revision


def test_a_write_is_seen_at_once(every_step_moves):
    town, faction, other = TownFactory(), FactionFactory(), FactionFactory()
    ControlChangeFactory(town=town, faction=faction, effective_date=D(2017, 1, 1))
    assert nearby_slices.control_as_of_nearby(on=D(2017, 6, 1)).changes[town.id].faction_id == faction.pk
    change = ControlChangeFactory(town=town, faction=other, effective_date=D(2017, 5, 1))
    assert nearby_slices.control_as_of_nearby(on=D(2017, 6, 1)).changes[town.id].faction_id == other.pk
    services.control_change_retract(change=change, by=None, reason="wrong town")
    assert nearby_slices.control_as_of_nearby(on=D(2017, 6, 2)).changes[town.id].faction_id == faction.pk


def test_clearing_the_cache_forgets_the_slices(seeded):
    nearby_slices.control_as_of_nearby(on=D(2017, 9, 2))
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        nearby_slices.control_as_of_nearby(on=D(2017, 9, 2))
    assert len(queries) > 1  # read again
    published = [key for key in nearby_slices._kept if key[2]]
    assert len(published) == 1 and published[0][0] == cache.get(nearby_slices.TOKEN_KEY)
