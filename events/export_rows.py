"""Row-level reads behind the exports: plain dicts from ``values()``, no model instances.

They choose changes with the same building blocks as ``events.selectors`` (``latest_change_ids``,
``changes_in_force``), so an export shows exactly the changes the map shows: published only,
superseded ones left out. Reading values instead of objects is what makes large exports cheap.
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import F

from geodata.models import AdminArea, Town

from .models import ControlChange, Faction
from .selectors import CHRONOLOGICAL, changes_in_force, latest_change_ids

TOWN_FIELDS = (
    "id", "name", "slug", "longitude", "latitude",
    "admin_area__name", "admin_area__code", "admin_area__level",
    "admin_area__parent__name", "admin_area__parent__code",
)
CHANGE_FIELDS = (
    "id", "town_id", "faction_id", "faction__slug", "faction__name", "faction__colour", "status",
    "contested_by__slug", "effective_date", "date_precision", "confidence",
)


def faction_with_members(faction: Faction) -> set[int]:
    """The faction and every group that rolls up into it, so a coalition filter includes its allies."""
    factions = Faction.objects.in_bulk()
    for member in factions.values():
        # Link the parents already in memory, so the walk up costs no query at any depth.
        member.parent = factions.get(member.parent_id)
    return {
        pk for pk, member in factions.items()
        if pk == faction.pk or faction.pk in {c.pk for c in member.coalition_chain()}
    }


def province_of(town: dict) -> tuple[str | None, str | None]:
    """(name, code) of the town's governorate; a town assigned to a district reports its parent."""
    if town["admin_area__level"] == AdminArea.Level.DISTRICT:
        return town["admin_area__parent__name"], town["admin_area__parent__code"]
    return town["admin_area__name"], town["admin_area__code"]


def town_rows() -> list[dict]:
    return list(Town.objects.order_by("name", "pk").values(*TOWN_FIELDS))


def control_rows(*, on: dt.date) -> tuple[list[dict], dict[int, dict]]:
    """Every town, and the published change in force on ``on`` keyed by town id (with its sources)."""
    latest = latest_change_ids(on=on)
    changes = {
        row["town_id"]: {**row, "sources": []}
        for row in ControlChange.objects.filter(pk__in=latest).values(*CHANGE_FIELDS)
    }
    by_change = {row["id"]: row for row in changes.values()}
    for link in _source_links(change_ids=latest):
        by_change[link.pop("controlchange_id")]["sources"].append(link)
    return town_rows(), changes


def _source_links(*, change_ids: Iterable[int]) -> list[dict]:
    through = ControlChange.sources.through
    return list(
        through.objects.filter(controlchange_id__in=change_ids)
        .order_by("controlchange_id", F("source__published").asc(nulls_last=True), "source_id")
        .values(
            "controlchange_id",
            title=F("source__title"),
            url=F("source__url"),
            publisher=F("source__publisher"),
            date=F("source__published"),
        )
    )


def change_rows(*, start: dt.date, end: dt.date, faction_ids: set[int] | None = None) -> list[dict]:
    """Published changes dated ``start``..``end`` (inclusive), each with the faction it replaced.

    ``from_faction`` is the faction of the town's previous change in force, which may be older than
    ``start``; so the town's history up to ``end`` is read (one query) and walked in order.
    """
    in_force = changes_in_force()
    in_range = in_force.filter(effective_date__gte=start, effective_date__lte=end)
    history = (
        in_force.filter(town__in=in_range.values("town_id"), effective_date__lte=end)
        .order_by("town_id", *CHRONOLOGICAL)
        .values(
            *CHANGE_FIELDS, "day_part", "town__name", "town__slug", "town__longitude", "town__latitude"
        )
    )
    rows, previous_town, previous = [], None, None
    for row in history:
        if row["town_id"] != previous_town:
            previous_town, previous = row["town_id"], None
        if row["effective_date"] >= start:
            involved = {row["faction_id"]} | ({previous["faction_id"]} if previous else set())
            if faction_ids is None or involved & faction_ids:
                rows.append({**row, "from_faction": previous["faction__slug"] if previous else None})
        previous = row
    rows.sort(key=lambda r: tuple(r[k] for k in CHRONOLOGICAL))
    return rows
