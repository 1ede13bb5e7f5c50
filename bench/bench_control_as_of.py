"""control_as_of (light rows) against its floor, the raw per-town index lookup, on a synthetic log.

Size: BENCH_TOWNS (default 10,000) towns x BENCH_CHANGES_PER_TOWN (default 50) changes, e.g.
``BENCH_TOWNS=10000 BENCH_CHANGES_PER_TOWN=100 python -m bench bench_control_as_of`` for a million.
control_as_of should stay within 1.5x of the floor; the run prints the ratio and the verdict.
"""

import datetime as dt
import os

from django.db import connection, transaction

from bench.__main__ import timed
from events import selectors
from events.models import ControlChange, Faction
from geodata.models import AdminArea, Town

TOWNS = int(os.environ.get("BENCH_TOWNS", 10_000))
CHANGES_PER_TOWN = int(os.environ.get("BENCH_CHANGES_PER_TOWN", 50))
MAX_RATIO = 1.5


def _populate() -> None:
    with transaction.atomic():
        faction = Faction.objects.create(name="Bench", short_name="B", slug="bench", colour="#123456")
        # A governorate with a large geometry: the old control_as_of decoded it once per town.
        ring = [[35 + i / 500, 33 + (i % 2) / 10] for i in range(5_000)] + [[35, 33]]
        area = AdminArea.objects.create(code="SYB1", name="Bench", slug="bench", level=1, country_code="SY",
                                        geometry={"type": "Polygon", "coordinates": [ring]})
        towns = Town.objects.bulk_create(
            Town(name=f"T{i}", slug=f"bench-{i}", latitude=35, longitude=38, admin_area=area) for i in range(TOWNS)
        )
        start = dt.date(2012, 1, 1)
        ControlChange.objects.bulk_create(
            (
                ControlChange(town=t, faction=faction, state="published",
                              effective_date=start + dt.timedelta(days=30 * k))
                for t in towns for k in range(CHANGES_PER_TOWN)
            ),
            batch_size=5_000,
        )


def _window(on: dt.date) -> list:
    table = ControlChange._meta.db_table
    sql = f"""
        SELECT id FROM (
          SELECT id, ROW_NUMBER() OVER (
            PARTITION BY town_id ORDER BY effective_date DESC, day_part DESC, id DESC) AS rn
          FROM {table} WHERE state = 'published' AND effective_date <= %s
        ) ranked WHERE rn = 1"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [on])
        return cursor.fetchall()


def _index_lookup(on: dt.date) -> list:
    """The floor: the id of the change in force per town, one index range per town, nothing else."""
    latest = selectors._latest_change(on=on, published_only=True)
    return [pk for pk in Town.objects.annotate(change_id=latest).values_list("change_id", flat=True) if pk]


def run(report) -> None:
    _populate()
    on = dt.date(2012, 1, 1) + dt.timedelta(days=15 * CHANGES_PER_TOWN)  # halfway through the log
    size = f"{TOWNS} towns x {CHANGES_PER_TOWN} changes"
    floor, ids = timed(_index_lookup, on)
    figure, rows = timed(_window, on)
    assert len(ids) == len(rows) == TOWNS
    report(f"ROW_NUMBER window (vs the index lookup), {size}", figure, floor)
    figure, snapshot = timed(selectors.control_as_of, on=on)
    assert len(snapshot.changes) == TOWNS and set(ids) == {c.id for c in snapshot.changes.values()}
    report(f"control_as_of, light rows (vs the index lookup), {size}", figure, floor)
    ratio = figure / floor
    verdict = "within budget" if ratio <= MAX_RATIO else "OVER BUDGET"
    print(f"control_as_of / index lookup = {ratio:.2f} (budget {MAX_RATIO}): {verdict}")
