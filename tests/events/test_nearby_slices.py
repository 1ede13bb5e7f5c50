"""control_as_of worked out from a nearby date's slice (selectors.nearby) is the slice read afresh (read_slice)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import selectors, services
from events.models import ControlChange
from events.selectors import nearby as nearby_slices
from events.selectors import period
from events.selectors.request_memo import request_memo
from events.selectors.rule import PUBLIC_DELAYED, Visibility
from events.selectors.slices import read_slice
from geodata.models import Town
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
    """Take the nearby slice whatever the share of towns touched (back) or the period's length (forward), so
    each step goes through _moved."""
    monkeypatch.setattr(nearby_slices, "MOST_TOWNS", 1.0)
    monkeypatch.setattr(period, "ROWS_PER_TOWN", 1_000_000)


@pytest.mark.parametrize("published_only", [True, False])
def test_a_walk_through_dates_gives_control_as_of_at_each_step(seeded, every_step_moves, published_only):
    for on in WALK:
        seen = Visibility(published_only=published_only)
        _same(selectors.control_as_of(on=on, published_only=published_only), read_slice(on=on, seen=seen))


def _recording(monkeypatch) -> list:
    asked = []

    def recording(**kwargs):
        asked.append(None if kwargs.get("towns") is None else set(kwargs["towns"].values_list("pk", flat=True)))
        return read_slice(**kwargs)

    monkeypatch.setattr(nearby_slices, "read_slice", recording)
    return asked


def test_a_step_back_reads_only_the_towns_changed_in_between(seeded, every_step_moves, monkeypatch):
    selectors.control_as_of(on=D(2017, 9, 3))
    changed = set(ControlChange.objects.filter(
        effective_date__gt=D(2017, 9, 1), effective_date__lte=D(2017, 9, 3), state="published",
    ).values_list("town_id", flat=True))
    assert changed, "the seed changes hands on those days"
    asked = _recording(monkeypatch)
    moved = selectors.control_as_of(on=D(2017, 9, 1))
    assert asked == [changed]  # one read, of those towns alone
    _same(moved, read_slice(on=D(2017, 9, 1), seen=PUBLIC))


def test_a_step_forward_reads_the_period_once_and_no_slice(seeded, every_step_moves, monkeypatch):
    selectors.control_as_of(on=D(2017, 9, 1))
    asked = _recording(monkeypatch)
    with request_memo({}), CaptureQueriesContext(connection) as queries:
        moved = selectors.control_as_of(on=D(2017, 9, 3))
        rows = selectors.period_changes(start=D(2017, 9, 1), end=D(2017, 9, 3), seen=PUBLIC, theatre=None)
    assert asked == []  # no town's slice read again
    assert sum("effective_date" in q["sql"] and "LIMIT" in q["sql"] for q in queries.captured_queries) == 1
    assert rows and {r.town_id for r in rows} == set(ControlChange.objects.filter(
        effective_date__gt=D(2017, 9, 1), effective_date__lte=D(2017, 9, 3), state="published",
    ).values_list("town_id", flat=True))
    _same(moved, read_slice(on=D(2017, 9, 3), seen=PUBLIC))


def test_a_period_longer_than_its_bound_is_not_read_whole(seeded, monkeypatch):
    monkeypatch.setattr(period, "ROWS_PER_TOWN", 1_000_000)
    rows = selectors.period_changes(start=D(2010, 1, 1), end=D(2017, 9, 3), seen=PUBLIC, theatre=None)
    assert rows is not None and len(rows) > 1
    monkeypatch.setattr(period, "ROWS_PER_TOWN", (len(rows) - 0.5) / Town.objects.count())
    assert selectors.period_changes(start=D(2010, 1, 1), end=D(2017, 9, 3), seen=PUBLIC, theatre=None) is None
    monkeypatch.setattr(period, "ROWS_PER_TOWN", (len(rows) + 0.5) / Town.objects.count())
    assert selectors.period_changes(start=D(2010, 1, 1), end=D(2017, 9, 3), seen=PUBLIC, theatre=None) == rows


def _messy_log() -> list[dt.date]:
    """Towns whose logs hold what the rule decides on: corrections dated before, inside and after a period,
    a retraction, a draft, a rejected change, a dispute decided against a claim and one left open, and
    same-day entries ordered by part of day. Its dates."""
    a, b, c = FactionFactory(), FactionFactory(), FactionFactory()
    towns = [TownFactory() for _ in range(6)]
    make = ControlChangeFactory
    first = make(town=towns[0], faction=a, effective_date=D(2017, 3, 1))
    make(town=towns[0], faction=b, effective_date=D(2017, 5, 1), supersedes=first)  # corrected to a later date
    taken = make(town=towns[1], faction=a, effective_date=D(2017, 4, 10))
    make(town=towns[1], faction=c, effective_date=D(2017, 2, 1), supersedes=taken)  # corrected to an earlier one
    make(town=towns[1], faction=b, effective_date=D(2017, 4, 20), day_part=3)
    make(town=towns[1], faction=a, effective_date=D(2017, 4, 20), day_part=1)
    kept = make(town=towns[2], faction=b, effective_date=D(2017, 1, 5))
    wrong = make(town=towns[2], faction=c, effective_date=D(2017, 4, 15))
    services.control_change_retract(change=wrong, by=SYSTEM, reason="wrong town")
    make(town=towns[2], faction=a, effective_date=D(2017, 4, 25), state=ControlChange.State.DRAFT)
    make(town=towns[3], faction=a, effective_date=D(2017, 4, 12), state=ControlChange.State.REJECTED)
    make(town=towns[3], faction=c, effective_date=D(2017, 6, 1))
    claim = make(town=towns[4], faction=a, effective_date=D(2017, 4, 5))
    rival = make(town=towns[4], faction=b, effective_date=D(2017, 4, 5), day_part=2)
    dispute = services.dispute_open(claim=claim, rival=rival, by=SYSTEM)
    services.dispute_decide(dispute=dispute, in_force=claim, reason="the older report holds", by=SYSTEM)
    one = make(town=towns[5], faction=a, effective_date=D(2017, 4, 18))
    other = make(town=towns[5], faction=c, effective_date=D(2017, 4, 18), day_part=2)
    services.dispute_open(claim=one, rival=other, by=SYSTEM)
    assert kept.pk
    return sorted({D(2017, 1, 1), D(2017, 2, 1), D(2017, 3, 1), D(2017, 4, 10), D(2017, 4, 15), D(2017, 4, 18),
                   D(2017, 4, 20), D(2017, 4, 25), D(2017, 5, 1), D(2017, 6, 30)})


@pytest.mark.parametrize("seen", [PUBLIC, Visibility(), Visibility(published_only=False)], ids=str)
def test_every_forward_move_is_the_slice_read_afresh(every_step_moves, seen):
    dates = _messy_log()
    for i, start in enumerate(dates):
        base = read_slice(on=start, seen=seen)
        for end in dates[i + 1:]:
            moved = nearby_slices._moved(base, on=end, seen=seen)
            assert moved is not None
            _same(moved, read_slice(on=end, seen=seen))


def test_every_forward_move_as_known_at_a_moment_is_that_moments_slice(every_step_moves):
    dates = _messy_log()
    later = ControlChangeFactory(town=TownFactory(), faction=FactionFactory(), effective_date=D(2017, 4, 11))
    seen = Visibility(known_at=later.reviewed_at - dt.timedelta(microseconds=1))
    for i, start in enumerate(dates):
        base = read_slice(on=start, seen=seen)
        for end in dates[i + 1:]:
            _same(nearby_slices._moved(base, on=end, seen=seen), read_slice(on=end, seen=seen))


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
