"""The time slice: every town with its change in force on a date, as light rows; and the same grouped.

``control_as_of`` is the one public slice. Reusing a slice this worker made for a nearby date is an
internal detail of it (``nearby``); the answer is the same either way (tested).
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from geodata.models import Theatre, Town

from ..models import ControlChange, Faction
from .rows import CHANGE_ROW_FIELDS, ChangeRow, FactionRow, TownRow, column, faction_rows, make_change, make_town
from .rule import Visibility, in_force_sql, latest_first_sql, visibility


class TownControl(NamedTuple):
    town: TownRow
    change: ChangeRow | None


@dataclass(frozen=True)
class ControlSnapshot:
    """For every town, the change in force on ``on`` (None where nothing is recorded yet)."""

    on: dt.date
    towns: list[TownRow]
    changes: dict[int, ChangeRow] = field(default_factory=dict)  # by town id
    factions: dict[int, FactionRow] = field(default_factory=dict)  # by id, the ones changes name

    def __iter__(self) -> Iterator[TownControl]:
        for town in self.towns:
            yield TownControl(town=town, change=self.changes.get(town.id))

    def __len__(self) -> int:
        return len(self.towns)

    def row_for(self, town: Town | TownRow | int) -> ChangeRow | None:
        return self.changes.get(town if isinstance(town, int) else town.id)

    def change_for(self, town: Town | TownRow | int) -> ControlChange | None:
        """The model of one town's change in force (one query), for a caller that acts on it."""
        from .timelines import with_relations

        row = self.row_for(town)
        return None if row is None else with_relations(ControlChange.objects.filter(pk=row.id)).get()


_SPLIT = len(TownRow._fields)
_TOWN_PART = itemgetter(slice(0, _SPLIT))
_CHANGE_ID = _SPLIT + CHANGE_ROW_FIELDS.index("id")


def control_as_of(
    *, on: dt.date, published_only: bool = True, known_at: dt.datetime | None = None,
    towns: QuerySet[Town] | None = None, theatre: Theatre | None = None,
) -> ControlSnapshot:
    """The change in force for each town on ``on`` (inclusive), as light rows.

    For every town (of ``theatre`` when given), this worker may work the slice out from one it made for a
    nearby date (see ``nearby``); ``towns`` (a queryset) narrows the slice and reads it afresh. ``known_at``
    shows what was published at that moment (see ``rule.Visibility``). A theatre's slice starts from its
    towns (the town table's theatre index), so another theatre's towns and changes cost it nothing.
    """
    seen = visibility(published_only=published_only, known_at=known_at)
    theatre_id = None if theatre is None else theatre.pk
    if towns is None:
        from . import nearby

        return nearby.slice_for(on=on, seen=seen, theatre=theatre_id)
    return read_slice(on=on, seen=seen, towns=towns, theatre=theatre_id)


def read_slice(
    *, on: dt.date, seen: Visibility, towns: QuerySet[Town] | None = None, theatre: int | None = None,
) -> ControlSnapshot:
    """The slice read from the database: two queries.

    One query: each town joined to its change in force, which the database finds by walking the
    (town, effective_date) index backwards from ``on``, so the cost grows with the number of towns,
    not with the log's length; the other reads the factions. No model is built, no geometry decoded.
    """
    sql, params = slice_sql(on=on, seen=seen, towns=towns, theatre=theatre)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Rows straight from the cursor into tuples, in C (map, itemgetter, tuple.__new__): at 10,000
    # towns a Python loop building them costs as much as the query.
    town_rows = list(map(make_town, map(_TOWN_PART, rows)))
    if seen.delayed:  # the public: coarse towns at their district's resolution (selectors.coarse)
        from .coarse import coarse_rows

        town_rows = coarse_rows(town_rows)
    changes = {row[0]: make_change(row[_SPLIT:]) for row in rows if row[_CHANGE_ID] is not None}
    return ControlSnapshot(on=on, towns=town_rows, changes=changes, factions=faction_rows())


def towns_subquery(towns: QuerySet[Town]) -> tuple[str, list]:
    """SQL selecting the ids of ``towns``, for ``t.id IN (...)``; no town is a query of no rows.

    Django raises EmptyResultSet for a queryset it knows is empty (``pk__in=[]``: an area with no
    town), which has no SQL of its own.
    """
    try:
        sql, params = towns.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return "SELECT 0 WHERE 1 = 0", []  # an integer column: PostgreSQL compares bigint ids with it
    return sql, list(params)


def slice_sql(*, on: dt.date, seen: Visibility, towns: QuerySet[Town] | None = None,
              select: str = "", tail: str = "ORDER BY t.name, t.id", theatre: int | None = None) -> tuple[str, list]:
    """The time slice's query: each town ``t`` with its change in force ``c`` and that change's faction ``f``.

    By default the columns are TownRow's then ChangeRow's, by town name; ``select`` and ``tail`` (a
    GROUP BY) make it count instead. The change is the first row of the town's (town, effective_date)
    index walked backwards from ``on`` that meets the rule (``rule.in_force_sql``). PostgreSQL plans a
    correlated join (what SQLite does) as a hash join over the whole log, so there the walk is a LEFT
    JOIN LATERAL with LIMIT 1; the rows are the same. ``theatre`` (an id) keeps the towns of that theatre.
    """
    change, town, faction = (m._meta.db_table for m in (ControlChange, Town, Faction))
    if not select:
        select = ", ".join([
            *(f"t.{column(Town, f)}" for f in TownRow._fields),
            *("f.slug" if f == "faction__slug" else f"c.{column(ControlChange, f)}"
              for f in CHANGE_ROW_FIELDS),
        ])
    rule, rule_params = in_force_sql(seen, "x")
    latest = f"""SELECT {{columns}} FROM {change} x
            WHERE x.town_id = t.id AND x.effective_date <= %s AND {rule}
            ORDER BY {latest_first_sql("x")}
            LIMIT 1"""
    if connection.vendor == "postgresql":
        join = f"LEFT JOIN LATERAL ({latest.format(columns='x.*')}) c ON TRUE"
    else:
        join = f"LEFT JOIN {change} c ON c.id = ({latest.format(columns='x.id')})"
    params: list = [on, *rule_params]
    where = []
    if towns is not None:
        sub_sql, sub_params = towns_subquery(towns)
        where, params = [f"t.id IN ({sub_sql})"], [*params, *sub_params]
    if theatre is not None:
        where, params = [*where, f"t.{column(Town, 'theatre')} = %s"], [*params, theatre]
    narrowed = f"WHERE {' AND '.join(where)}" if where else ""
    sql = f"""
        SELECT {select}
        FROM {town} t
        {join}
        LEFT JOIN {faction} f ON f.id = c.faction_id
        {narrowed}
        {tail}"""
    return sql, params


class ControlCount(NamedTuple):
    """Towns of one admin area held by one faction with one status (None, None: nothing recorded yet)."""

    admin_area_id: int | None
    faction_slug: str | None
    status: str | None
    towns: int
    populated: int  # how many of them have a known population
    population: int  # their population


_make_count = partial(tuple.__new__, ControlCount)


def control_counts_as_of(*, on: dt.date, published_only: bool = True, known_at: dt.datetime | None = None,
                         towns: QuerySet[Town] | None = None, theatre: Theatre | None = None) -> list[ControlCount]:
    """control_as_of counted by the database: towns and population per admin area, faction and status.

    The same slice (same query, same rule) grouped, so a summary per area reads a few hundred rows
    instead of one per town; ``towns`` narrows it (one area's page counts that area's towns only), and
    ``theatre`` to one theatre's towns.
    """
    # Grouped by +t.admin_area_id, not t.admin_area_id: SQLite then reads the towns in table order instead
    # of along the admin_area index (a table lookup per town) to save sorting a few hundred groups: 72
    # against 100 ms at 10,000 towns x 1,000,000 changes, 3.3 against 5.3 ms for a theatre of 1,000 towns
    # beside them (whose towns it read along that index too, every theatre's). The same rows either way.
    sql, params = slice_sql(
        on=on, seen=visibility(published_only=published_only, known_at=known_at), towns=towns,
        select="+t.admin_area_id, f.slug, c.status, COUNT(*), COUNT(t.population), COALESCE(SUM(t.population), 0)",
        tail="GROUP BY +t.admin_area_id, f.slug, c.status ORDER BY +t.admin_area_id, f.slug, c.status",
        theatre=None if theatre is None else theatre.pk,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(map(_make_count, cursor.fetchall()))
