"""The change feed's entries: each publication of a change and each retraction, newest first.

A change published and later retracted is two entries (its publication stays in the record readers
saw); a correction is the publication of the change that supersedes the earlier one. Entries are
read a page at a time through a cursor (the key of the last entry shown), never by an offset: the
next page is one index range whatever the depth, on ``change_reviewed_idx`` and ``change_retracted_idx``.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import CharField, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from geodata.models import Theatre, Town

from ..models import ControlChange, Faction, Source
from .coarse import without_coarse
from .rule import editor_reads, known_moment, reading_now, replaced_change_query, replaced_change_sql

State = ControlChange.State
PUBLISHED, RETRACTED = "published", "retracted"
# At one moment and one change, a retraction sorts after (newer than) the publication.
_KIND_RANK = {PUBLISHED: 0, RETRACTED: 1}


@dataclass(frozen=True)
class FeedKey:
    """An entry's place in the feed (moment, change id, kind); the feed is in descending key order."""

    at: dt.datetime
    change_id: int
    kind: str

    def sort_key(self) -> tuple:
        return (self.at, self.change_id, _KIND_RANK[self.kind])


@dataclass(frozen=True, slots=True)
class FeedChange:
    """What an entry shows of its change, read as plain values (a page is 100 of them: no model instances)."""

    pk: int
    town_name: str
    town_slug: str
    faction_name: str
    contested_by_name: str | None
    effective_date: dt.date
    date_precision: str
    day_part: int
    confidence: str
    note: str
    supersedes_id: int | None
    retraction_reason: str


@dataclass(frozen=True, slots=True)
class FeedSource:
    publisher: str
    title: str
    url: str


@dataclass(frozen=True)
class FeedEntry:
    key: FeedKey
    change: FeedChange
    replaced_faction: str | None  # the name of who held the town before (None for a first record)
    sources: tuple[FeedSource, ...] = ()  # the change's sources, newest first

    @property
    def kind(self) -> str:
        return self.key.kind


_FACTION_JOIN = f"JOIN {Faction._meta.db_table} f ON f.id = p.faction_id"  # the replaced change's faction
# The change's own columns an entry shows (FeedChange's after the names).
_SHOWN = (
    "effective_date",
    "date_precision",
    "day_part",
    "confidence",
    "note",
    "supersedes_id",
    "retraction_reason",
)


def _older(field: str, before: FeedKey | None, rank: int) -> Q:
    """Rows of this kind (``rank``) whose key is below ``before``."""
    if before is None:
        return Q()
    older = Q(**{f"{field}__lt": before.at}) | Q(**{field: before.at, "pk__lt": before.change_id})
    if rank < _KIND_RANK[before.kind]:
        older |= Q(**{field: before.at, "pk": before.change_id})
    return older


def _filtered(
    changes: QuerySet, *, theatre: Theatre | None, area_ids: Collection[int] | None, faction_ids: Collection[int] | None
) -> QuerySet:
    changes = without_coarse(changes, "town_id")  # the public: coarse towns only at district resolution
    if theatre is not None:
        changes = changes.filter(town__theatre=theatre)
    if area_ids is not None:
        changes = changes.filter(town__admin_area_id__in=list(area_ids))
    if faction_ids is not None:
        ids = list(faction_ids)
        changes = _with_replaced(changes).filter(Q(faction_id__in=ids) | Q(replaced_faction_id__in=ids))
    return changes


def _with_replaced(changes: QuerySet) -> QuerySet:
    """Who held the town before: the change it replaced in the record as known now (the rule's helper)."""
    return changes.annotate(replaced_faction_id=Subquery(replaced_change_query().values("faction_id")[:1]))


def change_feed_entries(
    *,
    limit: int,
    before: FeedKey | None = None,
    theatre: Theatre | None = None,
    area_ids: Collection[int] | None = None,
    faction_ids: Collection[int] | None = None,
) -> tuple[list[FeedEntry], bool]:
    """The ``limit`` newest entries below ``before`` (None: the newest), and whether more follow.

    ``area_ids``: only towns in these areas; ``faction_ids``: only changes where one of them gains
    (the change's faction) or loses (the faction of the change it replaced).
    """
    # The public meets a publication when its delay has passed (events.delay_models), an editor at once.
    published_at = "reviewed_at" if editor_reads() else "public_from"
    # As published at a moment (``?as_published=``): what a reader could see then, publications made public by
    # then and retractions made by then (a later retraction leaves the publication in what they saw).
    moment = known_moment()
    published_by = reading_now() if moment is None else min(moment, reading_now())
    kinds = {
        PUBLISHED: (
            published_at,
            Q(state__in=[State.PUBLISHED, State.RETRACTED], reviewed_at__isnull=False)
            & Q(**{f"{published_at}__lte": published_by}),
        ),
        RETRACTED: (
            "retracted_at",
            Q(state=State.RETRACTED, retracted_at__isnull=False)
            & (Q() if moment is None else Q(retracted_at__lte=moment)),
        ),
    }
    # The filters built once, each kind's range and order added to a copy. The page's keys from the change
    # table alone (joined to the towns only to filter by theatre or area), each kind one range of its moment's
    # index; then the page's changes by their ids, with the faction each replaced and the names. Joined to the
    # ranges, PostgreSQL planned the town join on its estimate of the filtered range, one row for "the faction,
    # or the faction it replaced": a sequential scan of the towns for each of the page's rows (26 of the
    # by-faction feed's 33 ms at a million changes). The ranges read the replaced faction only where the
    # faction filter needs it; the page's changes read it once, for the page alone, by the helper's SQL form
    # (the ORM form, compiled with each range, was most of a cold page's Python time on PostgreSQL).
    filtered = _filtered(ControlChange.objects.all(), theatre=theatre, area_ids=area_ids, faction_ids=faction_ids)
    found: list[tuple] = []
    for kind, (field, condition) in kinds.items():
        rows = (
            filtered.filter(condition, _older(field, before, _KIND_RANK[kind]))
            .order_by(f"-{field}", "-pk")
            .values_list(field, "pk")[: limit + 1]
        )
        found += [(FeedKey(at, pk, kind), pk) for at, pk in rows]
    found.sort(key=lambda entry: entry[0].sort_key(), reverse=True)
    more = len(found) > limit
    found = found[:limit]
    # The page's changes by id with the names of their factions (a table of a few rows), then their towns' (by
    # primary key: joined, PostgreSQL hashed every town for the page's hundred).
    page = ControlChange.objects.filter(pk__in={row[1] for row in found}).order_by()
    replaced = RawSQL(
        *replaced_change_sql(outer=ControlChange._meta.db_table, select="f.name", join=_FACTION_JOIN),
        output_field=CharField(),
    )
    shown = {
        pk: tuple(row)
        for pk, *row in page.annotate(replaced_faction_name=replaced).values_list(
            "pk", "replaced_faction_name", "town_id", "faction__name", "contested_by__name", *_SHOWN
        )
    }
    towns = Town.objects.filter(pk__in={row[1] for row in shown.values()}).order_by().values_list("pk", "name", "slug")
    town = {pk: (name, slug) for pk, name, slug in towns}
    # The page's sources in one query (in their own order: newest first), rather than a manager per entry.
    sources: dict[int, list[FeedSource]] = {row[1]: [] for row in found}
    cited = Source.objects.filter(control_changes__in=list(sources))
    for change_id, *source in cited.values_list("control_changes__id", "publisher", "title", "url"):
        sources[change_id].append(FeedSource(*source))
    entries = []
    for key, pk in found:
        replaced_name, town_id, *names_and_columns = shown[pk]
        change = FeedChange(pk, *town[town_id], *names_and_columns)
        entries.append(FeedEntry(key, change, replaced_name, tuple(sources[pk])))
    return entries, more
