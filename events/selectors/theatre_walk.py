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


class _NoIndex(Func):
    """``+column``: the same value, which no index serves (SQLite's documented way to keep a term off an index)."""

    template = "+%(expressions)s"
    output_field = IntegerField()


def changes_in_theatre(
    changes: QuerySet, theatre_id: int, *, start: dt.date, end: dt.date, towns: int | None = None
) -> QuerySet:
    """``changes`` (ControlChange rows dated ``start``..``end``) of the towns of theatre ``theatre_id``, read by
    the cheaper walk (the module's doc). ``towns``: how many the theatre has, when the caller knows."""
    if towns is None:
        towns = Town.objects.filter(theatre_id=theatre_id).count()
    dated = ControlChange.objects.filter(effective_date__gte=start, effective_date__lte=end).order_by()
    if dated[towns : towns + 1].exists():  # at most ``towns`` entries of the date index read
        return changes.filter(town__theatre_id=theatre_id)
    return changes.alias(in_theatre=_NoIndex(F("town__theatre_id"))).filter(in_theatre=theatre_id)
