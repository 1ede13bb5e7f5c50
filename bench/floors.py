"""Floors: the fastest raw SQL for the same rows a figure needs, written by hand for each database.

Each function returns the rows (so the caller can check they agree with the project's) and runs
nothing but SQL; the caller adds the time orjson takes to write the same bytes the project sent.
Inside ``theatre_scope(id)`` the floors of routes asked for one theatre (``?theatre=``) read that
theatre's towns, areas and changes only, as the routes do. Inside ``known_at_scope(moment)`` (a route asked
``?as_published=``) each "published" test on a change or a confirmation becomes the rule's own SQL for the
public as known at that moment (``selectors.rule.counted_sql``): the same queries with the as-published terms.
"""

import contextlib
import datetime as dt
import re

import orjson
import shapely
from django.db import connection

from events.models import Confirmation, ControlChange, Dispute, Faction, Source
from geodata.models import AdminArea, Theatre, Town

CHANGE = ControlChange._meta.db_table
TOWN = Town._meta.db_table
FACTION = Faction._meta.db_table
AREA = AdminArea._meta.db_table
SOURCE = Source._meta.db_table
LINK = ControlChange.sources.through._meta.db_table
CONFIRMATION = Confirmation._meta.db_table
CONFIRMATION_LINK = Confirmation.sources.through._meta.db_table
DISPUTE = Dispute._meta.db_table

_COLUMNS = """t.id, t.slug, t.name, t.latitude, t.longitude, t.admin_area_id, t.population,
  c.effective_date, c.day_part, c.id, c.town_id, c.faction_id, f.slug, c.status, c.contested_by_id,
  c.date_precision, c.confidence, c.state"""
_LATEST = f"""SELECT c2.id FROM {CHANGE} c2
  WHERE c2.town_id = t.id AND c2.state = 'published' AND c2.effective_date <= %s
    AND NOT EXISTS (SELECT 1 FROM {CHANGE} s WHERE s.supersedes_id = c2.id AND s.state = 'published')
  ORDER BY c2.effective_date DESC, c2.day_part DESC, c2.id DESC LIMIT 1"""
_THEATRE: list[int] = []  # the theatre the floors are scoped to (empty: every theatre)
_KNOWN_AT: list[dt.datetime] = []  # the moment the floors read the public record as known at (empty: now)
_PUBLISHED = re.compile(r"\b(\w+)\.state = 'published'")
CONFIRMATION_ALIAS = "k"  # the alias the floors give the confirmation table


@contextlib.contextmanager
def known_at_scope(moment: dt.datetime | None):
    """The floors below read the public record as known at ``moment`` (None: as known now) while inside."""
    _KNOWN_AT[:] = [] if moment is None else [moment]
    try:
        yield
    finally:
        _KNOWN_AT[:] = []


def _literal(value) -> str:
    text = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def _as_known(sql: str) -> str:
    """``sql`` with each ``alias.state = 'published'`` replaced by the rule's terms as known at the scope's moment
    (its values written in: they are the bench's own moment and states, never a reader's text)."""
    if not _KNOWN_AT:
        return sql
    from events.selectors.rule import Visibility, counted_sql

    seen = Visibility(published_only=True, known_at=_KNOWN_AT[0], delayed=True)

    def terms(match) -> str:
        alias = match.group(1)
        model = Confirmation if alias == CONFIRMATION_ALIAS else ControlChange
        condition, params = counted_sql(seen, alias, model=model)
        parts = condition.split("%s")
        return "(" + "".join(part + (_literal(params[i]) if i < len(params) else "")
                             for i, part in enumerate(parts)) + ")"

    return _PUBLISHED.sub(terms, sql)


@contextlib.contextmanager
def theatre_scope(theatre_id: int | None):
    """The floors below read one theatre's rows (None: every theatre's) while inside."""
    _THEATRE[:] = [] if theatre_id is None else [int(theatre_id)]
    try:
        yield
    finally:
        _THEATRE[:] = []


def _mine(alias: str, joiner: str = "AND") -> str:
    """``joiner alias.theatre_id = N`` inside a theatre scope (an int, never user text), else nothing."""
    return f" {joiner} {alias}.theatre_id = {_THEATRE[0]}" if _THEATRE else ""


SLICE_SQL = {
    # One index range per town, walked backwards from the date (both databases).
    "correlated": f"""SELECT {_COLUMNS} FROM {TOWN} t
  LEFT JOIN {CHANGE} c ON c.id = ({_LATEST})
  LEFT JOIN {FACTION} f ON f.id = c.faction_id {{where}} ORDER BY t.name, t.id""",
    # PostgreSQL's LATERAL join: the same walk, the row fetched with it.
    "lateral": f"""SELECT {_COLUMNS.replace('c.', 'c.')} FROM {TOWN} t
  LEFT JOIN LATERAL (SELECT c2.* FROM {CHANGE} c2
    WHERE c2.town_id = t.id AND c2.state = 'published' AND c2.effective_date <= %s
      AND NOT EXISTS (SELECT 1 FROM {CHANGE} s WHERE s.supersedes_id = c2.id AND s.state = 'published')
    ORDER BY c2.effective_date DESC, c2.day_part DESC, c2.id DESC LIMIT 1) c ON true
  LEFT JOIN {FACTION} f ON f.id = c.faction_id {{where}} ORDER BY t.name, t.id""",
}


def _slice_sql(variant: str) -> str:
    return SLICE_SQL[variant].replace("{where}", _mine("t", "WHERE"))


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_as_known(sql), params)
        return cursor.fetchall()


def slice_variants() -> list[str]:
    return ["correlated", "lateral"] if connection.vendor == "postgresql" else ["correlated"]


def time_slice(on: dt.date, variant: str) -> list[tuple]:
    rows = _rows(_slice_sql(variant), [on])
    _rows(f"SELECT id, slug, name, short_name, colour FROM {FACTION}")
    return rows


def explain_slice(on: dt.date, variant: str) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    rows = _rows(prefix + _slice_sql(variant), [on])
    if connection.vendor == "sqlite":
        return "\n".join(f"{r[0]:>3} {r[1]:>3} {r[3]}" for r in rows)
    return "\n".join(r[0] for r in rows)


def sources_of(change_ids: list[int]) -> list[tuple]:
    out = []
    for start in range(0, len(change_ids), 5_000):
        chunk = change_ids[start:start + 5_000]
        marks = ",".join(["%s"] * len(chunk))
        out += _rows(f"""SELECT l.controlchange_id, s.title, s.url, s.publisher, s.published FROM {LINK} l
            JOIN {SOURCE} s ON s.id = l.source_id WHERE l.controlchange_id IN ({marks})""", chunk)
    return out


def control_layer(on: dt.date, variant: str) -> list[tuple]:
    """Everything the control layer shows: the slice, the sources it cites, the governorates' names."""
    rows = time_slice(on, variant)
    sources_of([r[9] for r in rows if r[9] is not None])
    _rows(f"SELECT id, name, code, parent_id, level FROM {AREA}{_mine(AREA, 'WHERE')}")
    last_confirmations(on)
    return rows


def last_confirmations(on: dt.date) -> list[tuple]:
    """Each town's and controller's latest published confirmation on or before ``on`` (its last_confirmed)."""
    return _rows(f"""SELECT k.town_id, k.faction_id, MAX(k.confirmed_on) FROM {CONFIRMATION} k
        WHERE k.state = 'published' AND k.confirmed_on <= %s GROUP BY k.town_id, k.faction_id""", [on])


def fastest_variant() -> str:
    """PostgreSQL plans the correlated form as a hash join of the whole log; LATERAL walks per town."""
    return "lateral" if connection.vendor == "postgresql" else "correlated"


def provinces(on: dt.date) -> list[tuple]:
    """Towns and population per governorate, faction and status in one GROUP BY, plus the outlines."""
    join = (f"JOIN LATERAL ({_LATEST.replace('SELECT c2.id', 'SELECT c2.faction_id, c2.status')}) c ON true"
            if fastest_variant() == "lateral" else f"JOIN {CHANGE} c ON c.id = ({_LATEST})")
    counts = _rows(f"""SELECT t.admin_area_id, c.faction_id, c.status, COUNT(*), SUM(COALESCE(t.population, 0))
        FROM {TOWN} t {join}{_mine("t", "WHERE")} GROUP BY 1, 2, 3""", [on])
    _rows(f"SELECT id, code, name, name_ar, slug, geometry FROM {AREA} WHERE level = 1{_mine(AREA)}")
    return counts


def admin_change_list() -> list[tuple]:
    """The change list's first page: the count and 100 rows with their town and faction names."""
    _rows(f"SELECT COUNT(*) FROM {CHANGE}")
    return _rows(f"""SELECT c.*, t.name, f.name FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id
        JOIN {FACTION} f ON f.id = c.faction_id ORDER BY c.effective_date DESC, c.id DESC LIMIT 100""")


def review_queue() -> list[tuple]:
    """The queue's first page: the drafts' count, the 100 oldest with names, then their source counts."""
    _rows(f"SELECT COUNT(*) FROM {CHANGE} WHERE state = 'draft'")
    # The page first, then its names: SQLite would otherwise walk every town's changes (3 s at 1M).
    page = _rows(f"""SELECT c.*, t.name, f.name FROM (SELECT * FROM {CHANGE} WHERE state = 'draft'
        ORDER BY entered_at, id LIMIT 100) c JOIN {TOWN} t ON t.id = c.town_id
        JOIN {FACTION} f ON f.id = c.faction_id ORDER BY c.entered_at, c.id""")
    if page:
        marks = ",".join(["%s"] * len(page))
        _rows(f"SELECT controlchange_id, COUNT(*) FROM {LINK} WHERE controlchange_id IN ({marks}) GROUP BY 1",
              [r[0] for r in page])
    return page


def dissolve(cells, town_sites, rows: list[tuple]) -> list:
    """Control areas from cached cells: each site takes its town's class; one union per class."""
    klass_of_town = {r[0]: ("contested" if r[13] == "contested" else r[12]) for r in rows if r[9] is not None}
    site_class = {}
    for town_id, site in town_sites.items():
        if town_id in klass_of_town:
            site_class.setdefault(site, klass_of_town[town_id])
    groups: dict[str, list] = {}
    for site, geometry in zip(cells["site"].to_numpy(), cells.geometry.to_numpy(), strict=True):
        if site in site_class:
            groups.setdefault(site_class[site], []).append(geometry)
    return [shapely.union_all(geoms) for geoms in groups.values()]


def dumps_same_bytes(body: bytes) -> bytes:
    """The serialisation floor: orjson writing the very document the project sent."""
    return orjson.dumps(orjson.loads(body))


# Floors of the other reader routes (``bench.route_figures``): the rows each one shows, in the fewest
# queries, with nothing but SQL (the caller adds writing the same bytes).

_IN_FORCE = f"""c.state = 'published'
  AND NOT EXISTS (SELECT 1 FROM {CHANGE} s WHERE s.supersedes_id = c.id AND s.state = 'published')"""


def town_history(town_id: int) -> list[tuple]:
    """A town's panel: the town, its changes in force in order with factions, and the sources they cite."""
    _rows(f"SELECT id, slug, name, alt_names, latitude, longitude, admin_area_id FROM {TOWN} WHERE id = %s",
          [town_id])
    rows = _rows(f"""SELECT c.id, c.effective_date, c.date_precision, c.day_part, c.status, c.confidence,
        f.slug, f.name, c.contested_by_id FROM {CHANGE} c JOIN {FACTION} f ON f.id = c.faction_id
        WHERE c.town_id = %s AND {_IN_FORCE} ORDER BY c.effective_date, c.day_part, c.id""", [town_id])
    sources_of([r[0] for r in rows])
    return rows


_CELLS = {}


def control_areas(on: dt.date) -> list:
    """Control areas on a date from the cached cells (as the project's cells cache holds them)."""
    from events import territory
    from events.territory.cells import cells_key

    scope = _THEATRE[0] if _THEATRE else None
    if scope not in _CELLS:
        theatre = None if scope is None else Theatre.objects.get(pk=scope)
        _CELLS[scope] = territory.cell_shapes(key=cells_key(published_only=True, theatre=theatre))
    cells, town_sites = _CELLS[scope]
    return dissolve(cells, town_sites, time_slice(on, fastest_variant()))


def changes_between(start: dt.date, end: dt.date) -> list[tuple]:
    """An export of a period: its changes in force with town and faction, and who held each town at the start."""
    rows = _rows(f"""SELECT c.id, c.effective_date, c.date_precision, c.day_part, c.status, c.confidence,
        c.town_id, t.slug, t.name, t.latitude, t.longitude, f.slug, c.contested_by_id
        FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id JOIN {FACTION} f ON f.id = c.faction_id
        WHERE c.effective_date > %s AND c.effective_date <= %s AND {_IN_FORCE}{_mine("t")}
        ORDER BY c.effective_date, c.day_part, c.id""", [start, end])
    time_slice(start, fastest_variant())
    return rows


def change_dates() -> list[tuple]:
    if _THEATRE:
        return _rows(f"""SELECT DISTINCT effective_date FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id
            WHERE {_IN_FORCE}{_mine("t")} ORDER BY 1""")
    return _rows(f"SELECT DISTINCT effective_date FROM {CHANGE} c WHERE {_IN_FORCE} ORDER BY 1")


def change_feed(per_page: int = 100, *, theatre_id: int | None = None, faction_ids: list[int] | None = None
                ) -> list[tuple]:
    """/feeds/changes.atom: the newest publications and retractions (each a range of its moment's index),
    with town, faction, the faction of the change each replaced, and the sources cited; ``theatre_id``: only
    that theatre's towns; ``faction_ids``: only changes where one of them gains or loses (``?faction=``)."""
    replaced = f"""SELECT p.faction_id FROM {CHANGE} p WHERE p.town_id = c.town_id AND p.state = 'published'
        AND NOT EXISTS (SELECT 1 FROM {CHANGE} s WHERE s.supersedes_id = p.id AND s.state = 'published')
        AND (p.effective_date < c.effective_date OR (p.effective_date = c.effective_date
             AND (p.day_part < c.day_part OR (p.day_part = c.day_part AND p.id < c.id))))
        ORDER BY p.effective_date DESC, p.day_part DESC, p.id DESC LIMIT 1"""
    narrowed = "" if theatre_id is None else f" AND t.theatre_id = {int(theatre_id)}"
    if faction_ids is not None:
        ids = ", ".join(str(int(i)) for i in faction_ids)
        narrowed += f" AND (c.faction_id IN ({ids}) OR ({replaced}) IN ({ids}))"
    # As published at a moment: the publications and the retractions made by then.
    then = [connection.ops.adapt_datetimefield_value(_KNOWN_AT[0])] if _KNOWN_AT else []
    rows = []
    for moment, states in (("reviewed_at", "'published', 'retracted'"), ("retracted_at", "'retracted'")):
        by_then = f" AND c.{moment} <= %s" if then else ""
        rows += _rows(f"""SELECT c.id, c.{moment}, c.effective_date, c.date_precision, c.day_part, c.status,
            c.confidence, c.note, c.retraction_reason, t.slug, t.name, f.name, c.contested_by_id, ({replaced})
            FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id JOIN {FACTION} f ON f.id = c.faction_id
            WHERE c.state IN ({states}) AND c.{moment} IS NOT NULL{narrowed}{by_then}
            ORDER BY c.{moment} DESC, c.id DESC LIMIT %s""", [*then, per_page + 1])
    sources_of([r[0] for r in rows])
    return rows


def stale_towns(on: dt.date) -> list[tuple]:
    """The stale-towns list (admin): the slice, each town's latest confirmation of its controller, the areas."""
    rows = time_slice(on, fastest_variant())
    last_confirmations(on)
    _rows(f"SELECT id, name, level, parent_id FROM {AREA}")
    return rows


_API = {
    # kind: (the list's FROM/WHERE as the anonymous reader sees it, its columns)
    "faction": (f"{FACTION} x LEFT JOIN {FACTION} p ON p.id = x.parent_id", "x.*, p.slug", "x.name, x.id"),
    "area": (f"{AREA} x LEFT JOIN {AREA} p ON p.id = x.parent_id",
             "x.id, x.name, x.name_ar, x.code, x.slug, x.level, p.slug", "x.level, x.name, x.id"),
    "town": (f"{TOWN} x LEFT JOIN {AREA} a ON a.id = x.admin_area_id LEFT JOIN {AREA} p ON p.id = a.parent_id",
             "x.*, a.slug, a.name, p.slug, p.name", "x.name, x.id"),
    "source": (f"""{SOURCE} x WHERE EXISTS (SELECT 1 FROM {LINK} l JOIN {CHANGE} c ON c.id = l.controlchange_id
               WHERE l.source_id = x.id AND c.state = 'published')""", "x.*", "x.id"),
    "change": (f"""{CHANGE} x JOIN {TOWN} t ON t.id = x.town_id JOIN {FACTION} f ON f.id = x.faction_id
               WHERE x.state = 'published' AND NOT EXISTS (SELECT 1 FROM {CHANGE} s
               WHERE s.supersedes_id = x.id AND s.state = 'published')""",
               "x.*, t.slug, t.name, f.slug", "x.effective_date, x.day_part, x.id"),
    "confirmation": (f"""{CONFIRMATION} x JOIN {TOWN} t ON t.id = x.town_id JOIN {FACTION} f ON f.id = x.faction_id
                     WHERE x.state = 'published'""", "x.*, t.slug, t.name, f.slug", "x.confirmed_on DESC, x.id DESC"),
    # A dispute between published claims, with its town and both claims (their sources read after).
    "dispute": (f"""{DISPUTE} x JOIN {TOWN} t ON t.id = x.town_id JOIN {CHANGE} a ON a.id = x.claim_id
                JOIN {CHANGE} b ON b.id = x.rival_id WHERE a.state = 'published' AND b.state = 'published'""",
                # The two claims' ids first: ``x.*``'s column order is the table's, which differs between the
                # databases (SQLite rebuilds a table when a migration alters it; PostgreSQL appends).
                "x.claim_id, x.rival_id, x.*, t.slug, a.*, b.*", "x.opened_at DESC, x.id DESC"),
}


# The lists that take ?theatre= (events.api.filters), and where their rows' theatre is.
_API_THEATRE = {"area": "x", "town": "x", "change": "t"}


def confirmation_sources(ids: list[int]) -> list[tuple]:
    if not ids:
        return []
    marks = ",".join(["%s"] * len(ids))
    return _rows(f"SELECT confirmation_id, source_id FROM {CONFIRMATION_LINK} WHERE confirmation_id IN ({marks})",
                 ids)


def api_page(kind: str) -> list[tuple]:
    """A DRF list's first page (100 rows) and its count; a change's sources too."""
    source, columns, order = _API[kind]
    if _THEATRE and kind in _API_THEATRE:
        source += _mine(_API_THEATRE[kind], "AND" if " WHERE " in source else "WHERE")
    _rows(f"SELECT COUNT(*) FROM {source}")
    if kind == "change":
        return _change_page(source, columns, order)
    rows = _rows(f"SELECT {columns} FROM {source} ORDER BY {order} LIMIT 100")
    if kind == "change":
        sources_of([r[0] for r in rows])
    if kind == "confirmation":
        confirmation_sources([r[0] for r in rows])
    if kind == "dispute":
        sources_of([pk for r in rows for pk in (r[0], r[1])])
    return rows


def _change_page(source: str, columns: str, order: str) -> list[tuple]:
    """The change list's page as its keys along the date index, then their rows: joined to towns and factions
    first, SQLite sorted every change in force for 100 (5.6 s at a million changes, against milliseconds); the
    range on effective_date, true of every change, is what leads it to change_date_idx."""
    mine = "" if not _THEATRE else f" AND x.town_id IN (SELECT id FROM {TOWN} WHERE theatre_id = {_THEATRE[0]})"
    keys = [row[0] for row in _rows(f"""SELECT x.id FROM {CHANGE} x WHERE x.effective_date >= '0001-01-01'
        AND x.state = 'published' AND NOT EXISTS (SELECT 1 FROM {CHANGE} s WHERE s.supersedes_id = x.id
        AND s.state = 'published'){mine} ORDER BY {order} LIMIT 100""")]
    if not keys:
        return []
    marks = ",".join(["%s"] * len(keys))
    rows = _rows(f"SELECT {columns} FROM {source} AND x.id IN ({marks}) ORDER BY {order}", keys)
    sources_of([r[0] for r in rows])
    return rows


def api_one(kind: str, pk: int) -> list[tuple]:
    """A DRF detail: one row by key (an area with its outline; a change with its sources)."""
    source, columns, _ = _API[kind]
    if kind == "area":
        columns += ", x.geometry"
    where = "AND" if " WHERE " in source else "WHERE"
    rows = _rows(f"SELECT {columns} FROM {source} {where} x.id = %s", [pk])
    if kind == "change":
        sources_of([pk])
    if kind == "confirmation":
        confirmation_sources([pk])
    if kind == "dispute":
        sources_of([pk for r in rows for pk in (r[0], r[1])])
    return rows


def theatres() -> list[tuple]:
    """/api/theatres/: each theatre, its areas' outlines (the extent) and, grouped, its areas, towns and
    published changes in force with their first and last dates."""
    rows = _rows(f"SELECT id, slug, name, view_bbox FROM {Theatre._meta.db_table} ORDER BY name")
    _rows(f"SELECT theatre_id, geometry FROM {AREA} WHERE level = 1")
    _rows(f"SELECT theatre_id, COUNT(*) FROM {AREA} GROUP BY theatre_id")
    _rows(f"SELECT theatre_id, COUNT(*) FROM {TOWN} GROUP BY theatre_id")
    _rows(f"""SELECT t.theatre_id, COUNT(*), MIN(c.effective_date), MAX(c.effective_date)
              FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id WHERE {_IN_FORCE} GROUP BY t.theatre_id""")
    return rows


# Floors of the pages that show data: the rows each page shows, in the fewest queries.

def _month(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM')" if connection.vendor == "postgresql" else f"substr({column}, 1, 7)"


def over_time_moves(area_id: int | None = None) -> list[tuple]:
    """The factions page's charts (and an area's shares): per month and class, the towns each change in
    force moved in and out (its town's previous change in force, by a window), with their population."""
    narrowed, params = "", []
    if area_id is not None:
        narrowed = f""" AND c.town_id IN (SELECT t2.id FROM {TOWN} t2 JOIN {AREA} a ON a.id = t2.admin_area_id
                        WHERE a.id = %s OR a.parent_id = %s)"""
        params = [area_id, area_id]
    return _rows(f"""WITH o AS (
        SELECT c.town_id, {_month('c.effective_date')} AS b, c.faction_id AS fa, c.status AS st,
               LAG(c.faction_id) OVER w AS pfa, LAG(c.status) OVER w AS pst
        FROM {CHANGE} c WHERE {_IN_FORCE}{narrowed}
        WINDOW w AS (PARTITION BY c.town_id ORDER BY c.effective_date, c.day_part, c.id))
      SELECT o.b, o.fa, o.st, o.pfa, o.pst, COUNT(*), SUM(COALESCE(t.population, 0))
      FROM o JOIN {TOWN} t ON t.id = o.town_id
      WHERE o.pfa IS NULL OR o.pfa <> o.fa OR o.pst <> o.st
      GROUP BY o.b, o.fa, o.st, o.pfa, o.pst ORDER BY o.b""", params)


def factions_page(on: dt.date) -> list[tuple]:
    """The factions table on the latest date (the slice counted) and the charts' moves."""
    provinces(on)
    return over_time_moves()


def area_page(on: dt.date, area_id: int) -> list[tuple]:
    """A governorate's first page of towns with their change in force, its shares and their moves."""
    rows = _rows(f"""SELECT t.id, t.name, t.slug, c.id, c.effective_date, f.slug FROM {TOWN} t
        JOIN {AREA} a ON a.id = t.admin_area_id
        LEFT JOIN {CHANGE} c ON c.id = ({_LATEST}) LEFT JOIN {FACTION} f ON f.id = c.faction_id
        WHERE a.id = %s OR a.parent_id = %s ORDER BY t.name, t.id LIMIT 200""", [on, area_id, area_id])
    over_time_moves(area_id)
    return rows


def what_changed(start: dt.date, end: dt.date) -> list[tuple]:
    """The diff page: who held each town at both ends (two slices) and the period's changes."""
    time_slice(end, fastest_variant())
    return changes_between(start, end)  # with the slice at the start


def compare_page(start: dt.date, end: dt.date) -> tuple:
    """The compare page: the diff's km² (both dates' control areas, as /api/territory-change.json) and the
    places of the towns whose controller differs (the slice at the end against the one at the start)."""
    return control_areas(start), control_areas(end), time_slice(start, fastest_variant())


def town_page(town_id: int, on: dt.date) -> list[tuple]:
    """A town's page: its history with sources and its governorate's control counts."""
    provinces(on)
    return town_history(town_id)


def map_file(on: dt.date) -> list:
    """The map as one file: the towns, the governorates and districts, and the control areas."""
    control_layer(on, fastest_variant())
    provinces(on)
    return control_areas(on)


def control_spans(start: dt.date, end: dt.date) -> list[tuple]:
    """Spans of control in force from ``start`` to ``end``: the slice on ``start`` (the spans open then),
    the period's changes in force by town and in order, each town's first change after ``end`` (where its
    last span ends), and the sources they cite."""
    opening = time_slice(start, fastest_variant())
    rows = _rows(f"""SELECT c.id, c.effective_date, c.date_precision, c.day_part, c.status, c.confidence,
        c.town_id, t.name, t.latitude, t.longitude, f.slug, c.contested_by_id
        FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id JOIN {FACTION} f ON f.id = c.faction_id
        WHERE c.effective_date > %s AND c.effective_date <= %s AND {_IN_FORCE}
        ORDER BY c.town_id, c.effective_date, c.day_part, c.id""", [start, end])
    _rows(f"""SELECT t.id, (SELECT c.effective_date FROM {CHANGE} c WHERE c.town_id = t.id AND c.effective_date > %s
        AND {_IN_FORCE} ORDER BY c.effective_date, c.day_part, c.id LIMIT 1) FROM {TOWN} t""", [end])
    sources_of([r[9] for r in opening if r[9] is not None] + [r[0] for r in rows])
    return rows


def timelapse(start: dt.date, end: dt.date) -> list:
    """A day-by-day timelapse's rows: each day's control areas (its slice and the dissolve)."""
    return [control_areas(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]


def area_conflicts(on: dt.date) -> list[tuple]:
    """Towns against polygons: each faction's latest published drawn assessed area (its keys, then its
    geometry) and, where any is drawn, the slice whose towns are tested against it."""
    from events.drawn_models import DrawnArea

    table = DrawnArea._meta.db_table
    keys = _rows(f"""SELECT DISTINCT ON (faction_id) id FROM {table} WHERE layer = 'assessed'
        AND state = 'published' AND drawn_on <= %s ORDER BY faction_id, drawn_on DESC, id DESC""", [on]) \
        if connection.vendor == "postgresql" else _rows(
        f"""SELECT id FROM {table} WHERE layer = 'assessed' AND state = 'published' AND drawn_on <= %s""", [on])
    if not keys:
        return []
    areas = _rows(f"SELECT id, geometry FROM {table} WHERE id IN ({', '.join(str(k) for (k,) in keys)})")
    return [*areas, *time_slice(on, fastest_variant())]


def release(on: dt.date) -> int:
    """A release's floor: every change in force up to ``on`` with its town, faction and sources' addresses,
    read in batches and written as CSV gzipped at the release's level; the three layers' rows of ``on``.
    Returns the gzipped bytes."""
    import csv
    import gzip
    import io

    from events.services.releases import GZIP_LEVEL

    class Counted(io.RawIOBase):
        size = 0

        def writable(self):
            return True

        def write(self, data):
            self.size += len(data)
            return len(data)

    urls = "group_concat(s.url)" if connection.vendor == "sqlite" else "string_agg(s.url, ' ')"
    sink = Counted()
    with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as zipped:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        with connection.cursor() as cursor:
            cursor.execute(f"""SELECT c.id, c.effective_date, c.date_precision, c.day_part, c.status, c.confidence,
                c.town_id, t.name, t.latitude, t.longitude, f.slug, c.contested_by_id, c.note,
                (SELECT {urls} FROM {LINK} l JOIN {SOURCE} s ON s.id = l.source_id WHERE l.controlchange_id = c.id)
                FROM {CHANGE} c JOIN {TOWN} t ON t.id = c.town_id JOIN {FACTION} f ON f.id = c.faction_id
                WHERE c.effective_date <= %s AND {_IN_FORCE}
                ORDER BY c.effective_date, c.day_part, c.id""", [on])
            while batch := cursor.fetchmany(5000):
                writer.writerows(batch)
                zipped.write(text.getvalue().encode())
                text.seek(0)
                text.truncate()
    control_layer(on, fastest_variant())
    provinces(on)
    control_areas(on)
    return sink.size


def release_file(path) -> str:
    """A release's file served: its bytes read and their sha256 (what the route checks before it serves them)."""
    import hashlib

    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
