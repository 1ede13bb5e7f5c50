"""What /api/theatres/ says of each theatre: its extent, the dates of its record, what it holds."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min

from geodata.models import AdminArea, Theatre, Town
from geodata.theatres import theatre_bbox

from ..models import EARLIEST_DATE
from .dates import CACHE_SECONDS, data_version
from .request_memo import once
from .rows import column
from .rule import changes_in_force
from .theatre_walk import changes_in_theatre


@dataclass(frozen=True)
class TheatreSummary:
    slug: str
    name: str
    bbox: list[float]  # [west, south, east, north]
    first_change: dt.date | None
    last_change: dt.date | None
    areas: int
    towns: int
    changes: int  # published changes in force


def theatre_summaries() -> dict[str, TheatreSummary]:
    """Every theatre by slug, in name order; each kept under its own revision (and its own last edit), so a
    write in one theatre counts that theatre's log again, not every theatre's (at 10,000 towns x 1,000,000
    changes beside a theatre of 1,000 x 50,000, a write in the small one recounted the large one: 3.3 s)."""
    theatres = list(Theatre.objects.order_by("name"))
    keys = {t.pk: f"selectors:theatre:{t.pk}:{t.updated_at.timestamp()}:{data_version(theatre=t.pk)}"
            for t in theatres}
    kept = cache.get_many(list(keys.values()))
    missing = [t for t in theatres if keys[t.pk] not in kept]
    if missing:
        made = _summaries(missing, every=len(missing) == len(theatres))
        cache.set_many({keys[t.pk]: made[t.pk] for t in missing}, CACHE_SECONDS)
        kept.update({keys[t.pk]: made[t.pk] for t in missing})
    return {t.slug: kept[keys[t.pk]] for t in theatres}


def _summaries(theatres: list[Theatre], *, every: bool) -> dict[int, TheatreSummary]:
    """What each of ``theatres`` holds, counted (``every``: they are all the theatres)."""
    mine = [t.pk for t in theatres]

    def per_theatre(qs) -> dict[int, int]:
        qs = qs if every else qs.filter(theatre__in=mine)
        return dict(qs.order_by().values_list("theatre").annotate(n=Count("pk")).values_list("theatre", "n"))

    areas, towns = per_theatre(AdminArea.objects), per_theatre(Town.objects)
    log = changes_in_force(published_only=True).order_by()
    if every:  # a change's theatre is its town's: one pass over the log, grouped
        changes: dict[int, dict] = {
            row["town__theatre"]: dict(row)
            for row in log.values("town__theatre").annotate(n=Count("pk"), first=Min("effective_date"),
                                                            last=Max("effective_date"))
        }
    else:  # a theatre's own log, by the walk that reads less of it (theatre_walk): its towns', when it is small
        changes = {
            t.pk: changes_in_theatre(log, t.pk, start=EARLIEST_DATE, end=dt.date.max).aggregate(
                n=Count("pk"), first=Min("effective_date"), last=Max("effective_date"))
            for t in theatres
        }
    found = {}
    for theatre in theatres:
        counted = changes.get(theatre.pk, {})
        found[theatre.pk] = TheatreSummary(
            slug=theatre.slug,
            name=theatre.name,
            bbox=[round(v, 6) for v in theatre_bbox(theatre)],
            first_change=counted.get("first"),
            last_change=counted.get("last"),
            areas=areas.get(theatre.pk, 0),
            towns=towns.get(theatre.pk, 0),
            changes=counted.get("n") or 0,
        )
    return found


class AreaRow(NamedTuple):
    id: int
    level: int
    parent_id: int | None
    updated_at: Any  # as the database gives it (text on SQLite, a datetime on PostgreSQL): compared and hashed
    name: str
    slug: str


def theatre_area_rows(theatre_id: int) -> list[AreaRow]:
    """The theatre's admin areas (no outline), by id: one statement, once per request (``request_memo``). A page
    asks for them for its extent's key, its cells' key and its areas' parents (three reads of them before)."""

    def read() -> list[AreaRow]:
        columns = ", ".join(column(AdminArea, f) for f in ("id", "level", "parent", "updated_at", "name", "slug"))
        with connection.cursor() as cursor:
            table, mine = AdminArea._meta.db_table, column(AdminArea, "theatre")
            cursor.execute(f"SELECT {columns} FROM {table} WHERE {mine} = %s ORDER BY id", [theatre_id])
            return [AreaRow._make(row) for row in cursor.fetchall()]

    return list(once(("theatre_areas", theatre_id), read))


def theatre_extent(*, theatre: Theatre) -> list[float]:
    """The theatre's [west, south, east, north] (``geodata.theatres.theatre_bbox``), kept while its areas are as
    they were (how many, and their last edit: one query of the theatre's areas, their outlines not read); drawn
    from its towns (no area has an outline), per data revision of the theatre too.

    So a change of control, in it or in another theatre, leaves the extent kept: it was kept per revision of
    every theatre, and each page after a write read and decoded the governorates' boundaries again (~5 ms for
    the first theatre's 14, whatever the period a diff shows).
    """
    areas = theatre_area_rows(theatre.pk)
    last = str(max((area.updated_at for area in areas), default=0)).replace(" ", "T")  # no space in a cache key
    key = f"selectors:theatre-extent:{theatre.pk}:{theatre.updated_at.timestamp()}:{len(areas)}.{last}"
    found = cache.get(key)
    if found is not None and found["towns"]:  # drawn from its towns, which any write of the theatre may move
        found = cache.get(f"{key}:{data_version(theatre=theatre)}")
    if found is None:
        towns = not theatre.view_bbox and not theatre.areas.exclude(geometry=None).exists()
        found = {"bbox": [round(v, 6) for v in theatre_bbox(theatre)], "towns": towns}
        cache.set(key, found, CACHE_SECONDS)
        if towns:
            cache.set(f"{key}:{data_version(theatre=theatre)}", found, CACHE_SECONDS)
    return found["bbox"]
