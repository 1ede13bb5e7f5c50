"""control_as_of worked out from a nearby date's slice (selectors.nearby) is the slice read afresh (read_slice)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import selectors, services
from events.models import ControlChange
from events.selectors import nearby as nearby_slices
from events.selectors.rule import PUBLIC_DELAYED, Visibility
from events.selectors.slices import read_slice
from tests.factories import SYSTEM, ControlChangeFactory, FactionFactory, TownFactory

# The public's view as control_as_of reads it by default (an anonymous reader's: publication delays apply).
PUBLIC = PUBLIC_DELAYED

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
        seen = Visibility(published_only=published_only)
        _same(selectors.control_as_of(on=on, published_only=published_only), read_slice(on=on, seen=seen))


def test_a_step_reads_only_the_towns_changed_in_between(seeded, every_step_moves, monkeypatch):
    selectors.control_as_of(on=D(2017, 9, 1))
    changed = set(ControlChange.objects.filter(
        effective_date__gt=D(2017, 9, 1), effective_date__lte=D(2017, 9, 3), state="published",
    ).values_list("town_id", flat=True))
    assert changed, "the seed changes hands on those days"
    asked = []

    def recording(**kwargs):
        asked.append(None if kwargs.get("towns") is None else set(kwargs["towns"].values_list("pk", flat=True)))
        return read_slice(**kwargs)

    monkeypatch.setattr(nearby_slices, "read_slice", recording)
    moved = selectors.control_as_of(on=D(2017, 9, 3))
    assert asked == [changed]  # one read, of those towns alone
    _same(moved, read_slice(on=D(2017, 9, 3), seen=PUBLIC))


def test_when_most_towns_changed_the_whole_slice_is_read(seeded):
    selectors.control_as_of(on=D(2010, 1, 1))
    base = nearby_slices._slices(seen=PUBLIC)[D(2010, 1, 1)]
    assert nearby_slices._moved(base, on=D(2017, 9, 3), seen=PUBLIC) is None
    _same(selectors.control_as_of(on=D(2017, 9, 3)), read_slice(on=D(2017, 9, 3), seen=PUBLIC))


def test_a_date_already_made_costs_a_revision_read_only(seeded):
    selectors.control_as_of(on=D(2017, 9, 2))
    with CaptureQueriesContext(connection) as queries:
        selectors.control_as_of(on=D(2017, 9, 2))
    assert len(queries) == 1  # the data revision


def test_a_write_is_seen_at_once(every_step_moves):
    town, faction, other = TownFactory(), FactionFactory(), FactionFactory()
    ControlChangeFactory(town=town, faction=faction, effective_date=D(2017, 1, 1))
    assert selectors.control_as_of(on=D(2017, 6, 1)).changes[town.id].faction_id == faction.pk
    change = ControlChangeFactory(town=town, faction=other, effective_date=D(2017, 5, 1))
    assert selectors.control_as_of(on=D(2017, 6, 1)).changes[town.id].faction_id == other.pk
    services.control_change_retract(change=change, by=SYSTEM, reason="wrong town")
    assert selectors.control_as_of(on=D(2017, 6, 2)).changes[town.id].faction_id == faction.pk


def test_clearing_the_cache_forgets_the_slices(seeded):
    selectors.control_as_of(on=D(2017, 9, 2))
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        selectors.control_as_of(on=D(2017, 9, 2))
    assert len(queries) > 1  # read again
    published = [key for key in nearby_slices._kept if key[2] == PUBLIC]
    assert len(published) == 1 and published[0][0] == cache.get(nearby_slices.TOKEN_KEY)
