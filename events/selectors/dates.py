"""Which dates the log has, and which state of the data a reader sees (the revision, the ETag)."""

import datetime as dt
import uuid

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef

from geodata.models import Theatre, Town
from geodata.selectors import Revision, revision_current

from ..models import ControlChange
from .request_memo import once
from .rows import column
from .rule import Visibility, changes_in_force, editor_reads, in_force_sql, known_moment, reading_now, visibility

CACHE_SECONDS = 24 * 3600  # keys hold the data revision, so a stale entry is never read


def cache_token(key: str) -> str:
    """A token kept in the shared cache under ``key``. What a worker keeps in memory under it is
    forgotten when the cache is cleared, since the token then changes for every worker."""
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def _change_dates_sql(*, seen: Visibility, theatre: int | None = None) -> tuple[str, list]:
    """Distinct dates with a change in force: a skip scan of the date index, one probe per date.

    The recursive CTE jumps from one date to the next through ``change_date_idx`` (one index seek
    per distinct date, never a row per change), and each date is kept when one of its changes is in
    force (the first row of the date usually is). So the cost grows with the number of dates
    (thousands), not with the log (millions). ``theatre`` (an id) keeps the dates of its towns' changes.
    """
    table = ControlChange._meta.db_table
    rule, params = in_force_sql(seen, "c")
    if theatre is not None:
        town, mine = column(ControlChange, "town"), column(Town, "theatre")
        rule = f"{rule} AND c.{town} IN (SELECT id FROM {Town._meta.db_table} WHERE {mine} = %s)"
        params = [*params, theatre]
    sql = f"""
        WITH RECURSIVE day_walk(day) AS (
            SELECT MIN(effective_date) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(n.effective_date) FROM {table} n WHERE n.effective_date > day_walk.day)
            FROM day_walk WHERE day_walk.day IS NOT NULL
        )
        SELECT day FROM day_walk
        WHERE day IS NOT NULL AND EXISTS (
            SELECT 1 FROM {table} c WHERE c.effective_date = day_walk.day AND {rule}
        )
        ORDER BY day"""
    return sql, params


def change_dates(
    *, published_only: bool = True, known_at: dt.datetime | None = None, theatre: Theatre | None = None,
) -> list[dt.date]:
    """Distinct dates on which control changed (in ``theatre``'s towns when given), in order; cached per revision.

    The time control fetches them from /api/change-dates.json once the map page is up.
    """
    seen = visibility(published_only=published_only, known_at=known_at)
    mine = "" if theatre is None else f":{theatre.pk}"
    version = data_version(published_only=published_only, theatre=theatre)
    key = f"selectors:change-dates:{seen.key}:{version}{mine}"
    dates = cache.get(key)
    if dates is None:
        sql, params = _change_dates_sql(seen=seen, theatre=None if theatre is None else theatre.pk)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            # SQLite hands a CTE's dates back as text; PostgreSQL as dates.
            dates = [d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for (d,) in cursor.fetchall()]
        cache.set(key, dates, CACHE_SECONDS)
    return dates


def change_dates_more_than(
    n: int, *, published_only: bool = True, known_at: dt.datetime | None = None, theatre: Theatre | None = None,
) -> bool:
    """Whether more than ``n`` dates have a change in force (in ``theatre``'s towns when given): what
    change_dates() would say, without reading every date. The distinct dates are read until ``n + 1`` are
    found, from ``theatre``'s towns (each town's (town, effective_date) index) or the date index, so the read
    is about ``n`` rows whatever the size of the log or of the other theatres' logs."""
    table = ControlChange._meta.db_table
    rule, params = in_force_sql(visibility(published_only=published_only, known_at=known_at), "c")
    if theatre is not None:
        town, mine = column(ControlChange, "town"), column(Town, "theatre")
        rule = f"c.{town} IN (SELECT id FROM {Town._meta.db_table} WHERE {mine} = %s) AND {rule}"
        params = [theatre.pk, *params]
    sql = f"SELECT COUNT(*) FROM (SELECT DISTINCT c.effective_date FROM {table} c WHERE {rule} LIMIT %s) d"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, n + 1])
        return cursor.fetchone()[0] > n


def change_years() -> list[int]:
    """Years in which the log has any change (any state), oldest first.

    One query that seeks the (effective_date) index once per year: a recursive CTE asking for the first
    date on or after each next 1 January (a loose index scan; DISTINCT over the years would read the log).
    """
    table = connection.ops.quote_name(ControlChange._meta.db_table)
    if connection.vendor == "postgresql":
        year, next_jan1 = "EXTRACT(YEAR FROM ({}))::integer", "make_date(y + 1, 1, 1)"
    else:  # SQLite keeps dates as YYYY-MM-DD text
        year, next_jan1 = "CAST(substr(({}), 1, 4) AS INTEGER)", "(y + 1) || '-01-01'"
    first_on = f"SELECT effective_date FROM {table} WHERE effective_date >= {next_jan1} ORDER BY effective_date LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE years(y) AS (SELECT {year.format(f'SELECT MIN(effective_date) FROM {table}')}"
            f" UNION ALL SELECT {year.format(first_on)} FROM years WHERE y IS NOT NULL)"
            " SELECT y FROM years WHERE y IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def latest_change_date(
    *, published_only: bool = True, known_at: dt.datetime | None = None, theatre: Theatre | None = None,
) -> dt.date | None:
    """The last of change_dates() (of ``theatre``'s towns when given) without reading them: the date index
    walked back to a change in force.

    The walk stops at the first row in force, so it reads only the drafts, rejected, retracted and
    superseded changes dated after it (a handful), not the log; in a theatre, also the other theatres'
    changes dated after its last (each row's town read by its key).
    """
    return _change_date_end(published_only=published_only, known_at=known_at, order="-effective_date",
                            theatre=theatre)


def first_change_date(
    *, published_only: bool = True, known_at: dt.datetime | None = None, theatre: Theatre | None = None,
) -> dt.date | None:
    """The first of change_dates(), found by walking the date index forwards (see latest_change_date)."""
    return _change_date_end(published_only=published_only, known_at=known_at, order="effective_date",
                            theatre=theatre)


def _change_date_end(
    *, published_only: bool, known_at: dt.datetime | None, order: str, theatre: Theatre | None = None,
) -> dt.date | None:
    in_force = changes_in_force(published_only=published_only, known_at=known_at).order_by(order)
    if theatre is not None:
        # Each row's town read by its key (EXISTS), so the date index leads the walk: joined to the towns,
        # SQLite walked every town of the theatre's (town, date) index and sorted (100-150 ms for a theatre's
        # 10,000 towns at 1,000,000 changes, against ~1 ms).
        in_force = in_force.filter(Exists(Town.objects.filter(pk=OuterRef("town_id"), theatre=theatre)))
    return in_force.values_list("effective_date", flat=True).first()


def data_revision(*, theatre: Theatre | int | None = None) -> Revision:
    """The data revision of ``theatre`` (or a theatre's id; None: every theatre): number, token and time of
    the last write (one query of two primary keys)."""
    theatre_id = theatre.pk if isinstance(theatre, Theatre) else theatre
    # Once per request (``request_memo``): a page's layers, cache keys and ETag each ask, and they must agree.
    return once(("data_revision", theatre_id), lambda: revision_current(theatre=theatre_id))


def data_version(
    *, published_only: bool = True, revision: Revision | None = None, theatre: Theatre | int | None = None,
) -> str:
    """Names this state of everything a map or export of ``theatre`` (None: every theatre) shows: the data
    revision (one query of two primary keys; none when the caller passes the ``revision`` it has read).

    Every write the public sees bumps it inside its transaction (see ``geodata.services.revision``),
    so it is an ETag and a cache key that costs one indexed read whatever the size of the log; a write
    in another theatre leaves a theatre's alone. Read as known at a moment (``rule.as_known_at``), the
    public's version names that moment too, so every key and ETag composed from it is the moment's.
    Drafts do not bump it; an editor's preview (``published_only=False``) adds the drafts' count and last
    edit, read along the partial index of drafts.

    Read by the public (not an editor), the version also names the next moment a delayed change becomes
    public (``next_public_moment``): the set the public sees changes only at such a moment or with the
    revision, so a key holds until then and no later; an editor's and the public's never coincide.
    """
    theatre_id = theatre.pk if isinstance(theatre, Theatre) else theatre
    # Once per request for each question (``request_memo``): a page's slices, cells, diff and ETag each ask.
    # Within a request the revision is read once and the moment read at is pinned, so the answer is one.
    asked = ("data_version", published_only, None if revision is None else revision.key, theatre_id,
             known_moment(), editor_reads(), reading_now() if published_only else None)
    return once(asked, lambda: _data_version(published_only=published_only, revision=revision, theatre=theatre_id))


def _data_version(*, published_only: bool, revision: Revision | None, theatre: int | None) -> str:
    key = (revision or data_revision(theatre=theatre)).key
    if published_only:
        moment = known_moment()
        if moment is not None:
            key = f"{key}@{moment.timestamp():.6f}"
        if editor_reads():
            return key
        now = reading_now()
        upcoming = _next_public_moment(key=key, now=now) if moment is None or moment > now else None
        return f"{key}~{'-' if upcoming is None else f'{upcoming.timestamp():.6f}'}"
    drafts = ControlChange.objects.filter(state=ControlChange.State.DRAFT).aggregate(
        n=Count("id"), last=Max("updated_at"))
    return f"{key}.d{drafts['n']}.{drafts['last'].timestamp() if drafts['last'] else 0}"


def version_pinned(rev: str | None, *, revision: Revision, version: str) -> bool:
    """Whether ``?rev=`` pins an answer read at ``version`` for good: it names that version, or the revision
    alone while no delayed change is waiting to reach the reader (the set they see then changes only with
    the revision)."""
    if rev is None:
        return False
    return rev == version or (rev == revision.key and not _waiting(version))


def _waiting(version: str) -> bool:
    return "~" in version and not version.endswith("~-")


# Per worker: revision key -> (when read, the next public_from after it, the latest at or before it). Under
# one revision the moments are fixed (a publish or retraction bumps it), so the answer holds from when it was
# read until the next moment passes: a request between two moments reads the revision only, as before delays
# existed.
_upcoming: dict[str, tuple[dt.datetime, dt.datetime | None, dt.datetime | None]] = {}
_UPCOMING_KEPT = 64


def _next_public_moment(*, key: str, now: dt.datetime) -> dt.datetime | None:
    return _public_moments(key=key, now=now)[0]


def _public_moments(*, key: str, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The next public_from after ``now`` and the latest at or before it, kept per revision until the next one
    passes. Read together: the ETag needs the first and Last-Modified the second, and each request after a
    write asked for both (two statements, now one)."""
    key = f"{cache_token('next-public-moment:token')}:{key}"  # clearing the cache forgets them (a restore)
    kept = _upcoming.get(key)
    if kept is not None and kept[0] <= now and (kept[1] is None or now < kept[1]):
        return kept[1], kept[2]
    upcoming, reached = _moments_around(now)
    if len(_upcoming) >= _UPCOMING_KEPT:
        _upcoming.clear()
    _upcoming[key] = (now, upcoming, reached)
    return upcoming, reached


def _moments_around(now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(next_public_moment(after=now), the latest public_from at or before now) in one statement: a seek of
    ``change_public_from_idx`` each (an empty log has neither).

    Written as SQL: every request after a write asks it, and the ORM's compiling of the two subqueries was
    most of its ~1 ms."""
    table, public_from, state = (ControlChange._meta.db_table, column(ControlChange, "public_from"),
                                 column(ControlChange, "state"))
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT (SELECT {public_from} FROM {table} WHERE {public_from} > %s AND {state} = %s
                        ORDER BY {public_from} LIMIT 1),
                (SELECT {public_from} FROM {table} WHERE {public_from} <= %s AND {state} = %s
                        ORDER BY {public_from} DESC LIMIT 1)""",
            [at, ControlChange.State.PUBLISHED.value, at, ControlChange.State.PUBLISHED.value],
        )
        upcoming, reached = cursor.fetchone()
    return _aware(upcoming), _aware(reached)


def _aware(value) -> dt.datetime | None:
    """A moment read by a bare statement: SQLite gives the stored text (UTC), PostgreSQL an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _upcoming_query(*, after: dt.datetime):
    return (
        ControlChange.objects.filter(public_from__gt=after, state=ControlChange.State.PUBLISHED)
        .order_by("public_from")
        .values("public_from")[:1]
    )


def next_public_moment(*, after: dt.datetime) -> dt.datetime | None:
    """The first ``public_from`` after ``after``: when the next delayed change reaches the public (None: none
    is waiting). One seek of ``change_public_from_idx``."""
    return _upcoming_query(after=after).values_list("public_from", flat=True).first()


def data_last_modified(*, theatre: Theatre | None = None, revision: Revision | None = None) -> dt.datetime | None:
    """When the data a map or export shows last changed (for Last-Modified): the revision's time, or for the
    public the moment a delayed change last reached it when that is later (else a reader revalidating by
    date alone would be told nothing changed, and keep a file without it)."""
    changed = (revision or data_revision(theatre=theatre)).changed_at
    if editor_reads() or changed is None:
        return changed
    reached = _last_public_moment(key=(revision or data_revision(theatre=theatre)).key, now=reading_now())
    return changed if reached is None or reached <= changed else reached


def _last_public_moment(*, key: str, now: dt.datetime) -> dt.datetime | None:
    """The latest public_from at or before ``now``: read with the ETag's next one (data_version), not again."""
    return _public_moments(key=key, now=now)[1]
