"""A date names its slice: the change date a requested day shows, the key every dated layer is kept under.

Control on a day is the latest change in force on or before it, so every day from one change date
up to the next shows the same slice. A requested date therefore resolves to the latest change date
on or before it (the date index walked back from it to the first change in force: one index probe,
where reading every change date after each write cost a walk of thousands of dates), and the layers
are built, kept and
tagged under that date: a crawler walking every day of the record builds no more layers than
there are change dates.

A date before the first change shows an empty map; it resolves to one fixed "before the first
record" day, the day before the first change date, so all of them share one (empty) layer too.
With no change in force at all, every date resolves to ``EARLIEST_DATE`` (1900-01-01).
"""

import datetime as dt
import threading

from . import selectors
from .models import EARLIEST_DATE
from .selectors import cache_token

# The days this worker resolved for the last data revision it saw, under (token, revision key). The
# token lives in the shared cache, so clearing the cache forgets them too.
TOKEN_KEY = "slice-dates:token"
KEEP = 4096
_memo: tuple[tuple[str, str], dict[dt.date, dt.date]] | None = None
_lock = threading.Lock()


def _resolved(revision: str) -> dict[dt.date, dt.date]:
    global _memo
    key = (cache_token(TOKEN_KEY), revision)
    with _lock:
        if _memo is None or _memo[0] != key or len(_memo[1]) > KEEP:
            _memo = (key, {})
        return _memo[1]


def _latest_on_or_before(on: dt.date) -> dt.date | None:
    """The latest date with a change in force on or before ``on``: the date index walked back from it."""
    in_force = selectors.changes_in_force().filter(effective_date__lte=on).order_by("-effective_date")
    return in_force.values_list("effective_date", flat=True).first()


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
    resolved = _resolved(revision if revision is not None else selectors.data_version())
    day = resolved.get(on)
    if day is None:
        day = _latest_on_or_before(on)
        if day is None:
            first = selectors.first_change_date()
            day = before_first_record([first] if first else [])
        resolved[on] = day
    return day
