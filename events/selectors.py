"""Reads of the control log. Every time slice is a constant number of queries."""

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery

from geodata.models import AdminArea, Town

from .models import ControlChange, Faction, Source

# Same-day order: part of day (unspecified first), then entry order.
CHRONOLOGICAL = ("effective_date", "day_part", "id")
LATEST_FIRST = ("-effective_date", "-day_part", "-id")

VISIBLE_STATES = {
    True: [ControlChange.State.PUBLISHED],
    False: [ControlChange.State.PUBLISHED, ControlChange.State.DRAFT],
}


def changes_in_force(*, published_only: bool = True) -> QuerySet[ControlChange]:
    """Changes that count: published (or drafts too, for an editor's preview), not superseded."""
    states = VISIBLE_STATES[published_only]
    superseded = ControlChange.objects.filter(supersedes=OuterRef("pk"), state__in=states)
    return ControlChange.objects.filter(state__in=states).filter(~Exists(superseded))


def _with_relations(qs: QuerySet[ControlChange]) -> QuerySet[ControlChange]:
    return qs.select_related(
        "town", "town__admin_area", "faction", "faction__parent", "contested_by"
    ).prefetch_related("sources")


@dataclass(frozen=True)
class TownControl:
    town: Town
    change: ControlChange | None


@dataclass(frozen=True)
class ControlSnapshot:
    """For every town, the change in force on ``on`` (None where nothing is recorded yet)."""

    on: dt.date
    towns: list[Town]
    changes: dict[int, ControlChange] = field(default_factory=dict)

    def __iter__(self) -> Iterator[TownControl]:
        for town in self.towns:
            yield TownControl(town=town, change=self.changes.get(town.pk))

    def __len__(self) -> int:
        return len(self.towns)

    def change_for(self, town: Town | int) -> ControlChange | None:
        return self.changes.get(town if isinstance(town, int) else town.pk)


def latest_change_ids(*, on: dt.date, published_only: bool = True) -> QuerySet:
    """Ids of the change in force per town on ``on``: one index range lookup per town."""
    latest = (
        changes_in_force(published_only=published_only)
        .filter(town=OuterRef("pk"), effective_date__lte=on)
        .order_by(*LATEST_FIRST)
        .values("pk")[:1]
    )
    return (
        Town.objects.annotate(change_id=Subquery(latest))
        .filter(change_id__isnull=False)
        .order_by()
        .values_list("change_id", flat=True)
    )


def control_as_of(*, on: dt.date, published_only: bool = True) -> ControlSnapshot:
    """The change in force for each town on ``on`` (inclusive): three queries, any number of towns.

    For each town the database walks the (town, effective_date) index backwards from ``on`` and
    takes the first row, so the cost grows with the number of towns, not with the log's length.
    """
    changes = _with_relations(
        ControlChange.objects.filter(
            pk__in=latest_change_ids(on=on, published_only=published_only)
        )
    )
    towns = list(Town.objects.select_related("admin_area").order_by("name", "pk"))
    return ControlSnapshot(on=on, towns=towns, changes={c.town_id: c for c in changes})


def town_history(*, town: Town, published_only: bool = True) -> list[ControlChange]:
    """The town's changes in force, oldest first."""
    qs = changes_in_force(published_only=published_only).filter(town=town)
    return list(_with_relations(qs).order_by(*CHRONOLOGICAL))


def changes_between(
    *, start: dt.date, end: dt.date, published_only: bool = True
) -> list[ControlChange]:
    """Changes dated from ``start`` to ``end``, both inclusive, in order."""
    if start > end:
        raise ValueError("start must not be after end")
    qs = changes_in_force(published_only=published_only).filter(
        effective_date__gte=start, effective_date__lte=end
    )
    return list(_with_relations(qs).order_by(*CHRONOLOGICAL))


def change_dates(*, published_only: bool = True) -> list[dt.date]:
    """Distinct dates on which control changed, in order (for the time control)."""
    qs = changes_in_force(published_only=published_only)
    return list(qs.order_by("effective_date").values_list("effective_date", flat=True).distinct())


def latest_change_date(*, published_only: bool = True) -> dt.date | None:
    return changes_in_force(published_only=published_only).aggregate(d=Max("effective_date"))["d"]


def faction_find(*, name: str) -> Faction | None:
    """A faction by slug, name, short name or alias, case-insensitively."""
    wanted = name.strip().casefold()
    if not wanted:
        return None
    for faction in Faction.objects.all():
        names = [faction.slug, faction.name, faction.short_name, *faction.aliases]
        if wanted in {n.casefold() for n in names}:
            return faction
    return None


def data_version() -> str:
    """Changes whenever any row that a map or export shows is created, edited or deleted."""
    parts = []
    for model in (ControlChange, Town, AdminArea, Faction, Source):
        agg = model.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
        parts.append(f"{model.__name__}:{agg['n']}:{agg['last'].isoformat() if agg['last'] else ''}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def data_last_modified() -> dt.datetime | None:
    """When any row that a map or export shows was last created or edited (for Last-Modified)."""
    stamps = [
        model.objects.aggregate(last=Max("updated_at"))["last"]
        for model in (ControlChange, Town, AdminArea, Faction, Source)
    ]
    return max((s for s in stamps if s is not None), default=None)
