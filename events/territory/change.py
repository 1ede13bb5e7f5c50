"""What changed between two dates, with conquest kept apart from bookkeeping.

Reads only. Both dates are measured on the same Voronoi cells (those of every town with a record,
see ``rule.AREA_RULE``), so each cell's km² moves from its class at the start to its class at
the end: from one faction to another (gained from / lost to), from unpainted to a faction (newly
recorded: a first record, not a conquest) or back (no longer recorded). Per faction the four add
up to the change in its painted area, exactly.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.core.cache import cache
from django.urls import reverse

from conflictmap.throttles import build_check
from geodata import spatial
from geodata.models import Theatre

from .. import selectors
from ..colours import NO_RECORD_COLOUR
from ..models import Faction
from ..selectors import ControlSnapshot, data_version
from .cells import cell_areas, cells_key
from .rule import CACHE_SECONDS, CONTESTED, CONTESTED_COLOUR, CONTESTED_NAME, area_rule, recorded_classes

UNPAINTED = ""  # the class of land no record speaks for, in group keys (None elsewhere)


class TownRef(NamedTuple):
    """A town as a diff names it: light to keep in the cache (a model unpickles at ~15 µs, with its
    alternate names' JSON decoded, and a 30-day diff at size names thousands)."""

    pk: int
    name: str
    slug: str
    admin_area_id: int | None

    def get_absolute_url(self) -> str:
        return reverse("town-detail", kwargs={"slug": self.slug})


class _TownRefs:
    """The towns a diff names, from its end slice's own rows: no query (two reads of 4,000 ids each were
    ~40 ms of a 30-day diff after a write, at 10,000 towns), and one TownRef per town, shared by the
    handovers and the flows (so the cached diff holds, and pickles, each once)."""

    def __init__(self, snapshot: ControlSnapshot):
        self._rows = {t.id: t for t in snapshot.towns}
        self._refs: dict[int, TownRef] = {}

    def __getitem__(self, town_id: int) -> TownRef:
        ref = self._refs.get(town_id)
        if ref is None:
            t = self._rows[town_id]
            ref = self._refs[town_id] = TownRef(t.id, t.name, t.slug, t.admin_area_id)
        return ref


class Handover(NamedTuple):
    """A town whose controller differs between the two dates (a tuple: a 30-day diff at size holds
    thousands, built, cached and read on every request after a write)."""

    town: TownRef
    from_faction: Faction | None
    to_faction: Faction
    date: dt.date


@dataclass(frozen=True)
class Flow:
    """Land (km²) and towns that went from one class to another; None is unpainted (no record)."""

    from_class: str | None
    to_class: str | None
    km2: float
    towns: tuple[TownRef, ...]


@dataclass(frozen=True)
class TerritoryChange:
    start: dt.date
    end: dt.date
    handovers: list[Handover]
    area_change: dict[str, dict[str, float]]
    flows: list[Flow]
    rule: dict

    def __reduce__(self):
        # Cached as columns of plain values: pickling thousands of towns and handovers one object at a time
        # (a Python call per named tuple) cost ~15 ms of the diff after each write at 10,000 towns, and as
        # much again to read it back.
        # (A date is pickled as a call of its own: kept as its ordinal.)
        towns = {h.town.pk: h.town for h in self.handovers}
        for f in self.flows:
            towns.update({t.pk: t for t in f.towns})
        # The few factions by identity, then by id (a model's hash and ``pk`` are Python calls: thousands here).
        factions = {id(f): f for h in self.handovers for f in (h.from_faction, h.to_faction) if f is not None}
        factions = {f.id: f for f in factions.values()}
        handovers = [(h.town.pk, h.from_faction and h.from_faction.id, h.to_faction.id, h.date.toordinal())
                     for h in self.handovers]
        flows = [(f.from_class, f.to_class, f.km2, [t.pk for t in f.towns]) for f in self.flows]
        return _unpacked, (self.start, self.end, list(map(tuple, towns.values())), factions, handovers,
                           flows, self.area_change, self.rule)


def _unpacked(start, end, towns, factions, handovers, flows, area_change, rule) -> TerritoryChange:
    refs = {t[0]: TownRef._make(t) for t in towns}
    factions[None] = None
    day = dt.date.fromordinal
    return TerritoryChange(
        start=start, end=end,
        handovers=[Handover(refs[town], factions[was], factions[to], day(date)) for town, was, to, date in handovers],
        area_change=area_change,
        flows=[Flow(was, to, km2, tuple(refs[t] for t in ids)) for was, to, km2, ids in flows],
        rule=rule,
    )


def territory_between(
    *, start: dt.date, end: dt.date, published_only: bool = True, theatre: Theatre | None = None,
) -> TerritoryChange:
    """What changed from the end of ``start`` to the end of ``end``; cached per data version and rule.

    handovers: towns whose controlling faction differs between the two dates (a town taken and lost
    again in between is not listed), dated by the change in force at ``end``; a first record has
    no from_faction. flows: km² and towns per (class at start, class at end), classes being faction
    slugs, "contested" or None (unpainted). area_change per class: gained_km2 and lost_km2 (from and
    to other classes only), newly_recorded_km2, no_longer_recorded_km2, before_km2 and after_km2.
    ``theatre``: its towns' slices on its own cells (``cells_key``).
    """
    if start > end:
        raise ValueError("start must not be after end")
    rule = area_rule()
    key = (f"territory:between:v2:{start.isoformat()}:{end.isoformat()}:{int(published_only)}:"
           f"{rule['radius_km']:g}:{data_version(theatre=theatre)}") + ("" if theatre is None else f":{theatre.pk}")
    cached = cache.get(key)
    if cached is None:
        build_check()  # a miss builds: counted against the client's limit (429 past it)
        cached = _territory_between(start=start, end=end, published_only=published_only, rule=rule, theatre=theatre)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def _handovers(before: ControlSnapshot, after: ControlSnapshot, towns: _TownRefs) -> list[Handover]:
    """Towns whose controlling faction differs between two slices, dated by the change in force at the end."""
    factions = {f.pk: f for f in selectors.factions_by_name()}
    held = before.changes
    handovers = []
    for town_id, change in after.changes.items():
        was = held.get(town_id)
        if was is None:
            handovers.append(Handover(towns[town_id], None, factions[change.faction_id], change.effective_date))
        elif was.faction_id != change.faction_id:
            handovers.append(Handover(towns[town_id], factions[was.faction_id], factions[change.faction_id],
                                      change.effective_date))
    handovers.sort(key=lambda h: (h.date, h.town.name, h.town.pk))
    return handovers


def _territory_between(
    *, start: dt.date, end: dt.date, published_only: bool, rule: dict, theatre: Theatre | None = None,
) -> TerritoryChange:
    # A diff reads two slices, and everything below is worked out from them.
    before = selectors.control_as_of(on=start, published_only=published_only, theatre=theatre)
    after = selectors.control_as_of(on=end, published_only=published_only, theatre=theatre)
    # The start slice holds every town of the theatre (or of every theatre): it stands for their places and
    # settles their sites, so only the towns with nothing in force then are probed (a theatre's every town was
    # probed, and its towns read again, after each write).
    cells, town_sites = cell_areas(published_only=published_only,
                                   key=cells_key(published_only=published_only, known=before, theatre=theatre))
    town_before, town_after = recorded_classes(before), recorded_classes(after)
    # Each cell's km² moves from its site's class at the start to its class at the end; summed in one pass over
    # plain values: through pandas (a frame of the cells, three groupbys) it was ~6 ms at 1,000 cells and ~20 ms
    # at 10,000, whatever the period.
    site_before = spatial.site_class_map(town_before, town_sites)
    site_after = spatial.site_class_map(town_after, town_sites)
    km2: dict[tuple[str, str], float] = {}
    painted_before: dict[str, float] = {}
    painted_after: dict[str, float] = {}
    for site, area in zip(cells["site"].tolist(), cells["area_km2"].tolist(), strict=True):
        if area != area:  # NaN: no area, as pandas' sums skip it
            continue
        was, now = site_before.get(site, UNPAINTED), site_after.get(site, UNPAINTED)
        if was != now:
            km2[(was, now)] = km2.get((was, now), 0.0) + area
        if was != UNPAINTED:
            painted_before[was] = painted_before.get(was, 0.0) + area
        if now != UNPAINTED:
            painted_after[now] = painted_after.get(now, 0.0) + area
    # The towns whose class differs, grouped by (class before, class after): plain dicts, not frames (the
    # frames' build, sort and groupby were ~20 ms of the diff after a write at 10,000 towns).
    by_pk = _TownRefs(after)
    pairs: dict[tuple[str, str], list[TownRef]] = {}
    for town in after.towns:
        pair = (town_before.get(town.id, UNPAINTED), town_after.get(town.id, UNPAINTED))
        if pair[0] != pair[1]:
            pairs.setdefault(pair, []).append(by_pk[town.id])
    moved = {pair: sorted(refs, key=lambda t: (t.name, t.pk)) for pair, refs in pairs.items()}
    flows = [
        Flow(from_class=before or None, to_class=after or None, km2=round(float(km2.get((before, after), 0.0)), 3),
             towns=tuple(moved.get((before, after), ())))
        for before, after in sorted(set(km2) | set(moved))
    ]
    area_change = {}
    for klass in sorted(set(painted_before) | set(painted_after)
                        | {c for f in flows for c in (f.from_class, f.to_class) if c}):
        area_change[klass] = {
            "before_km2": round(painted_before.get(klass, 0.0), 3),
            "after_km2": round(painted_after.get(klass, 0.0), 3),
            "gained_km2": _total(flows, to_class=klass, other=True),
            "lost_km2": _total(flows, from_class=klass, other=True),
            "newly_recorded_km2": _total(flows, to_class=klass, other=False),
            "no_longer_recorded_km2": _total(flows, from_class=klass, other=False),
        }
    return TerritoryChange(
        start=start, end=end, handovers=_handovers(before, after, by_pk),
        area_change=area_change, flows=flows, rule=rule,
    )


def _total(flows: list[Flow], *, from_class: str | None = None, to_class: str | None = None, other: bool) -> float:
    """km² of the flows out of ``from_class`` (or into ``to_class``): to/from other classes, or to/from unpainted."""
    total = 0.0
    for f in flows:
        mine, theirs = (f.from_class, f.to_class) if from_class else (f.to_class, f.from_class)
        if mine == (from_class or to_class) and (theirs is not None) == other:
            total += f.km2
    return round(total, 3)


def _town(town: TownRef) -> dict:
    return {"id": town.pk, "name": town.name, "slug": town.slug}


def territory_change_summary(change: TerritoryChange) -> dict:
    """The change as plain data, the same for the API and the page: the rule; per faction its km² before
    and after, gained from and lost to each other class, newly and no longer recorded, with the towns
    behind each; and every flow of land once, as changed hands, newly or no longer recorded."""
    names = {f.slug: (f.name, f.colour) for f in selectors.factions_by_name()}
    names[CONTESTED] = (CONTESTED_NAME, CONTESTED_COLOUR)

    def side(klass: str | None) -> dict:
        name, colour = names.get(klass, (klass, NO_RECORD_COLOUR)) if klass else ("No record", None)
        return {"faction": klass, "faction_name": name, "colour": colour}

    def flow(f: Flow, other: str | None) -> dict:
        return {**side(other), "km2": f.km2, "towns": [_town(t) for t in f.towns]}

    def plain(f: Flow) -> dict:
        return {"from": side(f.from_class), "to": side(f.to_class), "km2": f.km2, "towns": [_town(t) for t in f.towns]}

    factions = []
    for klass, km2 in change.area_change.items():
        outgoing = [f for f in change.flows if f.from_class == klass]
        incoming = [f for f in change.flows if f.to_class == klass]
        factions.append({
            **side(klass), **km2,
            "net_km2": round(km2["after_km2"] - km2["before_km2"], 3),
            "gained_from": [flow(f, f.from_class) for f in incoming if f.from_class is not None],
            "lost_to": [flow(f, f.to_class) for f in outgoing if f.to_class is not None],
            "newly_recorded": [flow(f, None) for f in incoming if f.from_class is None],
            "no_longer_recorded": [flow(f, None) for f in outgoing if f.to_class is None],
        })
    factions.sort(key=lambda r: (-r["net_km2"], r["faction_name"]))
    return {
        "from": change.start.isoformat(),
        "to": change.end.isoformat(),
        "rule": change.rule,
        "factions": factions,
        # Every flow once, in three kinds: fighting and the two kinds of bookkeeping.
        "changed_hands": [plain(f) for f in change.flows if f.from_class and f.to_class],
        "newly_recorded": [plain(f) for f in change.flows if not f.from_class],
        "no_longer_recorded": [plain(f) for f in change.flows if not f.to_class],
    }

