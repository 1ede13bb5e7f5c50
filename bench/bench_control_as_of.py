"""control_as_of against the ROW_NUMBER window it replaced, on a synthetic log."""

import datetime as dt

from django.db import connection, transaction

from bench.__main__ import timed
from events import selectors
from events.models import ControlChange, Faction
from geodata.models import Town

TOWNS, CHANGES_PER_TOWN = 2_000, 50


def _populate() -> None:
    with transaction.atomic():
        faction = Faction.objects.create(name="Bench", short_name="B", slug="bench", colour="#123456")
        towns = Town.objects.bulk_create(
            Town(name=f"T{i}", slug=f"bench-{i}", latitude=35, longitude=38) for i in range(TOWNS)
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
    return list(selectors.latest_change_ids(on=on))


def _per_town_loop(on: dt.date) -> list:
    """The naive way: one query per town."""
    return [
        ControlChange.objects.filter(town=t, state="published", effective_date__lte=on)
        .order_by(*selectors.LATEST_FIRST).first()
        for t in Town.objects.all()
    ]


def run(report) -> None:
    _populate()
    on = dt.date(2014, 6, 1)
    size = f"{TOWNS} towns x {CHANGES_PER_TOWN} changes"
    figure, ids = timed(_index_lookup, on)
    floor, rows = timed(_window, on)
    assert len(ids) == len(rows) == TOWNS
    report(f"latest change ids (index lookup vs ROW_NUMBER), {size}", figure, floor)
    figure, snapshot = timed(selectors.control_as_of, on=on)
    floor, naive = timed(_per_town_loop, on, repeat=1)
    assert len(snapshot.changes) == len(naive)
    report(f"control_as_of with objects (vs a query per town), {size}", figure, floor)
