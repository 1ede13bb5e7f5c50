"""Publication delays: how long a change is held back from anonymous readers (``events.delay_models``)."""

import datetime as dt
from collections.abc import Iterable

from geodata.models import AdminArea, Town

from ..models import ControlChange, PublicationDelay


class DelayTable:
    """Every delay, read once (a handful of rows), answering per change without a query."""

    def __init__(self) -> None:
        rows = list(PublicationDelay.objects.values_list("faction_id", "area_id", "hours"))
        self.faction = {f: h for f, a, h in rows if f is not None}
        self.area = {a: h for f, a, h in rows if a is not None}
        self._parents: dict[int, int | None] = (
            dict(AdminArea.objects.filter(children__isnull=False).values_list("children", "pk").distinct())
            if self.area
            else {}
        )
        self._town_areas: dict[int, int | None] = {}

    def _areas(self, area_id: int | None) -> Iterable[int]:
        seen = set()
        while area_id is not None and area_id not in seen:  # an area, then the governorate above it
            seen.add(area_id)
            yield area_id
            area_id = self._parents.get(area_id)

    def hours(self, *, town_id: int, faction_id: int, area_id: int | None = None) -> int:
        """The longest delay that applies: the faction's, the town's area's or its governorate's (0: none)."""
        if self.area and area_id is None:
            if town_id not in self._town_areas:
                self._town_areas[town_id] = (
                    Town.objects.filter(pk=town_id).values_list("admin_area_id", flat=True).first()
                )
            area_id = self._town_areas[town_id]
        found = [self.faction.get(faction_id, 0), *(self.area.get(a, 0) for a in self._areas(area_id))]
        return max(found)

    def public_from(self, change: ControlChange) -> dt.datetime | None:
        """When anonymous readers see ``change`` once published (its reviewed_at plus the delay)."""
        if change.reviewed_at is None:
            return None
        town = change._state.fields_cache.get("town")  # the town the caller loaded, if any: no query
        area_id = town.admin_area_id if town is not None else None
        hours = self.hours(town_id=change.town_id, faction_id=change.faction_id, area_id=area_id)
        return change.reviewed_at + dt.timedelta(hours=hours)


def change_public_from(*, change: ControlChange) -> dt.datetime | None:
    """When anonymous readers see this change once published (see ``DelayTable.public_from``)."""
    return DelayTable().public_from(change)
