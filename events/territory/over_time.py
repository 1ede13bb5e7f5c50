"""Territory and shares over time, summed by the database: no walk of the log in Python.

Each change in force moves its town into its class and out of the class of the change it replaced
(the town's change in force just before it, in CHRONOLOGICAL order: a window function, LEAD over the
town's changes that meet ``selectors.in_force_sql``, latest first). The database sums those moves per step (a day,
a month or a year) and per class; a running total of the sums is the slice's count at the end of
each step, exactly. Each point of a chart is dated by the last change date of its step, so it is
the slice of a real change date.

km²: a town's land is its site's Voronoi cell (``cells.cell_areas``); a town alone at its site moves
its cell's km² with it, so those km² are summed by the same query. Towns that share a site (rare:
one spot, several towns) make it contested when held by different sides, which no sum can say;
those few towns' timelines are read and their sites classed per point, as ``spatial.site_classes``
does on a date.
"""

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from itertools import accumulate

import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from conflictmap.throttles import build_check
from geodata import spatial
from geodata.models import AdminArea, Theatre, Town

from .. import selectors
from ..models import ControlChange, Faction
from .cells import cell_areas, cells_key
from .one_area import area_towns
from .rule import CACHE_SECONDS, CONTESTED, area_rule, town_class

# How long a step is, by the ISO date's prefix that names it; the most points a chart gets.
STEPS = {"day": 10, "month": 7, "year": 4}
MAX_POINTS = 400
STEP_WORDS = {"day": "change date", "month": "month", "year": "year"}


@dataclass(frozen=True)
class OverTime:
    """Per point (a change date, the last of its step) and class: towns, population and area_km2."""

    step: str  # "day", "month" or "year"
    frame: pd.DataFrame  # date, klass, towns, population, area_km2

    @property
    def dates(self) -> list[dt.date]:
        return sorted(set(self.frame["date"]))

    def at(self, on: dt.date) -> pd.DataFrame:
        """The rows of the last point on or before ``on``, indexed by class (empty before the first)."""
        earlier = [d for d in self.dates if d <= on]
        rows = self.frame[self.frame["date"] == earlier[-1]] if earlier else self.frame.iloc[0:0]
        return rows.set_index("klass")

    @property
    def point_words(self) -> str:
        return point_words(self.step)


def point_words(step: str) -> str:
    """What one point of a chart is, for the page."""
    if step == "day":
        return "Each point is control at the end of a date on which control changed."
    return (f"Each point is control at the end of the last date of its {STEP_WORDS[step]} on which "
            f"control changed (one point per {STEP_WORDS[step]}: the log has too many dates to draw each).")


def step_for(*, published_only: bool = True, theatre: Theatre | None = None) -> str:
    """The finest step that gives a chart at most MAX_POINTS points (the log's change dates; of ``theatre``'s
    towns when given).

    Every date is read only when neither days nor months settle it: more than MAX_POINTS dates is asked
    by reading MAX_POINTS + 1 of them, and then the months from the first date to the last (both found
    by walking the date index) bound the months with a change. Reading every date cost a page's first
    request after a write ~60-200 ms at 1,000,000 changes (a theatre's dates more than the log's: its
    filter is not an index), whatever the theatre's size.
    """
    if not selectors.change_dates_more_than(MAX_POINTS, published_only=published_only, theatre=theatre):
        return "day"
    first = selectors.first_change_date(published_only=published_only, theatre=theatre)
    last = selectors.latest_change_date(published_only=published_only, theatre=theatre)
    if first and last and (last.year - first.year) * 12 + last.month - first.month + 1 <= MAX_POINTS:
        return "month"
    dates = selectors.change_dates(published_only=published_only, theatre=theatre)
    for step, width in STEPS.items():
        if len({d.isoformat()[:width] for d in dates}) <= MAX_POINTS:
            return step
    return "year"


def _iso(column: str) -> str:
    """A date column as its ISO text (SQLite stores it so already)."""
    return f"to_char({column}, 'YYYY-MM-DD')" if connection.vendor == "postgresql" else column


def _moves(*, step: str, seen: selectors.Visibility, towns: QuerySet[Town] | None = None,
           km2_by_town: dict[int, float] | None = None, firsts: bool = False, population: bool = True) -> list[tuple]:
    """(step key, last date, faction id, contested, towns, population, km²) moved into (+) or out of (−)
    each class per step: one query over the log in force. ``firsts``: an eighth column, the date of the
    towns' first change in force that the row counts (None for the other moves), so the rows also say
    how many towns got their first record on each day. ``population`` False: 0 in its column, and no
    town is read for it (a town looked up per change in force: half of an area's query)."""
    change, town = ControlChange._meta.db_table, Town._meta.db_table
    rule, params = selectors.in_force_sql(seen, "x")
    contested = f"CASE WHEN x.status = '{ControlChange.Status.CONTESTED}' THEN 1 ELSE 0 END"
    # Latest first, as the (town, date) index runs, so LEAD is the change each one replaced.
    order = selectors.latest_first_sql("x")
    narrowed = ""
    if towns is not None:
        sub_sql, sub_params = selectors.towns_subquery(towns)
        narrowed, params = f" AND x.town_id IN ({sub_sql})", [*params, *sub_params]
    # On SQLite, reading the whole log in table order and sorting it once beats walking the index
    # (a table lookup per change): 3.8 s against 5.1 s at a million changes.
    scan = " NOT INDEXED" if connection.vendor == "sqlite" and towns is None else ""
    weights, join, weight = "", "", "0.0"
    if km2_by_town is not None and not km2_by_town:
        return []  # no towns, no moves (and no empty VALUES list, which is not SQL)
    if km2_by_town is not None:
        # The cells' km² are in the cache, not the database: handed over as a constant table of every
        # town (0 for those counted apart), joined by an inner join so the database may index the
        # moves by town (a LEFT JOIN scanned the table for each move: minutes on SQLite). Only numbers
        # made here go into the text (ints and floats), never anything a user typed.
        rows = ", ".join(f"({int(t)}, {float(a)!r})" for t, a in km2_by_town.items())
        weights, join, weight = f"w (town_id, km2) AS (VALUES {rows}),", "JOIN w ON w.town_id = o.town_id", "w.km2"
    # A town's first change in force is the one with no change before it (LEAD is null).
    first = ", CASE WHEN s.sign = 1 AND o.pfa IS NULL THEN o.d END AS fd" if firsts else ""
    people, by_town = "0", ""
    if population:
        people, by_town = "SUM(s.sign * COALESCE(t.population, 0))", f"JOIN {town} t ON t.id = o.town_id "
    # Each move counted twice through a two-row table: +1 into its class, -1 out of the replaced one's.
    sql = f"""
        WITH {weights} o AS (
            SELECT x.town_id, substr({_iso('x.effective_date')}, 1, {STEPS[step]}) AS b,
                   {_iso('x.effective_date')} AS d, x.faction_id AS fa, {contested} AS ct,
                   LEAD(x.faction_id) OVER win AS pfa, LEAD({contested}) OVER win AS pct
            FROM {change} x{scan}
            WHERE {rule}{narrowed}
            WINDOW win AS (PARTITION BY x.town_id ORDER BY {order})
        )
        SELECT o.b, MAX(o.d), CASE WHEN s.sign = 1 THEN o.fa ELSE o.pfa END AS cfa,
               CASE WHEN s.sign = 1 THEN o.ct ELSE o.pct END AS cct, SUM(s.sign),
               {people}, SUM(s.sign * {weight}){first}
        FROM o {by_town}{join}
             CROSS JOIN (SELECT 1 AS sign UNION ALL SELECT -1) s
        WHERE (o.pfa IS NULL OR o.pfa <> o.fa OR o.pct <> o.ct) AND (s.sign = 1 OR o.pfa IS NOT NULL)
        GROUP BY o.b, cfa, cct{", fd" if firsts else ""}
        ORDER BY o.b"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _running(moves: list[tuple], klass) -> tuple[list[str], list[dt.date], dict]:
    """Running totals per class (``klass(faction_id, contested)``) at the end of each step."""
    keys = sorted({m[0] for m in moves})
    last: dict[str, str] = {}
    for m in moves:
        last[m[0]] = max(last.get(m[0], ""), str(m[1]))
    per_step: dict = {}
    for b, _, fa, ct, n, pop, km2, *_ in moves:
        cell = per_step.setdefault((klass(fa, ct), b), [0, 0, 0.0])
        cell[0] += int(n)
        cell[1] += int(pop)
        cell[2] += float(km2)
    totals = {}
    for k in {k for k, _ in per_step}:
        steps = [per_step.get((k, b), [0, 0, 0.0]) for b in keys]
        totals[k] = list(accumulate(steps, lambda a, s: [a[0] + s[0], a[1] + s[1], a[2] + s[2]]))
    return keys, [dt.date.fromisoformat(last[b][:10]) for b in keys], totals


def territory_over_time(
    *, step: str | None = None, published_only: bool = True, theatre: Theatre | None = None,
) -> OverTime:
    """Per point and class (faction slug or "contested"): towns, population and area_km2, as
    control_areas_as_of counts them on the point's date. Unknown land is in no row, as on the map.
    ``theatre``: its towns only, on its own cells (as its map's control areas). Cached per data version,
    step, rule and theatre."""
    step = step or step_for(published_only=published_only, theatre=theatre)
    key = (f"territory:over-time:v2:{step}:{int(published_only)}:"
           f"{selectors.data_version(published_only=published_only)}:{area_rule()['radius_km']:g}"
           + ("" if theatre is None else f":t{theatre.pk}"))
    cached = cache.get(key)
    if cached is None:
        build_check()  # a miss builds: counted against the client's limit (429 past it)
        frame = _territory_over_time(step=step, published_only=published_only, theatre=theatre)
        cached = OverTime(step=step, frame=frame)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def _territory_over_time(*, step: str, published_only: bool, theatre: Theatre | None = None) -> pd.DataFrame:
    seen = selectors.visibility(published_only=published_only)
    key = None if theatre is None else cells_key(published_only=published_only, theatre=theatre)
    cells, town_sites = cell_areas(published_only=published_only, key=key)
    site_km2 = cells.groupby("site")["area_km2"].sum()
    at_site = town_sites[town_sites != spatial.NO_SITE]
    shared = at_site.duplicated(keep=False)
    alone = at_site[~shared]
    alone_km2 = {int(t): km2 for t, s in alone.items() if math.isfinite(km2 := float(site_km2.get(s, 0.0)))}
    # Every town is in the table (it is the join's first side): 0 km² for those counted apart below.
    # A theatre's: its towns only (the table joins the moves, so no other town's change is counted).
    towns = Town.objects.all() if theatre is None else Town.objects.filter(theatre=theatre)
    km2_by_town = {pk: alone_km2.get(pk, 0.0) for pk in towns.order_by("pk").values_list("pk", flat=True)}
    slugs = dict(Faction.objects.values_list("pk", "slug"))

    def klass(fa, ct):
        return CONTESTED if ct else slugs[fa]

    narrowed = None if theatre is None else towns
    keys, dates, totals = _running(_moves(step=step, seen=seen, towns=narrowed, km2_by_town=km2_by_town), klass)
    rows = {(d, k): {"towns": v[0], "population": v[1], "area_km2": v[2]}
            for k, values in totals.items() for d, v in zip(dates, values, strict=True)}
    # Towns sharing a site: their sites' km² per point, from their own timelines (a few towns).
    together = [int(t) for t in at_site[shared].index]
    if together and dates:
        timelines = selectors.town_timelines(town_ids=together, published_only=published_only)
        for date, state in selectors.in_force_on_dates(timelines, dates):
            classes = pd.Series({t: town_class(c) for t, c in state.items()}, dtype=object)
            for k, km2 in spatial.class_km2(cells, spatial.site_classes(classes, at_site[shared])).items():
                rows.setdefault((date, k), {"towns": 0, "population": 0, "area_km2": 0.0})["area_km2"] += km2
    frame = pd.DataFrame(
        [{"date": d, "klass": k, **v} for (d, k), v in rows.items() if v["towns"] or v["area_km2"] > 1e-9],
        columns=["date", "klass", "towns", "population", "area_km2"],
    )
    return frame.sort_values(["date", "klass"], ignore_index=True)


@dataclass(frozen=True)
class AreaOverTime:
    """An area's shares per point (a change date, the last of its step on which one of its towns changed
    hands) and how many of its towns had a record: each town's first change in force, counted per day."""

    step: str  # "day", "month" or "year"
    points: list[tuple[dt.date, dict[str, float]]]  # (date, {faction slug: share of the towns with a record})
    recorded: list[int]  # per point: the towns with a record at its end (what its shares are of)
    first_days: list[dt.date]  # the days on which some town got its first record, in order
    first_totals: list[int]  # per first day: the towns with a record at its end

    def recorded_on(self, on: dt.date) -> int:
        """How many of the area's towns have a record at the end of ``on`` (a change in force dated on or
        before it)."""
        at = bisect.bisect_right(self.first_days, on)
        return self.first_totals[at - 1] if at else 0


def area_over_time(*, area: AdminArea, published_only: bool = True) -> AreaOverTime:
    """The area's shares over time (as province_control_as_of gives them at the end of each point; a
    contested town counts for the faction holding it) and its towns with a record, from one query.

    The towns with a record are counted by the same query as the shares (``_moves``' ``firsts``): each
    town's first change in force is the row of its window with no change before it, so no second query
    over the area's log. Cached per data version.
    """
    # The area's theatre's version: a write in another theatre keeps it.
    key = (f"territory:area-over-time:{area.pk}:{int(published_only)}:"
           f"{selectors.data_version(published_only=published_only, theatre=area.theatre_id)}")
    cached = cache.get(key)
    if cached is None:
        cached = _area_over_time(area=area, published_only=published_only)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def _area_over_time(*, area: AdminArea, published_only: bool) -> AreaOverTime:
    slugs = dict(Faction.objects.values_list("pk", "slug"))
    # The step of the area's theatre's log, as its factions page's. Choosing it from the area's own dates in
    # the same query (COUNT(DISTINCT) over the window's rows) cost PostgreSQL more: 400 ms against 40-150 ms.
    step = step_for(published_only=published_only, theatre=area.theatre)
    # Shares of towns: no population read.
    moves = _moves(step=step, seen=selectors.visibility(published_only=published_only), towns=area_towns(area),
                   firsts=True, population=False)
    firsts: dict[str, int] = {}
    for *_, n, _, _, first in moves:
        if first is not None:
            firsts[str(first)] = firsts.get(str(first), 0) + int(n)
    first_days = sorted(firsts)
    _, dates, totals = _running(moves, lambda fa, ct: slugs[fa])
    points, recorded = [], []
    for i, date in enumerate(dates):
        held = {k: v[i][0] for k, v in totals.items() if v[i][0] > 0}
        known = sum(held.values())
        points.append((date, {k: n / known for k, n in sorted(held.items())} if known else {}))
        recorded.append(known)
    return AreaOverTime(step=step, points=points, recorded=recorded,
                        first_days=[dt.date.fromisoformat(d[:10]) for d in first_days],
                        first_totals=list(accumulate(firsts[d] for d in first_days)))


def area_shares_over_time(*, area: AdminArea,
                          published_only: bool = True) -> tuple[str, list[tuple[dt.date, dict[str, float]]]]:
    """(step, [(date, {faction slug: share of the area's known towns})]): ``area_over_time``'s points."""
    over_time = area_over_time(area=area, published_only=published_only)
    return over_time.step, over_time.points
