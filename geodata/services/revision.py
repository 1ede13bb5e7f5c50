"""The data revision: one number every write transaction bumps, read in one indexed query.

geodata and events both write the data the public sees (places; factions, sources and the control
log), and geodata never imports events, so the counter lives here where both reach it. A write
calls ``revision_bump()`` inside its transaction (or is decorated with ``revision_bumping``): a
rolled-back write leaves the revision as it was, a committed one moves it. Readers key caches and
ETags by ``geodata.selectors.revision_current().key``: one primary-key lookup, whatever the size of the log.
"""

import functools
import inspect
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import DataRevision
from ..selectors import REVISION_ROW as ROW


def revision_bump() -> None:
    """Move the revision on; call it inside the write's transaction (the UPDATE takes the row lock)."""
    values = {"number": F("number") + 1, "token": secrets.token_hex(8), "changed_at": timezone.now()}
    # One UPDATE: the write's own transaction makes it atomic (no savepoint of its own).
    if not DataRevision.objects.filter(pk=ROW).update(**values):
        DataRevision.objects.get_or_create(pk=ROW, defaults={**values, "number": 1})


def revision_lock() -> None:
    """Take the revision row's lock now, in the caller's transaction, so writers that touch many rows
    queue one after the other instead of deadlocking on each other's index entries (PostgreSQL;
    SQLite's IMMEDIATE transactions queue them already). Released when the transaction ends."""
    DataRevision.objects.select_for_update().filter(pk=ROW).exists()


def revision_bumping(write=None, *, batch: str | None = None):
    """Decorate a write so that it runs in a transaction that bumps the revision when it succeeds.

    ``batch`` names the argument holding the records of a bulk write: an empty batch writes
    nothing, so it leaves the revision (and every cache and ETag keyed by it) alone.
    """
    if write is None:
        return functools.partial(revision_bumping, batch=batch)
    signature = inspect.signature(write)

    def write_and_bump(*args, **kwargs):
        result = write(*args, **kwargs)
        if batch is None or len(signature.bind(*args, **kwargs).arguments[batch]):
            revision_bump()
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
