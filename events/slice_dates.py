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

from django.db import connection

from geodata.models import Theatre, Town

from . import selectors
from .models import EARLIEST_DATE, ControlChange
from .selectors import cache_token

# The days this worker resolved for the last data revision it saw of each theatre (None: every theatre),
# under (token, revision key). The token lives in the shared cache, so clearing the cache forgets them too.
TOKEN_KEY = "slice-dates:token"
KEEP = 4096
_memo: dict[int | None, tuple[tuple[str, str], dict[dt.date, dt.date]]] = {}
_lock = threading.Lock()


def _resolved(revision: str, theatre: int | None) -> dict[dt.date, dt.date]:
    key = (cache_token(TOKEN_KEY), revision)
    with _lock:
        memo = _memo.get(theatre)
        if memo is None or memo[0] != key or len(memo[1]) > KEEP:
            memo = _memo[theatre] = (key, {})
        return memo[1]


def _in_force(theatre: int | None):
    in_force = selectors.changes_in_force()
    return in_force if theatre is None else in_force.filter(town__theatre_id=theatre)


def _latest_on_or_before(on: dt.date, theatre: int | None = None) -> dt.date | None:
    """The latest date with a change in force on or before ``on`` (in ``theatre``'s towns when given): the
    date index walked back from it.

    Written with the rule's SQL form (``selectors.in_force_sql``), as the slice is: every dated layer asks it
    once after each write, and building the ORM form cost more than running it (1.0 against 0.05 ms on
    SQLite, 3.0 against 0.4 ms on PostgreSQL, at 10,000 towns x 1,000,000 changes; the same plans).
    """
    rule, rule_params = selectors.in_force_sql(selectors.visibility(), "x")
    join, join_params = "", []
    if theatre is not None:
        join, join_params = f"JOIN {Town._meta.db_table} t ON t.id = x.town_id AND t.theatre_id = %s", [theatre]
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT x.effective_date FROM {ControlChange._meta.db_table} x {join}
            WHERE x.effective_date <= %s AND {rule} ORDER BY x.effective_date DESC LIMIT 1""",
                       [*join_params, on, *rule_params])
        row = cursor.fetchone()
    return None if row is None else row[0]


def before_first_record(dates: list[dt.date]) -> dt.date:
    """The day every date before the first change resolves to (an empty map)."""
    if not dates or dates[0] <= EARLIEST_DATE:
        return EARLIEST_DATE
    return dates[0] - dt.timedelta(days=1)


def slice_date(*, on: dt.date, revision: str | None = None, theatre: Theatre | None = None) -> dt.date:
    """The latest change date on or before ``on`` (published changes in force), the day the slice shows.

    ``theatre``: along its own record (its towns' changes), so another theatre's changes never move the day
    its layers show. ``revision`` is the data revision the caller has read for it
    (``selectors.data_revision(theatre=).key``); without it, it is read here (one indexed query).
    """
    mine = None if theatre is None else theatre.pk
    resolved = _resolved(revision if revision is not None else selectors.data_version(theatre=theatre), mine)
    day = resolved.get(on)
    if day is None:
        day = _latest_on_or_before(on, mine)
        if day is None:
            first = _in_force(mine).order_by("effective_date").values_list("effective_date", flat=True).first()
            day = before_first_record([first] if first else [])
        resolved[on] = day
    return day
