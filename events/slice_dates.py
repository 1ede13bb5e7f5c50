"""A date names its slice: the change date a requested day shows, the key every dated layer is kept under.

Control on a day is the latest change in force on or before it, so every day from one change date
up to the next shows the same slice. A requested date therefore resolves to the latest change date
on or before it (a bisect in ``selectors.change_dates()``), and the layers are built, kept and
tagged under that date: a crawler walking every day of the record builds no more layers than
there are change dates.

A date before the first change shows an empty map; it resolves to one fixed "before the first
record" day, the day before the first change date, so all of them share one (empty) layer too.
With no change in force at all, every date resolves to ``EARLIEST_DATE`` (1900-01-01).
"""

import bisect
import datetime as dt
import threading
import uuid

from django.core.cache import cache

from . import selectors
from .models import EARLIEST_DATE

# The dates of the last data revision this worker saw, under (token, revision key). change_dates()
# is cached per revision in the shared cache already; this saves reading and unpickling thousands of
# dates per request. The token lives in the shared cache, so clearing the cache forgets them too.
TOKEN_KEY = "slice-dates:token"
_memo: tuple[tuple[str, str], list[dt.date]] | None = None
_lock = threading.Lock()


def _token() -> str:
    token = cache.get(TOKEN_KEY)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(TOKEN_KEY, token, None):
            token = cache.get(TOKEN_KEY) or token
    return token


def _change_dates(revision: str) -> list[dt.date]:
    global _memo
    key = (_token(), revision)
    with _lock:
        memo = _memo
    if memo is not None and memo[0] == key:
        return memo[1]
    dates = selectors.change_dates()
    with _lock:
        _memo = (key, dates)
    return dates


def before_first_record(dates: list[dt.date]) -> dt.date:
    """The day every date before the first change resolves to (an empty map)."""
    if not dates or dates[0] <= EARLIEST_DATE:
        return EARLIEST_DATE
    return dates[0] - dt.timedelta(days=1)


def slice_date(*, on: dt.date, revision: str | None = None) -> dt.date:
    """The latest change date on or before ``on`` (published changes in force), the day the slice shows.

    ``revision`` is the data revision the caller has read (``selectors.data_revision().key``); without
    it, it is read here (one primary-key lookup).
    """
    dates = _change_dates(revision if revision is not None else selectors.data_version())
    at = bisect.bisect_right(dates, on)
    return dates[at - 1] if at else before_first_record(dates)
