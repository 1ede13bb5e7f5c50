"""The first and latest change dates, read without the list of dates: the same days as change_dates()."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import selectors, services
from events.models import ControlChange, Faction
from geodata.models import Town
from tests.factories import ControlChangeFactory

pytestmark = pytest.mark.django_db

SEP_1, SEP_2, SEP_3, SEP_4 = (dt.date(2017, 9, day) for day in (1, 2, 3, 4))


def _ends(*, published_only: bool = True) -> tuple:
    return (selectors.first_change_date(published_only=published_only),
            selectors.latest_change_date(published_only=published_only))


def _from_the_list(*, published_only: bool = True) -> tuple:
    dates = selectors.change_dates(published_only=published_only)
    return dates[0], dates[-1]


def _on(day: dt.date, slug: str) -> ControlChange:
    return ControlChange.objects.get(town__slug=slug, effective_date=day, state=ControlChange.State.PUBLISHED)


def test_the_ends_of_the_seed_are_those_of_the_list(seeded):
    assert _ends() == _from_the_list() == (dt.date(2014, 1, 1), SEP_3)
    assert _ends(published_only=False) == _from_the_list(published_only=False)


def test_a_retraction_of_the_latest_changes_moves_the_latest_date_back(seeded, reviewer):
    # Two changes are dated 3 September: the date stays while either is in force.
    services.control_change_retract(change=_on(SEP_3, "uqayribat"), by=reviewer, reason="misdated")
    assert selectors.latest_change_date() == selectors.change_dates()[-1] == SEP_3
    services.control_change_retract(change=_on(SEP_3, "kabajib"), by=reviewer, reason="unsourced")
    assert selectors.latest_change_date() == selectors.change_dates()[-1] == SEP_2


def test_a_superseded_latest_change_leaves_its_date_once_the_correction_is_published(seeded, reviewer):
    kabajib = _on(SEP_3, "kabajib")
    services.control_change_retract(change=_on(SEP_3, "uqayribat"), by=reviewer, reason="misdated")
    correction = services.control_change_create(
        town=Town.objects.get(slug="kabajib"), faction=kabajib.faction, effective_date=SEP_1,
        sources=list(kabajib.sources.all()), supersedes=kabajib, entered_by=reviewer,
    )
    # A draft correction: the public latest date stays; the editors' preview already moves.
    assert selectors.latest_change_date() == selectors.change_dates()[-1] == SEP_3
    assert selectors.latest_change_date(published_only=False) == selectors.change_dates(published_only=False)[-1]
    assert selectors.latest_change_date(published_only=False) == SEP_2
    services.control_change_publish(change=correction, by=reviewer)
    assert selectors.latest_change_date() == selectors.change_dates()[-1] == SEP_2


def test_drafts_and_rejected_changes_after_the_latest_are_passed_over(seeded, reviewer, hidden_after_the_seed):
    assert _ends() == _from_the_list() == (dt.date(2014, 1, 1), SEP_3)
    assert selectors.latest_change_date(published_only=False) == SEP_4 == _from_the_list(published_only=False)[1]


def test_an_empty_log_has_no_ends(db):
    assert _ends() == (None, None) and selectors.change_dates() == []


@pytest.fixture
def hidden_after_the_seed(seeded):
    """After the seed's last day: a draft, a rejected and a retracted change (only the draft is previewed)."""
    town, sdf = Town.objects.get(slug="raqqa"), Faction.objects.get(slug="sdf")
    source = _on(SEP_3, "uqayribat").sources.first()
    for day, state in [(4, "draft"), (5, "rejected"), (6, "retracted")]:
        ControlChangeFactory(town=town, faction=sdf, effective_date=dt.date(2017, 9, day), state=state,
                             sources=[source])


@pytest.mark.sqlite_only("SQLite's plan; PostgreSQL's is checked at size by the bench")
@pytest.mark.parametrize("end", [selectors.first_change_date, selectors.latest_change_date])
def test_the_ends_walk_the_date_index(seeded, end):
    """Along change_date_idx, one row after another until one is in force: never a sort of the log."""
    with CaptureQueriesContext(connection) as queries:
        end()
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
        plan = "\n".join(row[-1] for row in cursor.fetchall())
    assert "USING INDEX change_date_idx" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.sqlite_only("SQLite's plan; PostgreSQL's is checked at size by the bench")
@pytest.mark.parametrize("end", [selectors.first_change_date, selectors.latest_change_date])
def test_the_ends_as_published_walk_the_date_index_testing_the_publication_in_it(seeded, end):
    """As published at a moment: along change_date_idx (which holds the publication moment), never by the
    publications' index (change_reviewed_idx: every change published by then, then a sort)."""
    with CaptureQueriesContext(connection) as queries:
        end(known_at=dt.datetime(2017, 9, 2, 20, tzinfo=dt.UTC))
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
        plan = "\n".join(row[-1] for row in cursor.fetchall())
    assert "USING INDEX change_date_idx" in plan and "TEMP B-TREE" not in plan, plan
    assert "change_reviewed_idx" not in plan and "change_retracted_idx" not in plan, plan
