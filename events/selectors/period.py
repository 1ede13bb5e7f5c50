"""A period's changes in force, read once: what moves a slice forward and what the diff's table lists.

The change in force for a town at the end of a period is its latest change in force dated within it, or,
when it has none, the one in force at the start: being in force does not depend on the date (a change
that counts and that no change that counts supersedes, ``rule``). So a slice moves forward from its start
by the period's changes in force alone (``nearby``), the what-changed page lists and counts the same
rows, and the exports of a period write them (``export_rows.change_events``): one query where the move
re-read the changed towns' slices and the table counted and paged the period again (a third of the diff's
time after a write on a theatre of 1,000 towns), and the exports compiled the rule's queryset once more.

A long period is not read whole: past ``ROWS_PER_TOWN`` changes per town of the scope, None says so,
and the callers read the slice at the end and page the table by queries, as they did before.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple, cast

from django.db import connection

from geodata.models import Town

from ..models import ControlChange, Faction
from .request_memo import once
from .rows import CHANGE_ROW_FIELDS, ChangeRow, column
from .rule import Visibility, in_force_sql
from .theatre_walk import theatre_town_count, walks_by_town

# Past one change per town on average, a slice of the end (an index walk per town) reads less than the
# period, and a table of that many rows is paged by queries.
ROWS_PER_TOWN = 1.0


class PeriodRow(NamedTuple):
    """A change of the period: ChangeRow's fields, then its town's slug and name (the table names them) and its
    note (the exports write it)."""

    effective_date: dt.date
    day_part: int
    id: int
    town_id: int
    faction_id: int
    faction_slug: str
    status: str
    contested_by_id: int | None
    date_precision: str
    confidence: str
    state: str
    town_slug: str
    town_name: str
    note: str


assert PeriodRow._fields[: len(ChangeRow._fields)] == ChangeRow._fields
_make_row = cast(Callable[[Iterable[Any]], PeriodRow], partial(tuple.__new__, PeriodRow))
_CHANGE_PART = itemgetter(slice(0, len(ChangeRow._fields)))
make_change_row = cast(Callable[[PeriodRow], ChangeRow], lambda row: tuple.__new__(ChangeRow, _CHANGE_PART(row)))


def scope_town_count(theatre: int | None) -> int:
    """How many towns the slices of ``theatre`` (None: of every theatre) hold; once per request."""
    if theatre is not None:
        return theatre_town_count(theatre)
    return once(("towns",), Town.objects.count)


def period_changes(*, start: dt.date, end: dt.date, seen: Visibility, theatre: int | None) -> list[PeriodRow] | None:
    """The changes in force for ``seen`` dated after ``start`` up to ``end`` (inclusive), of ``theatre``'s
    towns (None: every town), in CHRONOLOGICAL order; None when there are more than ROWS_PER_TOWN per town
    of the scope. Read once per request (``request_memo``): the slice's move and the table share it."""
    if start >= end:
        return []
    limit = max(1, int(scope_town_count(theatre) * ROWS_PER_TOWN))
    return once(("period_changes", start, end, seen, theatre, limit),
                lambda: _read(start=start, end=end, seen=seen, theatre=theatre, limit=limit))


def _read(*, start: dt.date, end: dt.date, seen: Visibility, theatre: int | None, limit: int) -> list[PeriodRow] | None:
    change, town, faction = (m._meta.db_table for m in (ControlChange, Town, Faction))
    columns = ", ".join("f.slug" if f == "faction__slug" else f"c.{column(ControlChange, f)}"
                        for f in CHANGE_ROW_FIELDS)
    rule, params = in_force_sql(seen, "c")
    mine = ""
    if theatre is not None:
        # Town by town or along the dates, whichever reads less (theatre_walk): "+" keeps the index off it.
        plus = "" if walks_by_town(theatre, start=start + dt.timedelta(days=1), end=end) else "+"  # its days
        mine = f" AND {plus}t.{column(Town, 'theatre')} = %s"
        params = [*params, theatre]
    # LEFT JOIN the faction (every change has one), as the slice does: an inner join let SQLite start from the
    # factions and walk each one's changes by (faction, date), passing over every theatre's.
    sql = f"""SELECT {columns}, t.slug, t.name, c.note
        FROM {change} c JOIN {town} t ON t.id = c.town_id LEFT JOIN {faction} f ON f.id = c.faction_id
        WHERE c.effective_date > %s AND c.effective_date <= %s AND {rule}{mine}
        ORDER BY c.effective_date, c.day_part, c.id
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, *params, limit + 1])
        rows = cursor.fetchall()
    if len(rows) > limit:
        return None
    return list(map(_make_row, rows))
