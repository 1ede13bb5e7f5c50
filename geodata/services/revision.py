"""The data revisions: numbers every write transaction bumps, read in one indexed query.

geodata and events both write the data the public sees (places; factions, sources and the control
log), and geodata never imports events, so the counters live here where both reach it. A write
calls ``revision_bump()`` inside its transaction (or is decorated with ``revision_bumping``): a
rolled-back write leaves the revisions as they were, a committed one moves them.

A write names the theatres it touches (``theatres``: their areas, towns, coalitions, control log): their
rows move, and the every-theatre row with them. A write that names none is one every theatre shows
(factions, their colours and aliases, default coalitions, sources): the shared row moves. Readers key
caches and ETags by ``geodata.selectors.revision_current(theatre=).key`` (the shared row with their
theatre's, or with the every-theatre row), so a write in one theatre leaves another's alone.
"""

import functools
import inspect
import secrets
from collections.abc import Callable, Collection, Iterable

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from ..models import DataRevision, TheatreRevision
from ..selectors import EVERY_THEATRE_ROW, REVISION_ROW, SHARED_ROW

# A theatre a write touches: an id, or None when the write's records do not say (then every theatre moves).
Theatres = Collection[int | None]


def _bump(model: type[DataRevision] | type[TheatreRevision], pks: Collection[int], now) -> None:
    values = {"number": F("number") + 1, "token": secrets.token_hex(8), "changed_at": now}
    rows = model._default_manager
    # One UPDATE: the write's own transaction makes it atomic (no savepoint of its own).
    if rows.filter(pk__in=pks).update(**values) < len(pks):
        stored = set(rows.filter(pk__in=pks).values_list("pk", flat=True))
        for pk in sorted(set(pks) - stored):
            rows.get_or_create(pk=pk, defaults={**values, "number": 1})


def revision_bump(*, theatres: Theatres = ()) -> None:
    """Move the revisions on; call it inside the write's transaction (the UPDATE takes the rows' locks).

    ``theatres``: the ids of the theatres whose records the write changed; their rows and the every-theatre
    row move. None of them (or None among them: a record of no known theatre): the shared row moves.
    """
    now = timezone.now()
    if not theatres or None in theatres:
        _bump(DataRevision, [SHARED_ROW], now)
        return
    _bump(TheatreRevision, sorted({theatre for theatre in theatres if theatre is not None}), now)
    _bump(DataRevision, [EVERY_THEATRE_ROW], now)


def theatres_of(records: Iterable[models.Model]) -> set[int | None]:
    """The theatres records belong to: their ``theatre`` (areas, towns, coalitions), else their town's
    (control changes); None for a record every theatre shows (a faction, a source) or not yet placed."""
    found: set[int | None] = set()
    unplaced_towns: set[int] = set()
    for record in records:
        if hasattr(record, "theatre_id"):
            found.add(record.theatre_id)
        elif hasattr(record, "town_id"):
            town = record._state.fields_cache.get("town")  # the town the write holds already, if any
            if town is not None:
                found.add(town.theatre_id)
            else:
                unplaced_towns.add(record.town_id)
        else:
            found.add(None)
    if unplaced_towns:
        from ..models import Town

        found.update(Town.objects.filter(pk__in=unplaced_towns).values_list("theatre_id", flat=True).distinct())
    return found


def stored_theatres_of(records: Iterable[models.Model]) -> set[int | None]:
    """The theatres the stored rows of ``records`` (areas, towns) belong to now, before a write moves one."""
    records = list(records)
    pks = [r.pk for r in records if r.pk is not None]
    if not pks or not hasattr(records[0], "theatre_id"):
        return set()
    model = type(records[0])
    found: set[int | None] = set()
    for start in range(0, len(pks), 900):  # under SQLite's bound-parameter limit
        chunk = model._default_manager.filter(pk__in=pks[start:start + 900])
        found.update(chunk.order_by().values_list("theatre_id", flat=True).distinct())
    return found


def theatres_written(argument: str, *, many: bool = False) -> Callable[[inspect.BoundArguments], Theatres]:
    """``revision_bumping(theatres=)`` of a write of the record (``many``: records) in ``argument``: the
    theatres the records go to and those their stored rows are in (a record may move to another)."""

    def touched(call: inspect.BoundArguments) -> Theatres:
        records = list(call.arguments[argument]) if many else [call.arguments[argument]]
        return theatres_of(records) | stored_theatres_of(records)

    return touched


def revision_lock() -> None:
    """Take the shared revision row's lock now, in the caller's transaction, so writers that touch many rows
    queue one after the other instead of deadlocking on each other's index entries (PostgreSQL;
    SQLite's IMMEDIATE transactions queue them already). Released when the transaction ends."""
    DataRevision.objects.select_for_update().filter(pk=REVISION_ROW).exists()


def revision_bumping(write=None, *, batch: str | None = None,
                     theatres: Callable[[inspect.BoundArguments], Theatres] | None = None):
    """Decorate a write so that it runs in a transaction that bumps the revisions when it succeeds.

    ``batch`` names the argument holding the records of a bulk write: an empty batch writes
    nothing, so it leaves the revisions (and every cache and ETag keyed by them) alone.
    ``theatres`` gives, from the write's arguments before it runs, the theatres it touches
    (``revision_bump``: where the records are going and where their stored rows are); without it the
    write is one every theatre shows.
    """
    if write is None:
        return functools.partial(revision_bumping, batch=batch, theatres=theatres)
    signature = inspect.signature(write)

    def write_and_bump(*args, **kwargs):
        arguments = signature.bind(*args, **kwargs)
        touched = theatres(arguments) if theatres is not None else ()  # before the write: where rows were
        result = write(*args, **kwargs)
        if batch is None or len(arguments.arguments[batch]):
            revision_bump(theatres=touched)
        return result

    @functools.wraps(write)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            # Inside the caller's transaction already: the bump commits or rolls back with it, and
            # a write that raises never reaches the bump. No savepoint, so no extra queries.
            return write_and_bump(*args, **kwargs)
        with transaction.atomic():
            return write_and_bump(*args, **kwargs)

    return wrapper
