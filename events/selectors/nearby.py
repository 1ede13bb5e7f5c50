"""How ``control_as_of`` answers a reader moving through dates: from the nearest slice already made.

Between two dates only the towns with a change dated between them can have another controller, so
``slice_for`` takes the nearest slice this process made for the same data revision,
asks the database again for those towns alone, and keeps the rest. A slider step of a week touches
about a tenth of the towns at 10,000 towns x 1,000,000 changes; a jump across years touches nearly
all of them, and then the whole slice is read (``control_as_of``), as it is for a first date (``slices.read_slice``).

The slices are remembered per worker under the data revision (a write makes them unreachable) and
under a token in the shared cache, so clearing the cache forgets them too. The answer is the same
as ``read_slice``'s for that date (tested).
"""

import datetime as dt
import threading
from collections import OrderedDict

from django.db.models import Subquery

from geodata.models import Town

from ..models import ControlChange
from .dates import cache_token, data_version
from .period import make_change_row, period_changes
from .rows import faction_rows
from .rule import Visibility, counted_q
from .slices import ControlSnapshot, read_slice
from .theatre_walk import changes_in_theatre

KEEP = 8  # slices remembered per worker (about 2 MB each at 10,000 towns)
KEEP_MOMENTS = 2  # "as published" moments whose slices are remembered besides the current view's
TOKEN_KEY = "nearby-slices:token"
# Past this share of the towns, reading the whole slice is cheaper than a range of the log plus a
# lookup per touched town.
MOST_TOWNS = 0.5

_lock = threading.Lock()
_kept: dict[tuple, OrderedDict[dt.date, ControlSnapshot]] = {}


def _slices(*, seen: Visibility, theatre: int | None = None) -> OrderedDict[dt.date, ControlSnapshot]:
    """This worker's slices of the current revision (older revisions' are dropped), of every town or of one
    theatre's."""
    version = data_version(published_only=seen.published_only, theatre=theatre)
    key = (cache_token(TOKEN_KEY), version, seen, theatre)
    with _lock:
        if key not in _kept:
            # This theatre's slices of another revision are dropped (all of them when the cache was cleared);
            # another theatre's stay: each is keyed by its own revision.
            for old in [k for k in _kept if k[0] != key[0] or k[2:] == key[2:]]:
                del _kept[old]
            # Each "as published" moment is a view of its own: only the last few moments' are kept, or a
            # reader walking through moments would fill the worker's memory.
            moments = [k for k in _kept if k[2].known_at is not None]
            for old in moments[: max(0, len(moments) + 1 - KEEP_MOMENTS)] if seen.known_at is not None else []:
                del _kept[old]
            _kept[key] = OrderedDict()
        return _kept[key]


def _changed_between(start: dt.date, end: dt.date, *, seen: Visibility):
    """Changes that count dated in (start, end]: the ones that can give a town another controller."""
    return ControlChange.objects.filter(counted_q(seen), effective_date__gt=start, effective_date__lte=end)


def _moved(
    base: ControlSnapshot, *, on: dt.date, seen: Visibility, theatre: int | None = None,
) -> ControlSnapshot | None:
    """``base`` moved to ``on``; None when so many towns changed that the whole slice is cheaper.

    Forward, by the period's changes in force (``period``: each town's latest of them is its change in
    force at ``on``; the others keep base's), read once for the request; back, by the slice of the towns
    with a change in between read again.
    """
    if base.on < on:
        rows = period_changes(start=base.on, end=on, seen=seen, theatre=theatre)
        if rows is None:
            return None
        moved = dict(base.changes)
        moved.update((row.town_id, make_change_row(row)) for row in rows)  # in order: the latest stays
        return ControlSnapshot(on=on, towns=base.towns, factions=faction_rows(),
                               changes={town.id: moved[town.id] for town in base.towns if town.id in moved})
    start, end = sorted((base.on, on))
    changed = _changed_between(start, end, seen=seen)
    if theatre is not None:  # walked by date or town by town, whichever reads less (theatre_walk)
        changed = changes_in_theatre(changed, theatre, start=start, end=end, towns=len(base.towns))
    most = int(len(base.towns) * MOST_TOWNS)
    if changed.order_by().values("town_id").distinct()[most:most + 1].exists():
        return None
    touched = Town.objects.filter(pk__in=Subquery(changed.order_by().values("town_id")))
    fresh = read_slice(on=on, seen=seen, towns=touched, theatre=theatre)
    changes = dict(base.changes)
    for town in fresh.towns:
        changes.pop(town.id, None)
    changes.update(fresh.changes)
    # In the towns' order, as control_as_of gives them.
    changes = {town.id: changes[town.id] for town in base.towns if town.id in changes}
    return ControlSnapshot(on=on, towns=base.towns, changes=changes, factions=fresh.factions)


def slice_for(*, on: dt.date, seen: Visibility, theatre: int | None = None) -> ControlSnapshot:
    """The slice of every town (of the theatre with id ``theatre``) on ``on``, from the nearest slice this
    worker has for the revision."""
    slices = _slices(seen=seen, theatre=theatre)
    with _lock:
        kept = slices.get(on)
        nearest = min(slices.values(), key=lambda s: abs((s.on - on).days), default=None)
    if kept is not None:
        return kept
    snapshot = None if nearest is None else _moved(nearest, on=on, seen=seen, theatre=theatre)
    if snapshot is None:
        snapshot = read_slice(on=on, seen=seen, theatre=theatre)
    with _lock:
        slices[on] = snapshot
        while len(slices) > KEEP:
            slices.popitem(last=False)
    return snapshot
