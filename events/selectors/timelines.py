"""Towns' logs of changes in force, in order: timelines, a town's history, a period's changes."""

import datetime as dt
from collections.abc import Iterator
from operator import attrgetter
from typing import NamedTuple

from django.db.models import OuterRef, QuerySet, Subquery

from geodata.models import Theatre, Town

from ..models import ControlChange
from .coarse import public_places
from .rows import CHANGE_ROW_FIELDS, ChangeRow, make_change
from .rule import CHRONOLOGICAL, changes_in_force
from .slices import control_as_of


def with_relations(qs: QuerySet[ControlChange]) -> QuerySet[ControlChange]:
    """Changes with what a page shows of them: town, area, factions, sources."""
    # Not the area's outline: a page names the area, and each row would decode its GeoJSON again
    # (at a town with a long history, most of the panel's time).
    return qs.select_related(
        "town", "town__admin_area", "faction", "faction__parent", "contested_by"
    ).defer("town__admin_area__geometry").prefetch_related("sources")


def town_timelines(
    *, town_ids=None, published_only: bool = True, until: dt.date | None = None, since: dt.date | None = None,
    known_at: dt.datetime | None = None,
) -> dict[int, list[ChangeRow]]:
    """Each town's changes in force, in same-day order (one query); ``town_ids`` may be a subquery."""
    qs = changes_in_force(published_only=published_only, known_at=known_at)
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


def town_history(*, town: Town, published_only: bool = True,
                 known_at: dt.datetime | None = None) -> list[ControlChange]:
    """The town's changes in force, oldest first, each with its factions and sources (and ``town`` itself as its
    town: not read again with every row, nor its area's)."""
    qs = changes_in_force(published_only=published_only, known_at=known_at).filter(town=town)
    history = list(
        qs.select_related("faction", "faction__parent", "contested_by").prefetch_related("sources")
        .order_by(*CHRONOLOGICAL)
    )
    for change in history:
        change.town = town
    return history


def changes_between(
    *, start: dt.date, end: dt.date, published_only: bool = True, known_at: dt.datetime | None = None
) -> list[ControlChange]:
    """Changes dated from ``start`` to ``end``, both inclusive, in order."""
    if start > end:
        raise ValueError("start must not be after end")
    qs = changes_in_force(published_only=published_only, known_at=known_at).filter(
        effective_date__gte=start, effective_date__lte=end
    )
    return list(with_relations(qs).order_by(*CHRONOLOGICAL))


class Span(NamedTuple):
    """A change in force over the days ``change.effective_date`` <= D < ``valid_to`` (None: still in
    force), with its town's name and coordinates."""

    change: ChangeRow
    valid_to: dt.date | None
    town_name: str
    longitude: float
    latitude: float


# Each batch's sources are one query on PostgreSQL (``export_rows.sources_by_change``), which hashes the
# source table each time: at 2,000 rows a batch the 30-day spans at 10,000 towns were 8 such reads
# (~80 ms each on a loaded machine, most of the cold request beyond its floor, which reads 5,000 at a time).
SPAN_BATCH_ROWS = 5_000


def control_spans(
    *, theatre: Theatre | None = None, start: dt.date | None = None, end: dt.date | None = None,
    batch_rows: int = SPAN_BATCH_ROWS,
) -> Iterator[list[Span]]:
    """Every change in force as the span of days it is its town's control, in batches, by town then in
    order; with ``start``/``end``, only the spans in force on some day from ``start`` to ``end``.

    The rule's own definition read in one ordered pass: a town's change in force on D is its latest
    change in force on or before D in CHRONOLOGICAL order, so each change holds from its date until
    the date of the town's next one (exclusive; a change followed on its own day holds no whole day,
    an empty span, left out of a period's). One query read a batch at a time (a server-side cursor on
    PostgreSQL): memory holds a batch, and with a period one row per town, whatever the size of the
    log. A period reads the slice on ``start`` (the spans open then), its own changes, and each town's
    first change after ``end`` (where its last span ends): its cost is the period's, not the log's.
    """
    qs = changes_in_force()
    if theatre is not None:
        qs = qs.filter(town__theatre=theatre)
    if start is not None:
        qs = qs.filter(effective_date__gt=start)
    if end is not None:
        qs = qs.filter(effective_date__lte=end)
    rows: Iterator[tuple] = (
        (make_change(row[:_SPLIT]), 1, row[_SPLIT:])
        for row in qs.order_by("town_id", *CHRONOLOGICAL)
        .values_list(*CHANGE_ROW_FIELDS, "town__name", "town__longitude", "town__latitude")
        .iterator(chunk_size=batch_rows)
    )
    if hidden := public_places():  # the public: a coarse town's spans at its district (selectors.coarse)
        rows = _coarse_spans(rows, hidden)
    if start is not None:  # the spans already open on ``start``, each before its town's rows
        rows = _merged(_opening(start, theatre), rows)
    ends = {} if end is None else _next_dates(end, qs=changes_in_force(), theatre=theatre)
    bounded = start is not None or end is not None
    batch: list[Span] = []
    previous: tuple | None = None
    for change, _, town in rows:
        if previous is not None:
            before, before_town = previous
            valid_to = change.effective_date if change.town_id == before.town_id else ends.get(before.town_id)
            if not (bounded and valid_to == before.effective_date):  # a period shows no empty span
                batch.append(Span(before, valid_to, *before_town))
            if len(batch) >= batch_rows:
                yield batch
                batch = []
        previous = (change, town)
    if previous is not None:
        batch.append(Span(previous[0], ends.get(previous[0].town_id), *previous[1]))
    if batch:
        yield batch


_SPLIT = len(ChangeRow._fields)


def _coarse_spans(rows: Iterator[tuple], hidden: dict) -> Iterator[tuple]:
    for change, order, town in rows:
        if change.town_id not in hidden:
            yield change, order, town
        elif (district := hidden[change.town_id]) is not None:
            name, _, latitude, longitude = district
            yield change, order, (name, longitude, latitude)


def _merged(opening: list[tuple], rows: Iterator[tuple]) -> Iterator[tuple]:
    """``opening`` (by town) and ``rows`` (by town, then in order) as one stream by town, each town's
    opening entry before its rows: heapq.merge's order, without its cost per row (a key tuple and a
    heap step for each of the slice's 10,000 towns and the period's rows)."""
    waiting = iter(opening)
    head = next(waiting, None)
    for entry in rows:
        town_id = entry[0].town_id
        while head is not None and head[0].town_id <= town_id:
            yield head
            head = next(waiting, None)
        yield entry
    if head is not None:
        yield head
        yield from waiting


def _opening(on: dt.date, theatre: Theatre | None) -> list[tuple]:
    """(change, 0, town) of each town's change in force on ``on`` (the time slice), by town."""
    snapshot = control_as_of(on=on, theatre=theatre)
    return sorted(((change, 0, (town.name, town.longitude, town.latitude))
                   for town, change in ((t, snapshot.changes.get(t.id)) for t in snapshot.towns)
                   if change is not None), key=lambda entry: entry[0].town_id)


def _next_dates(end: dt.date, *, qs: QuerySet[ControlChange], theatre: Theatre | None) -> dict[int, dt.date]:
    """The date of each town's first change in force after ``end`` (one index lookup per town).

    The towns without one are left out here, not by a WHERE on the subquery: the database would run
    each town's lookup twice (once to filter, once to select); nor are the towns sorted by name.
    """
    towns = Town.objects.all() if theatre is None else Town.objects.filter(theatre=theatre)
    first = qs.filter(town=OuterRef("pk"), effective_date__gt=end).order_by(*CHRONOLOGICAL).values("effective_date")
    rows = towns.order_by().annotate(next_date=Subquery(first[:1])).values_list("pk", "next_date")
    return {pk: next_date for pk, next_date in rows if next_date is not None}
