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


def data_version() -> str:
    """Changes whenever any row that a map or export shows is created, edited or deleted."""
    parts = []
    for model in (ControlChange, Town, AdminArea, Faction, Source):
        agg = model.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
        parts.append(f"{model.__name__}:{agg['n']}:{agg['last'].isoformat() if agg['last'] else ''}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def faction_colour_neighbours(*, faction: Faction) -> list[tuple[Faction, float]]:
    """Other factions whose map colour is hard to tell from this one's (CIEDE2000 below TOO_CLOSE)."""
    from .colours import TOO_CLOSE, colour_distance

    close = []
    for other in Faction.objects.exclude(pk=faction.pk):
        distance = colour_distance(faction.colour, other.colour)
        if distance < TOO_CLOSE:
            close.append((other, distance))
    return sorted(close, key=lambda pair: pair[1])


def _casefolded(names) -> set[str]:
    return {n.strip().casefold() for n in names if n and n.strip()}


@dataclass
class NameIndex:
    """Rows by id, slug, name or alias in one query; a name shared by several rows is ambiguous."""

    label: str
    by_key: dict[str, set[int]] = field(default_factory=dict)
    rows: dict[int, object] = field(default_factory=dict)

    def add(self, row, keys: set[str]) -> None:
        self.rows[row.pk] = row
        for key in keys:
            self.by_key.setdefault(key, set()).add(row.pk)

    def find(self, value: str):
        """(row, None) when found, else (None, a reason naming the problem)."""
        wanted = value.strip().casefold()
        if not wanted:
            return None, f"a {self.label} is required"
        pks = self.by_key.get(wanted, set())
        if len(pks) == 1:
            return self.rows[next(iter(pks))], None
        if not pks:
            return None, f"no {self.label} is called '{value.strip()}'"
        names = ", ".join(sorted(getattr(self.rows[pk], "slug", str(pk)) for pk in pks))
        return None, f"'{value.strip()}' names several {self.label}s ({names}); use the slug or id"


def town_index() -> NameIndex:
    """Every town by id, slug, name or alternate name (one query)."""
    index = NameIndex(label="town")
    for town in Town.objects.only("id", "slug", "name", "alt_names"):
        index.add(town, _casefolded([str(town.pk), town.slug, town.name, *town.alt_names]))
    # An id or slug is exact: let it win over another town's alias that happens to match.
    for town in index.rows.values():
        for key in (str(town.pk), town.slug.casefold()):
            index.by_key[key] = {town.pk}
    return index


def town_find(*, name: str) -> Town | None:
    """A town by id, slug, name or alternate name, case-insensitively; None if none or several."""
    return town_index().find(name)[0]


def faction_index() -> NameIndex:
    """Every faction by slug, name, short name or alias (one query)."""
    index = NameIndex(label="faction")
    for faction in Faction.objects.all():
        index.add(faction, _casefolded([faction.slug, faction.name, faction.short_name, *faction.aliases]))
    for faction in index.rows.values():
        index.by_key[faction.slug.casefold()] = {faction.pk}
    return index


def data_last_modified() -> dt.datetime | None:
    """When any row that a map or export shows was last created or edited (for Last-Modified)."""
    stamps = [
        model.objects.aggregate(last=Max("updated_at"))["last"]
        for model in (ControlChange, Town, AdminArea, Faction, Source)
    ]
    return max((s for s in stamps if s is not None), default=None)


# ---- Is a record on the public pages? (used by events.permissions' reviewer rules) ---------------
# Section owned by the events-services split (issue 9); keep it at the end of the file.


def source_is_public(*, source: Source) -> bool:
    """Whether a published change cites the source, i.e. the public pages show it."""
    return source.pk is not None and source.control_changes.filter(state=ControlChange.State.PUBLISHED).exists()


def town_is_public(*, town: Town) -> bool:
    """Whether the town has published changes, i.e. it is on the public map."""
    return town.pk is not None and ControlChange.objects.filter(
        town_id=town.pk, state=ControlChange.State.PUBLISHED).exists()
