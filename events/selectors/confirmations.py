"""How long ago each town's controller was last confirmed: ``last_confirmed`` for a whole time slice.

A town's ``last_confirmed`` on a date D is the latest of its change in force's date and the dates of
its confirmations that count (published, as known at the reader's moment: ``rule.Visibility``) dated
on or before D and naming that same controller. It is read in one query for the whole slice: each
town's confirmation is the first row of the (town, faction, confirmed_on) index walked backwards from
D, so the cost grows with the towns, not with the confirmations or the log; where only a few
confirmations count on or before D (none, a young record), they are read whole instead.
"""

import datetime as dt
import json
from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection

from geodata.models import AdminArea, Theatre

from ..confirmation_models import Confirmation
from ..models import ControlChange
from .rows import ChangeRow
from .rule import Visibility, counted_q, counted_sql, visibility


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# Up to this many confirmations that count (or a quarter of the slice's towns, if more) are read whole and
# matched in Python; past it, each town's is looked up in the index (``_walked``).
FEW_CONFIRMATIONS = 100


def last_confirmed(
    *,
    on: dt.date,
    changes: Iterable[ChangeRow],
    seen: Visibility | None = None,
    theatre_id: int | None = None,
) -> dict[int, dt.date]:
    """{town id: its last_confirmed on ``on``} for the towns of ``changes`` (each town's change in force
    on ``on``, as a slice holds them; of the theatre with id ``theatre_id`` when given).

    First the confirmations that count dated on or before ``on`` are read, at most a few more than
    ``FEW_CONFIRMATIONS`` (or a quarter of the towns) of them: where they are that few (none, or the
    handful of a young record), each town's latest naming its controller after its change's date is
    found among them and nothing more is read. Otherwise ``_walked``: one query, each change in force
    found by its id with its town's latest confirmation, so the cost grows with the towns, never with the
    confirmations.
    """
    seen = seen or visibility()
    changes = list(changes)
    found = {c.town_id: c.effective_date for c in changes}
    if not found:
        return found
    if theatre_id is not None:
        # The first read walks the confirmed_on index of every theatre: in a theatre with few or no
        # confirmations it read all the others' (~25,000 of the first theatre's for the second's 1,000 towns:
        # 90-200 ms at 1,000,000 changes, against 2-20 ms walked per change), so a theatre's are walked at once.
        return _walked(on=on, changes=changes, seen=seen, found=found)
    few = max(FEW_CONFIRMATIONS, len(changes) // 4)
    rows = _counted_rows(on=on, seen=seen, theatre_id=theatre_id, limit=few + 1)
    if len(rows) > few:
        return _walked(on=on, changes=changes, seen=seen, found=found)
    latest: dict[tuple[int, int], dt.date] = {}
    for town_id, faction_id, confirmed in rows:  # newest first: a town and faction's first row is its latest
        latest.setdefault((town_id, faction_id), _as_date(confirmed))
    for c in changes:
        confirmed = latest.get((c.town_id, c.faction_id))
        if confirmed is not None and confirmed > c.effective_date:
            found[c.town_id] = confirmed
    return found


def _counted_rows(*, on: dt.date, seen: Visibility, theatre_id: int | None, limit: int) -> list[tuple]:
    """(town id, faction id, confirmed_on) of up to ``limit`` confirmations that count dated on or before
    ``on`` (of the theatre's towns): the confirmed_on index walked back from ``on``."""
    rows = Confirmation.objects.filter(counted_q(seen, model=Confirmation), confirmed_on__lte=on)
    if theatre_id is not None:
        rows = rows.filter(town__theatre_id=theatre_id)
    return list(rows.order_by("-confirmed_on").values_list("town_id", "faction_id", "confirmed_on")[:limit])


def _walked(*, on: dt.date, changes: list[ChangeRow], seen: Visibility, found: dict[int, dt.date]) -> dict:
    """``found`` moved to each town's latest confirmation that counts naming its controller after its change's
    date, looked up per change in the (town, faction, confirmed_on) index: one query. The changes go in as
    their ids alone: a town, faction and date per row cost as much to write and read back as the walk."""
    ids = [c.id for c in changes]
    rule, rule_params = counted_sql(seen, "k", model=Confirmation)
    table, change = Confirmation._meta.db_table, ControlChange._meta.db_table
    listed: list[int] | str
    if connection.vendor == "postgresql":
        wanted, listed = "= ANY(%s)", ids
    else:
        wanted, listed = "IN (SELECT value FROM json_each(%s))", json.dumps(ids)
    # Every change's row, the empty ones left out here: a WHERE on the subquery's value had SQLite run it twice.
    sql = f"""
        SELECT c.town_id, (
            SELECT k.confirmed_on FROM {table} k
            WHERE k.town_id = c.town_id AND k.faction_id = c.faction_id
              AND k.confirmed_on <= %s AND k.confirmed_on > c.effective_date AND {rule}
            ORDER BY k.confirmed_on DESC LIMIT 1
        ) FROM {change} c WHERE c.id {wanted}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [on, *rule_params, listed])
        for town_id, confirmed in cursor.fetchall():
            if confirmed is not None:
                found[town_id] = _as_date(confirmed)
    return found


def days_since(on: dt.date, confirmed: dt.date | None) -> int | None:
    return None if confirmed is None else (on - confirmed).days


def latest_confirmation_date(*, on: dt.date, theatre_id: int | None = None) -> dt.date | None:
    """The latest day on or before ``on`` with a confirmation that counts (of the theatre with id
    ``theatre_id`` when given): the control layer's day moves on to it, as to a change's date, so a
    confirmation after the last change shows from its own day (the confirmed_on index walked back)."""
    rows = Confirmation.objects.filter(counted_q(visibility(), model=Confirmation), confirmed_on__lte=on)
    if theatre_id is not None:
        rows = rows.filter(town__theatre_id=theatre_id)
    return rows.order_by("-confirmed_on").values_list("confirmed_on", flat=True).first()


class StaleTown(NamedTuple):
    """A town whose controller was last confirmed more than the threshold's days before the date."""

    governorate: str  # its governorate's name (a district's parent), or "" when it is in none
    town_id: int
    town: str
    faction: str  # the controller's name
    since: dt.date  # its change in force's date
    last_confirmed: dt.date
    days: int


def stale_towns(*, on: dt.date, days: int, theatre: Theatre | None = None) -> list[StaleTown]:
    """The towns whose last_confirmed is more than ``days`` days before ``on`` (towns with no record have
    nothing to confirm), by governorate name, most stale first: the slice, its last confirmations and the
    governorates, three queries and a small one whatever the size."""
    from .slices import control_as_of

    snapshot = control_as_of(on=on, theatre=theatre)
    theatre_id = None if theatre is None else theatre.pk
    confirmed = last_confirmed(on=on, changes=snapshot.changes.values(), theatre_id=theatre_id)
    areas = {a["id"]: a for a in AdminArea.objects.values("id", "name", "level", "parent_id")}

    def governorate(area_id: int | None) -> str:
        area = areas.get(area_id) if area_id is not None else None
        if area is not None and area["level"] == AdminArea.Level.DISTRICT:
            area = areas.get(area["parent_id"])
        return area["name"] if area is not None else ""

    found = []
    for town in snapshot.towns:
        change = snapshot.changes.get(town.id)
        if change is None or (on - confirmed[town.id]).days <= days:
            continue
        faction = snapshot.factions[change.faction_id]
        found.append(
            StaleTown(
                governorate(town.admin_area_id),
                town.id,
                town.name,
                faction.name,
                change.effective_date,
                confirmed[town.id],
                (on - confirmed[town.id]).days,
            )
        )
    found.sort(key=lambda s: (s.governorate == "", s.governorate, -s.days, s.town, s.town_id))
    return found
