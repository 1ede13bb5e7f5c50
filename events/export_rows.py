"""Row-level reads behind the exports: plain dicts from ``values()``, no model instances.

They read the time slice (``control_as_of``) and the timelines of ``events.selectors``, so an export
shows exactly the changes the map shows: published only, superseded ones left out. Reading values
instead of objects is what makes large exports cheap.
"""

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db import connection

from geodata.models import AdminArea, Town

from . import selectors
from .nearby_slices import control_as_of_nearby
from .models import ControlChange, Faction, Source

ID_BATCH_MAX = 30_000


def faction_with_members(faction: Faction) -> set[int]:
    """The faction and every group that rolls up into it, so a coalition filter includes its allies."""
    factions = Faction.objects.in_bulk()
    for member in factions.values():
        # Link the parents already in memory, so the walk up costs no query at any depth.
        member.parent = factions.get(member.parent_id)
    return {
        pk for pk, member in factions.items()
        if pk == faction.pk or faction.pk in {c.pk for c in member.coalition_chain()}
    }


def province_of(town: selectors.TownRow, areas: dict[int, dict]) -> tuple[str | None, str | None]:
    """(name, code) of the town's governorate; a town assigned to a district reports its parent."""
    area = areas.get(town.admin_area_id)
    if area is not None and area["level"] == AdminArea.Level.DISTRICT:
        area = areas.get(area["parent_id"])
    return (area["name"], area["code"]) if area is not None else (None, None)


def area_names() -> dict[int, dict]:
    """Every admin area's name, code, level and parent by id; no geometry (one query)."""
    return {a["id"]: a for a in AdminArea.objects.values("id", "name", "code", "level", "parent_id")}


def control_rows(*, on: dt.date) -> tuple[selectors.ControlSnapshot, dict[int, list[dict]]]:
    """control_as_of on ``on`` (published), and the sources of each change in force by change id."""
    snapshot = control_as_of_nearby(on=on)
    # The slice's own ids: index lookups on the link table, where asking for the slice again would
    # walk every town's log twice.
    return snapshot, sources_by_change(change_ids=[row.id for row in snapshot.changes.values()])


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    """Ids in batches under the database's bound-parameter limit (SQLite's; one batch on PostgreSQL)."""
    ids = sorted(ids)
    size = min(connection.features.max_query_params or ID_BATCH_MAX, ID_BATCH_MAX) - 1
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def sources_by_change(*, change_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The sources (title, url, publisher, date) each change cites by change id, oldest report first."""
    sources: dict[int, list[dict]] = {pk: [] for pk in change_ids}
    for batch in _batches(sources):
        for link in _source_links(change_ids=batch):
            sources[link.pop("controlchange_id")].append(link)
    return sources


def notes_by_change(*, change_ids: Iterable[int]) -> dict[int, str]:
    """Each change's note by change id (the time slice's rows leave the free text out)."""
    notes: dict[int, str] = {}
    for batch in _batches(change_ids):
        notes.update(ControlChange.objects.filter(pk__in=batch).values_list("id", "note"))
    return notes


def _source_links(*, change_ids: list[int]) -> list[dict]:
    """The links of ``change_ids`` with their source's columns, by change, oldest report first.

    Plain SQL: for the 10,000 ids of a time slice, the ORM's IN list and row dicts cost four times
    the query itself. PostgreSQL takes the ids as one array (binding and planning 10,000 separate
    parameters triples its time); SQLite as parameters, in batches under its limit.
    """
    link, source = ControlChange.sources.through._meta.db_table, Source._meta.db_table
    if connection.vendor == "postgresql":
        wanted, params = "= ANY(%s)", [change_ids]
    else:
        wanted, params = f"IN ({', '.join(['%s'] * len(change_ids))})", change_ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT l.controlchange_id, s.title, s.url, s.publisher, s.published
                FROM {link} l JOIN {source} s ON s.id = l.source_id
                WHERE l.controlchange_id {wanted}
                ORDER BY l.controlchange_id, s.published ASC NULLS LAST, l.source_id""",
            params,
        )
        return [
            {"controlchange_id": change_id, "title": title, "url": url, "publisher": publisher, "date": published}
            for change_id, title, url, publisher, published in cursor.fetchall()
        ]


def change_rows(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None = None
) -> tuple[list[tuple[selectors.ChangeRow, selectors.ChangeRow | None]], dict[int, selectors.TownRow]]:
    """Published changes dated ``start``..``end`` (inclusive), each with the change it replaced, in order.

    The replaced change may be older than ``start``, so the towns' timelines up to ``end`` are read.
    Returns the (change, previous) pairs and the towns they name by id.
    """
    in_range = selectors.changes_in_force().filter(effective_date__gte=start, effective_date__lte=end)
    timelines = selectors.town_timelines(town_ids=in_range.values("town_id"), until=end)
    pairs = []
    for timeline in timelines.values():
        for previous, row in zip([None, *timeline], timeline, strict=False):
            if row.effective_date < start:
                continue
            involved = {row.faction_id} | ({previous.faction_id} if previous else set())
            if faction_ids is None or involved & faction_ids:
                pairs.append((row, previous))
    pairs.sort(key=lambda pair: pair[0][:3])
    towns = Town.objects.filter(pk__in=timelines).values_list(*selectors.TownRow._fields)
    return pairs, {town[0]: selectors.TownRow._make(town) for town in towns}
