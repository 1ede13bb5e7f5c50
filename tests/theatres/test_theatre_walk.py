"""A period's changes of one theatre are read the way that reads less, whatever the other theatres hold.

With two theatres, ``ANALYZE`` tells SQLite that a theatre holds half of the towns; without more, it walks the
large theatre's towns one by one for a month's changes (Syria's 10,042 towns for 5,400 changes: the diff after
a write took 160 ms against 86 ms on the one-theatre database). Here a theatre of 300 towns beside one of
30, and the planner given the statistics ``ANALYZE`` wrote for the bench's two theatres (10,042 and 1,000 towns,
1,049,860 changes), so it plans as it does at that size.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import ControlChange, Faction
from events.selectors import nearby
from events.selectors.rule import PUBLIC
from geodata.models import Theatre, Town

START = dt.date(2020, 1, 1)
# sqlite_stat1 of the bench's two-theatre database (python -m bench --theatres 2), for the tables read here.
BENCH_STATS = {
    ("events_controlchange", "change_date_idx"): "1049860 195 1 1",
    ("events_controlchange", "change_drafts_queue_idx"): "14401 1601 1 1",
    ("events_controlchange", "change_faction_date_idx"): "1049860 69991 13",
    ("events_controlchange", "change_one_per_town_date_daypart"): "1028053 94 1 1",
    ("events_controlchange", "change_public_from_idx"): "1049860 1 1",
    ("events_controlchange", "change_retracted_idx"): "1049860 1049 1",
    ("events_controlchange", "change_reviewed_idx"): "1049860 1 1",
    ("events_controlchange", "change_town_asof_idx"): "1049860 96 1 1 1",
    ("events_controlchange", "events_controlchange_contested_by_id_2f2ba17c"): "1049860 65617",
    ("events_controlchange", "events_controlchange_faction_id_08b7d65b"): "1049860 69991",
    ("events_controlchange", "events_controlchange_rival_of_id_dea992f8"): "1049860 524930",
    ("events_controlchange", "events_controlchange_supersedes_id_ab3e8b80"): "1049860 54",
    ("events_controlchange", "events_controlchange_town_id_382201b4"): "1049860 96",
    ("geodata_town", "geodata_town_admin_area_id_81f5f7be"): "11042 161",
    ("geodata_town", "geodata_town_theatre_id_9dbe7bfa"): "11042 5521",
    ("geodata_town", "town_theatre_name_idx"): "11042 5521 1",
}
DAYS = 720


def _theatre_with_towns(slug: str, towns: int, faction: Faction) -> Theatre:
    theatre, _ = Theatre.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    made = Town.objects.bulk_create(
        Town(name=f"{slug} {n}", slug=f"{slug}-{n}", latitude=0.0, longitude=0.0, theatre=theatre) for n in range(towns)
    )
    # Twenty changes a town over two years, published.
    ControlChange.objects.bulk_create(
        ControlChange(
            town=town,
            faction=faction,
            effective_date=START + dt.timedelta(days=(n * 37 + town.pk) % DAYS),
            state=ControlChange.State.PUBLISHED,
        )
        for town in made
        for n in range(20)
    )
    return theatre


def _bench_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        for (table, index), stat in BENCH_STATS.items():
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s AND idx = %s", [table, index])
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", [table, index, stat])
        cursor.execute("ANALYZE sqlite_schema")  # the planner reads the statistics again


def _plans(queries) -> list[str]:
    """The plan of each captured query that reads a theatre's changes of a date range."""
    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            dated = 'effective_date" >' in sql or "c.effective_date >" in sql  # the ORM's or the period's SQL
            if "events_controlchange" not in sql or not dated or "theatre_id" not in sql:
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plans.append(" / ".join(row[3] for row in cursor.fetchall()))
    return plans


@pytest.mark.sqlite_only("SQLite's planner, which knows only a theatre's average share of the towns")
def test_a_slice_moved_over_a_month_walks_the_dates_of_a_large_theatre_and_the_towns_of_a_small_one(db):
    faction = Faction.objects.create(slug="walkers", name="Walkers", colour="#123456")
    large = _theatre_with_towns("large", 300, faction)
    small = _theatre_with_towns("small", 30, faction)
    _bench_statistics()
    found = {}
    for theatre in (large, small):
        first = START + dt.timedelta(days=400)
        nearby.slice_for(on=first, seen=PUBLIC, theatre=theatre.pk)
        with CaptureQueriesContext(connection) as queries:
            nearby.slice_for(on=first + dt.timedelta(days=30), seen=PUBLIC, theatre=theatre.pk)
        found[theatre.slug] = _plans(queries.captured_queries)
    # The large theatre's month: ~250 changes, fewer than its 300 towns: along the date index, as with one
    # theatre, never its towns one by one.
    assert found["large"] and all("change_date_idx" in plan for plan in found["large"]), found["large"]
    assert not any("change_town_asof_idx" in plan for plan in found["large"]), found["large"]
    # The small theatre's: its 30 towns one by one, not the other theatre's changes of the month.
    assert found["small"] and all("change_town_asof_idx" in plan for plan in found["small"]), found["small"]
    assert not any("change_date_idx" in plan for plan in found["small"]), found["small"]
