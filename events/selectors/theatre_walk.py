"""Which way a period's changes of one theatre are read: along the date index, or town by town.

Either walk gives the same rows. Along the (effective_date) index, every theatre's changes of the period are
passed over and the theatre's kept; town by town, each of the theatre's towns costs a probe of its (town, date)
index. The cheaper one depends on sizes SQLite's statistics do not hold: ``ANALYZE`` gives the town table's
theatre index one figure, the average theatre's share (with one theatre: all of the towns, so the index is never
used; with two: half). So once a second theatre exists, SQLite walks the bench's first theatre's 10,042 towns
one by one for a month's 5,400 changes (85 ms, against 42 ms along the dates, as on the one-theatre database),
and the diff after a write (``nearby``) moved from 86 to 160 ms.

So the walk is chosen here, looking no further than the theatre's own size: when the period holds more
changes (of every theatre) than the theatre has towns, its towns are walked (the planner's choice with the
theatre index, a small theatre's walk: Ruritania's 1,000 towns for the month, not the first theatre's 5,400
changes);
otherwise the theatre's condition is written so that no index can serve it (a unary ``+``, on both databases),
and the dates are walked, as with one theatre.
"""

import datetime as dt

from django.db.models import F, Func, IntegerField, QuerySet

from geodata.models import Town

from ..models import ControlChange
from .request_memo import once


class _NoIndex(Func):
    """``+column``: the same value, which no index serves (SQLite's documented way to keep a term off an index)."""

    template = "+%(expressions)s"
    output_field = IntegerField()


def changes_in_theatre(
    changes: QuerySet, theatre_id: int, *, start: dt.date, end: dt.date, towns: int | None = None
) -> QuerySet:
    """``changes`` (ControlChange rows dated ``start``..``end``) of the towns of theatre ``theatre_id``, read by
    the cheaper walk (the module's doc). ``towns``: how many the theatre has, when the caller knows."""
    if walks_by_town(theatre_id, start=start, end=end, towns=towns):
        return changes.filter(town__theatre_id=theatre_id)
    return changes.alias(in_theatre=_NoIndex(F("town__theatre_id"))).filter(in_theatre=theatre_id)


def theatre_town_count(theatre_id: int) -> int:
    """How many towns theatre ``theatre_id`` has (its index), read once per request (``request_memo``)."""
    return once(("theatre_towns", theatre_id), lambda: Town.objects.filter(theatre_id=theatre_id).count())


def walks_by_town(theatre_id: int, *, start: dt.date, end: dt.date, towns: int | None = None) -> bool:
    """Whether the period holds more changes than the theatre has towns: once per request and period (a file's
    header, its rows and the towns they name each compose the walk)."""

    def read() -> bool:
        count = theatre_town_count(theatre_id) if towns is None else towns
        dated = ControlChange.objects.filter(effective_date__gte=start, effective_date__lte=end).order_by()
        return dated[count : count + 1].exists()  # at most ``count`` entries of the date index read

    return once(("theatre_walk", theatre_id, start, end, towns), read)
