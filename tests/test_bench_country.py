"""The bench's country (bench/country.py) at the --quick size: publication times spread over the log as a real
map's, and confirmations, so its as-published views and staleness are measured on data shaped like a user's."""

import datetime as dt

import pytest
from django.db.models import F

from bench.__main__ import QUICK
from bench.country import FIRST_DAY, LAST_DAY, country_build
from events import selectors
from events.models import Confirmation, ControlChange
from events.selectors.rule import as_known_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def country():
    return country_build(towns=QUICK["towns"], changes=QUICK["changes"])


def _in_force(on: dt.date) -> dict[int, int]:
    return {town: row.id for town, row in selectors.control_as_of(on=on).changes.items()}


def test_the_map_as_published_in_the_middle_of_the_log_is_what_it_said_then_not_what_it_says_now(country):
    on = FIRST_DAY + (LAST_DAY - FIRST_DAY) / 2
    evening = dt.datetime.combine(on, dt.time(20), tzinfo=dt.UTC)
    now = _in_force(on)
    with as_known_at(evening):
        then = _in_force(on)
    assert len(then) >= 0.8 * len(now)  # most towns were already on the map that evening
    differ = {town for town in now if then.get(town) != now[town]}
    assert differ  # late entries and later corrections were not known then
    assert len(differ) < len(now) / 2


def test_corrections_and_retractions_come_after_what_they_replace(country):
    corrections = ControlChange.objects.filter(supersedes__isnull=False, state="published")
    assert corrections.exists()
    assert not corrections.filter(reviewed_at__lte=F("supersedes__reviewed_at")).exists()
    retracted = ControlChange.objects.filter(state="retracted")
    assert retracted.exists()
    assert not retracted.filter(retracted_at__lte=F("reviewed_at")).exists()
    bench = ControlChange.objects.filter(state="published", town__slug__startswith="bench-town-")
    assert bench.filter(reviewed_at__year__lt=2020).exists()  # published over the log, not at the build's moment


def test_confirmations_name_the_controller_in_force_and_move_last_confirmed(country):
    assert country.counts["confirmations"] > 50
    published = Confirmation.objects.filter(state="published").order_by("pk")
    assert Confirmation.objects.filter(state="draft").exists()
    assert not published.filter(sources__isnull=True).exists()
    for confirmation in published[:40]:
        row = selectors.control_as_of(on=confirmation.confirmed_on).row_for(confirmation.town_id)
        assert row.faction_id == confirmation.faction_id
        assert row.effective_date < confirmation.confirmed_on
    latest = published.last()
    slice_ = selectors.control_as_of(on=latest.confirmed_on)
    confirmed = selectors.last_confirmed(on=latest.confirmed_on, changes=slice_.changes.values())
    assert confirmed[latest.town_id] == latest.confirmed_on
