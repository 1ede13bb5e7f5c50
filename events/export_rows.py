"""Row-level reads behind the exports: plain dicts from ``values()``, no model instances.

They read the time slice (``control_as_of``) and the changes in force of ``events.selectors``, so an
export shows exactly the changes the map shows: published only, superseded ones left out. Reading
values instead of objects is what makes large exports cheap; reading a period's changes a batch at a
time is what keeps a long period's memory small.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Q, QuerySet, Subquery

from geodata.models import AdminArea, Theatre, Town

from . import selectors
from .models import EARLIEST_DATE, ControlChange, Faction, Source
from .selectors.theatre_walk import changes_in_theatre, theatre_town_count

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


def control_rows(
    *, on: dt.date, towns=None, theatre: Theatre | None = None,
) -> tuple[selectors.ControlSnapshot, dict[int, list[dict]]]:
    """control_as_of on ``on`` (published; ``towns``, a queryset, or ``theatre`` narrows it), and the sources
    of each change in force by change id."""
    snapshot = selectors.control_as_of(on=on, towns=towns, theatre=theatre)
    # The slice's own ids: index lookups on the link table, where asking for the slice again would
    # walk every town's log twice.
    return snapshot, sources_by_change(change_ids=[row.id for row in snapshot.changes.values()])


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    """Ids in batches under the database's bound-parameter limit (SQLite's; one batch on PostgreSQL)."""
    ids, size = sorted(ids), _ids_per_query()
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _ids_per_query() -> int:
    return min(connection.features.max_query_params or ID_BATCH_MAX, ID_BATCH_MAX) - 1


def sources_by_change(*, change_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The sources (title, url, publisher, date) each change cites by change id, oldest report first."""
    sources: dict[int, list[dict]] = {pk: [] for pk in change_ids}
    for batch in _batches(sources):
        for link in _source_links(change_ids=batch):
            sources[link.pop("controlchange_id")].append(link)
    return sources


def _source_links(*, change_ids: list[int]) -> list[dict]:
    """The links of ``change_ids`` with their source's columns, by change, oldest report first.

    Plain SQL: for the 10,000 ids of a time slice, the ORM's IN list and row dicts cost four times
    the query itself.
    """
    return [
        {"controlchange_id": change_id, "title": title, "url": url, "publisher": publisher, "date": published}
        for change_id, title, url, publisher, published in _link_rows(
            change_ids=change_ids, columns="s.title, s.url, s.publisher, s.published")
    ]


def source_texts_by_change(*, change_ids: Iterable[int]) -> dict[int, list[tuple[str, str, str]]]:
    """(url, title, publisher) of the sources each change cites by change id, in ``sources_by_change``'s
    order: the CSV's cells, read without the dates and dicts it does not write."""
    texts: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in change_ids}
    for batch in _batches(texts):
        for change_id, *text in _link_rows(change_ids=batch, columns="s.url, s.title, s.publisher"):
            texts[change_id].append(tuple(text))
    return texts


def _link_rows(*, change_ids: list[int], columns: str) -> list[tuple]:
    """(change id, ``columns``...) of each link of ``change_ids``, by change, oldest report first.

    PostgreSQL takes the ids as one array (binding and planning 10,000 separate parameters triples
    its time); SQLite as parameters, in batches under its limit.
    """
    link, source = ControlChange.sources.through._meta.db_table, Source._meta.db_table
    if connection.vendor == "postgresql":
        wanted, params = "= ANY(%s)", [change_ids]
    else:
        wanted, params = f"IN ({', '.join(['%s'] * len(change_ids))})", change_ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT l.controlchange_id, {columns}
                FROM {link} l JOIN {source} s ON s.id = l.source_id
                WHERE l.controlchange_id {wanted}
                ORDER BY l.controlchange_id, s.published ASC NULLS LAST, l.source_id""",
            params,
        )
        return cursor.fetchall()


# Rows of the changes export read, shaped and written at a time: its memory is a batch's, not the period's.
EXPORT_BATCH_ROWS = 2_000


class ChangeEvent(NamedTuple):
    """A row of the changes layer: the change, the one it replaced (possibly before the period), its note."""

    change: selectors.ChangeRow
    previous: selectors.ChangeRow | None
    note: str


def change_events(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None = None, theatre: Theatre | None = None,
) -> tuple[dict[int, selectors.TownRow], Iterator[list[ChangeEvent]]]:
    """Published changes dated ``start``..``end`` (inclusive) in order, each with the change it replaced,
    in batches of at most ``EXPORT_BATCH_ROWS`` rows read; and the towns they name (or every town), by id.

    The period is one ordered read, fetched a batch at a time (a server-side cursor on PostgreSQL).
    The change a row replaced is its town's previous row: the towns' state before ``start`` comes from
    the time slice, then each row read becomes its town's latest. So memory holds one batch and one
    row per town, however long the period. ``faction_ids`` keeps changes one of them gained or lost;
    ``theatre``, the changes of that theatre's towns.
    """
    in_range = selectors.changes_in_force().filter(effective_date__gte=start, effective_date__lte=end)
    if theatre is not None:  # by date or town by town, whichever reads less (selectors.theatre_walk)
        in_range = changes_in_theatre(in_range, theatre.pk, start=start, end=end)
    # A period of fewer changes than towns is read whole, once per request (``selectors.period``: the what-changed
    # page reads it too), and names fewer towns than there are; a longer one is read a batch at a time.
    read = selectors.period_changes(start=start - dt.timedelta(days=1), end=end, seen=selectors.visibility(),
                                    theatre=None if theatre is None else theatre.pk)
    few = (Town.objects.filter(pk__in=Subquery(in_range.order_by().values("town_id"))) if read is not None
           else _few_towns(start=start, end=end, in_range=in_range, theatre=theatre))
    # The schema refuses changes before EARLIEST_DATE, so the day before it has none in force.
    before = selectors.control_as_of(on=max(start, EARLIEST_DATE) - dt.timedelta(days=1), towns=few, theatre=theatre)
    if read is not None:
        split = len(selectors.ChangeRow._fields)
        rows: Iterator[tuple] = ((*row[:split], row.note) for row in read)
    else:
        rows = (
            in_range.order_by(*selectors.CHRONOLOGICAL)
            .values_list(*selectors.CHANGE_ROW_FIELDS, "note")
            .iterator(chunk_size=EXPORT_BATCH_ROWS)
        )
    return {town.id: town for town in before.towns}, _event_batches(rows, dict(before.changes), faction_ids)


def _few_towns(
    *, start: dt.date, end: dt.date, in_range: QuerySet, theatre: Theatre | None = None,
) -> QuerySet | None:
    """The towns the period's changes name, when the period holds fewer changes than there are towns
    (so it names fewer towns); else None, every town.

    Only their state before the period is needed: after a write (no slice kept), a month's 4,000
    towns of 10,000 are read in about half the time of every town. A long period names most towns;
    its changes are counted no further than the number of towns (one index range, whatever their
    state), so its log is not walked to learn it.
    """
    towns = Town.objects.count() if theatre is None else theatre_town_count(theatre.pk)
    dated = ControlChange.objects.filter(effective_date__gte=start, effective_date__lte=end).order_by()
    if theatre is not None:
        dated = changes_in_theatre(dated, theatre.pk, start=start, end=end)  # the same count, read once
    if dated[towns:towns + 1].exists():
        return None
    return Town.objects.filter(pk__in=Subquery(in_range.order_by().values("town_id")))


def changes_dated_beyond(*, start: dt.date | None, end: dt.date | None, count: int) -> bool:
    """Whether more than ``count`` changes are dated ``start``..``end`` (either open): of any theatre and state, an
    upper bound read from the date index, no further than ``count`` entries."""
    dated = ControlChange.objects.order_by()
    if start is not None:
        dated = dated.filter(effective_date__gte=start)
    if end is not None:
        dated = dated.filter(effective_date__lte=end)
    return dated[count:count + 1].exists()


def _event_batches(rows: Iterator[tuple], latest: dict[int, selectors.ChangeRow],
                   faction_ids: set[int] | None) -> Iterator[list[ChangeEvent]]:
    split = len(selectors.ChangeRow._fields)
    while batch := list(islice(rows, EXPORT_BATCH_ROWS)):
        events = []
        for row in batch:
            change = selectors.ChangeRow._make(row[:split])
            # The change it replaced (selectors.replaced_change): its town's previous row in force, read in order.
            previous = latest.get(change.town_id)
            latest[change.town_id] = change
            if faction_ids is None or change.faction_id in faction_ids or (
                previous is not None and previous.faction_id in faction_ids
            ):
                events.append(ChangeEvent(change, previous, row[split]))
        if events:
            yield events


def most_sources(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None = None, beyond: int, theatre: Theatre | None = None,
) -> int:
    """The most sources a change of the changes layer cites, when some cites more than ``beyond``; else 0.

    The CSV's header names its source columns before the first row is read. Changes citing that many
    are few, so only they are looked at, most cited first; with ``faction_ids``, whether the layer
    keeps one depends on the faction of the change it replaced, read for a batch of them at a time.
    """
    in_range = selectors.changes_in_force().filter(effective_date__gte=start, effective_date__lte=end)
    if theatre is not None:  # a small theatre's towns, not every theatre's changes of the period
        in_range = changes_in_theatre(in_range, theatre.pk, start=start, end=end)
    # Grouped by the change's id alone: grouped by every column, as annotate() does, SQLite walked every
    # theatre's changes of the period by date even for a small theatre.
    many = in_range.values("pk").annotate(cited=Count("sources")).filter(cited__gt=beyond).order_by("-cited", "pk")
    if faction_ids is None:
        return many.values_list("cited", flat=True).first() or 0
    kept = ControlChange.objects.annotate(replaced_faction=Subquery(_replaced_faction())).filter(
        Q(faction_id__in=faction_ids) | Q(replaced_faction__in=faction_ids)
    )
    # Most cited first, a batch at a time: the first the filter keeps is the answer.
    rows = many.values_list("pk", "cited").iterator(chunk_size=EXPORT_BATCH_ROWS)
    while batch := list(islice(rows, _ids_per_query())):
        found = set(kept.filter(pk__in=[pk for pk, _ in batch]).values_list("pk", flat=True))
        for pk, cited in batch:
            if pk in found:
                return cited
    return 0


def _replaced_faction() -> QuerySet:
    """The faction of the change the outer change replaced (``selectors.replaced_change_query``)."""
    return selectors.replaced_change_query().values("faction_id")[:1]
