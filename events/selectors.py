"""Reads of the control log. Every time slice is a constant number of queries."""

import bisect
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, QuerySet

from geodata.models import Town
from geodata.selectors import Revision, revision_current

from .date_labels import date_label
from .models import ControlChange, Faction, Source

# Same-day order: part of day (unspecified first), then entry order.
CHRONOLOGICAL = ("effective_date", "day_part", "id")
LATEST_FIRST = ("-effective_date", "-day_part", "-id")
CACHE_SECONDS = 24 * 3600  # keys hold the data revision, so a stale entry is never read

VISIBLE_STATES = {
    True: [ControlChange.State.PUBLISHED],
    False: [ControlChange.State.PUBLISHED, ControlChange.State.DRAFT],
}


def changes_in_force(*, published_only: bool = True) -> QuerySet[ControlChange]:
    """Changes that count: published (or drafts too, for an editor's preview), not superseded."""
    states = VISIBLE_STATES[published_only]
    superseded = ControlChange.objects.filter(supersedes=OuterRef("pk"), state__in=states)
    return ControlChange.objects.filter(state__in=states).filter(~Exists(superseded))


def _with_relations(qs: QuerySet[ControlChange]) -> QuerySet[ControlChange]:
    return qs.select_related(
        "town", "town__admin_area", "faction", "faction__parent", "contested_by"
    ).prefetch_related("sources")


class TownRow(NamedTuple):
    """A town as a time slice needs it: plain values, no model, no governorate geometry."""

    id: int
    slug: str
    name: str
    latitude: float
    longitude: float
    admin_area_id: int | None
    population: int | None


class ChangeRow(NamedTuple):
    """A change as a time slice or a timeline needs it; the first three fields are its order."""

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

    @property
    def date_label(self) -> str:
        return date_label(on=self.effective_date, precision=self.date_precision, day_part=self.day_part)


class FactionRow(NamedTuple):
    id: int
    slug: str
    name: str
    short_name: str
    colour: str


CHANGE_ROW_FIELDS = (
    "effective_date", "day_part", "id", "town_id", "faction_id", "faction__slug", "status",
    "contested_by_id", "date_precision", "confidence", "state",
)
_ORDER = attrgetter(*CHRONOLOGICAL)


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
        row = self.row_for(town)
        return None if row is None else _with_relations(ControlChange.objects.filter(pk=row.id)).get()


_SPLIT = len(TownRow._fields)
_TOWN_PART = itemgetter(slice(0, _SPLIT))
_CHANGE_ID = _SPLIT + CHANGE_ROW_FIELDS.index("id")
# Tuples of these kinds built in C from a cursor's rows (what NamedTuple._make does, minus its
# Python frame and length check: the columns are this module's own).
_make_town, _make_change, _make_faction = (partial(tuple.__new__, kind) for kind in (TownRow, ChangeRow, FactionRow))


def faction_rows() -> dict[int, FactionRow]:
    """Every faction's id, slug, names and colour by id (one small query)."""
    columns = ", ".join(Faction._meta.get_field(f).column for f in FactionRow._fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {Faction._meta.db_table} ORDER BY id")
        return {row[0]: _make_faction(row) for row in cursor.fetchall()}


def control_as_of(
    *, on: dt.date, published_only: bool = True, towns: QuerySet[Town] | None = None
) -> ControlSnapshot:
    """The change in force for each town on ``on`` (inclusive), as light rows: two queries.

    One query: each town joined to its change in force, which the database finds by walking the
    (town, effective_date) index backwards from ``on``, so the cost grows with the number of towns,
    not with the log's length; the other reads the factions. No model is built, no geometry
    decoded; ``towns`` (a queryset) narrows the slice.
    """
    sql, params = _slice_sql(on=on, published_only=published_only, towns=towns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Rows straight from the cursor into tuples, in C (map, itemgetter, tuple.__new__): at 10,000
    # towns a Python loop building them costs as much as the query.
    town_rows = list(map(_make_town, map(_TOWN_PART, rows)))
    changes = {row[0]: _make_change(row[_SPLIT:]) for row in rows if row[_CHANGE_ID] is not None}
    return ControlSnapshot(on=on, towns=town_rows, changes=changes, factions=faction_rows())


def _slice_sql(*, on: dt.date, published_only: bool, towns: QuerySet[Town] | None = None,
               select: str = "", tail: str = "ORDER BY t.name, t.id") -> tuple[str, list]:
    """The time slice's query: each town ``t`` with its change in force ``c`` and that change's faction ``f``.

    By default the columns are TownRow's then ChangeRow's, by town name; ``select`` and ``tail`` (a
    GROUP BY) make it count instead. The change is the first row of the town's (town, effective_date)
    index walked backwards from ``on``. PostgreSQL plans a correlated join (what SQLite does) as a
    hash join over the whole log, so there the walk is a LEFT JOIN LATERAL with LIMIT 1; the rows
    are the same.
    """
    change, town, faction = (m._meta.db_table for m in (ControlChange, Town, Faction))
    if not select:
        select = ", ".join([
            *(f"t.{Town._meta.get_field(f).column}" for f in TownRow._fields),
            *("f.slug" if f == "faction__slug" else f"c.{ControlChange._meta.get_field(f).column}"
              for f in CHANGE_ROW_FIELDS),
        ])
    states = [str(state) for state in VISIBLE_STATES[published_only]]
    marks = ", ".join(["%s"] * len(states))
    # On SQLite the states are written +x.state: a unary plus keeps the planner off any index that
    # starts with the state (without statistics it took one for a town's walk and the supersedes check,
    # and the slice went from 0.2 s to tens of minutes at a million changes).
    plus = "" if connection.vendor == "postgresql" else "+"
    latest = f"""SELECT {{columns}} FROM {change} x
            WHERE x.town_id = t.id AND x.effective_date <= %s AND {plus}x.state IN ({marks})
              AND NOT EXISTS (SELECT 1 FROM {change} s WHERE s.supersedes_id = x.id AND {plus}s.state IN ({marks}))
            ORDER BY x.effective_date DESC, x.day_part DESC, x.id DESC
            LIMIT 1"""
    if connection.vendor == "postgresql":
        join = f"LEFT JOIN LATERAL ({latest.format(columns='x.*')}) c ON TRUE"
    else:
        join = f"LEFT JOIN {change} c ON c.id = ({latest.format(columns='x.id')})"
    params: list = [on, *states, *states]
    narrowed = ""
    if towns is not None:
        sub_sql, sub_params = towns.order_by().values("pk").query.sql_with_params()
        narrowed, params = f"WHERE t.id IN ({sub_sql})", [*params, *sub_params]
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


def control_counts_as_of(*, on: dt.date, published_only: bool = True) -> list[ControlCount]:
    """control_as_of counted by the database: towns and population per admin area, faction and status.

    The same slice (same query, same rule) grouped, so a summary per area reads a few hundred rows
    instead of one per town.
    """
    sql, params = _slice_sql(
        on=on, published_only=published_only,
        select="t.admin_area_id, f.slug, c.status, COUNT(*), COUNT(t.population), COALESCE(SUM(t.population), 0)",
        tail="GROUP BY t.admin_area_id, f.slug, c.status ORDER BY t.admin_area_id, f.slug, c.status",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(map(_make_count, cursor.fetchall()))


def town_timelines(
    *, town_ids=None, published_only: bool = True, until: dt.date | None = None, since: dt.date | None = None
) -> dict[int, list[ChangeRow]]:
    """Each town's changes in force, in same-day order (one query); ``town_ids`` may be a subquery."""
    qs = changes_in_force(published_only=published_only)
    if town_ids is not None:
        qs = qs.filter(town_id__in=town_ids)
    if until is not None:
        qs = qs.filter(effective_date__lte=until)
    if since is not None:
        qs = qs.filter(effective_date__gte=since)
    timelines: dict[int, list[ChangeRow]] = {}
    for row in map(ChangeRow._make, qs.order_by("town_id", *CHRONOLOGICAL).values_list(*CHANGE_ROW_FIELDS)):
        timelines.setdefault(row.town_id, []).append(row)
    return timelines


def in_force(timeline: list[ChangeRow], on: dt.date, day_part: int | None = None) -> ChangeRow | None:
    """The entry of ``timeline`` in force at the end of ``on``, or of its ``day_part`` when given.

    An entry of that very part of day counts as before it: a new entry comes after the existing ones.
    """
    last = bisect.bisect_right(timeline, (on, math.inf if day_part is None else day_part, math.inf), key=_ORDER)
    return timeline[last - 1] if last else None


def in_force_on_dates(
    timelines: dict[int, list[ChangeRow]], dates: list[dt.date]
) -> Iterator[tuple[dt.date, dict[int, ChangeRow]]]:
    """(date, {town id: entry in force}) for each of ``dates`` in order, walking all timelines once.

    The dict is the same object each time, updated in place: copy it to keep a date's state.
    """
    log = sorted((row for timeline in timelines.values() for row in timeline), key=attrgetter("effective_date"))
    state: dict[int, ChangeRow] = {}
    i = 0
    for date in sorted(dates):
        while i < len(log) and log[i].effective_date <= date:
            state[log[i].town_id] = log[i]
            i += 1
        yield date, state


def town_history(*, town: Town, published_only: bool = True) -> list[ControlChange]:
    """The town's changes in force, oldest first."""
    qs = changes_in_force(published_only=published_only).filter(town=town)
    return list(_with_relations(qs).order_by(*CHRONOLOGICAL))


def changes_between(
    *, start: dt.date, end: dt.date, published_only: bool = True
) -> list[ControlChange]:
    """Changes dated from ``start`` to ``end``, both inclusive, in order."""
    if start > end:
        raise ValueError("start must not be after end")
    qs = changes_in_force(published_only=published_only).filter(
        effective_date__gte=start, effective_date__lte=end
    )
    return list(_with_relations(qs).order_by(*CHRONOLOGICAL))


def _change_dates_sql(*, published_only: bool) -> tuple[str, list]:
    """Distinct dates with a change in force: a skip scan of the date index, one probe per date.

    The recursive CTE jumps from one date to the next through ``change_date_idx`` (one index seek
    per distinct date, never a row per change), and each date is kept when one of its changes is in
    force (the first row of the date usually is). So the cost grows with the number of dates
    (thousands), not with the log (millions).
    """
    table = ControlChange._meta.db_table
    states = VISIBLE_STATES[published_only]
    marks = ", ".join(["%s"] * len(states))
    sql = f"""
        WITH RECURSIVE day_walk(day) AS (
            SELECT MIN(effective_date) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(n.effective_date) FROM {table} n WHERE n.effective_date > day_walk.day)
            FROM day_walk WHERE day_walk.day IS NOT NULL
        )
        SELECT day FROM day_walk
        WHERE day IS NOT NULL AND EXISTS (
            SELECT 1 FROM {table} c
            WHERE c.effective_date = day_walk.day AND c.state IN ({marks})
              AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.supersedes_id = c.id AND s.state IN ({marks}))
        )
        ORDER BY day"""
    return sql, [*states, *states]


def change_dates(*, published_only: bool = True) -> list[dt.date]:
    """Distinct dates on which control changed, in order; cached per revision.

    The time control fetches them from /api/change-dates.json once the map page is up.
    """
    key = f"selectors:change-dates:{int(published_only)}:{data_version(published_only=published_only)}"
    dates = cache.get(key)
    if dates is None:
        sql, params = _change_dates_sql(published_only=published_only)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            # SQLite hands a CTE's dates back as text; PostgreSQL as dates.
            dates = [d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for (d,) in cursor.fetchall()]
        cache.set(key, dates, CACHE_SECONDS)
    return dates


def change_years() -> list[int]:
    """Years in which the log has any change (any state), oldest first.

    One query that seeks the (effective_date) index once per year: a recursive CTE asking for the first
    date on or after each next 1 January (a loose index scan; DISTINCT over the years would read the log).
    """
    table = connection.ops.quote_name(ControlChange._meta.db_table)
    if connection.vendor == "postgresql":
        year, next_jan1 = "EXTRACT(YEAR FROM ({}))::integer", "make_date(y + 1, 1, 1)"
    else:  # SQLite keeps dates as YYYY-MM-DD text
        year, next_jan1 = "CAST(substr(({}), 1, 4) AS INTEGER)", "(y + 1) || '-01-01'"
    first_on = f"SELECT effective_date FROM {table} WHERE effective_date >= {next_jan1} ORDER BY effective_date LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE years(y) AS (SELECT {year.format(f'SELECT MIN(effective_date) FROM {table}')}"
            f" UNION ALL SELECT {year.format(first_on)} FROM years WHERE y IS NOT NULL)"
            " SELECT y FROM years WHERE y IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def latest_change_date(*, published_only: bool = True) -> dt.date | None:
    """The last of change_dates() without reading them: the date index walked back to a change in force.

    The walk stops at the first row in force, so it reads only the drafts, rejected, retracted and
    superseded changes dated after it (a handful), not the log.
    """
    return _change_date_end(published_only=published_only, order="-effective_date")


def first_change_date(*, published_only: bool = True) -> dt.date | None:
    """The first of change_dates(), found by walking the date index forwards (see latest_change_date)."""
    return _change_date_end(published_only=published_only, order="effective_date")


def _change_date_end(*, published_only: bool, order: str) -> dt.date | None:
    in_force = changes_in_force(published_only=published_only).order_by(order)
    return in_force.values_list("effective_date", flat=True).first()


def data_revision() -> Revision:
    """The data revision: number, token and time of the last write (one primary-key lookup)."""
    return revision_current()


def data_version(*, published_only: bool = True) -> str:
    """Names this state of everything a map or export shows: the data revision (one row read).

    Every write the public sees bumps it inside its transaction (see ``geodata.services.revision``),
    so it is an ETag and a cache key that costs one primary-key lookup whatever the size of the log.
    Drafts do not bump it; an editor's preview (``published_only=False``) adds the drafts' count and
    last edit, read along the partial index of drafts.
    """
    key = data_revision().key
    if published_only:
        return key
    drafts = ControlChange.objects.filter(state=ControlChange.State.DRAFT).aggregate(
        n=Count("id"), last=Max("updated_at"))
    return f"{key}.d{drafts['n']}.{drafts['last'].timestamp() if drafts['last'] else 0}"


def faction_colour_neighbours(*, faction: Faction) -> list[tuple[Faction, float]]:
    """Other factions whose map colour is hard to tell from this one's (CIEDE2000 below TOO_CLOSE)."""
    from .colours import TOO_CLOSE, colour_distance

    close = []
    for other in Faction.objects.exclude(pk=faction.pk):
        distance = colour_distance(faction.colour, other.colour)
        if distance < TOO_CLOSE:
            close.append((other, distance))
    return sorted(close, key=lambda pair: pair[1])


def data_last_modified() -> dt.datetime | None:
    """When the data a map or export shows last changed (for Last-Modified): the revision's time."""
    return data_revision().changed_at


# ---- Is a record on the public pages? (used by events.permissions' reviewer rules) ---------------
# Section owned by the events-services split (issue 9); keep it at the end of the file.


def source_is_public(*, source: Source) -> bool:
    """Whether a published change cites the source, i.e. the public pages show it."""
    return source.pk is not None and source.control_changes.filter(state=ControlChange.State.PUBLISHED).exists()


def town_is_public(*, town: Town) -> bool:
    """Whether the town has published changes, i.e. it is on the public map."""
    return town.pk is not None and ControlChange.objects.filter(
        town_id=town.pk, state=ControlChange.State.PUBLISHED).exists()
