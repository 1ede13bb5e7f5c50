"""Is an incoming town one already known? Match by id, or by a shared name close by; list near misses. No ORM.

A place is anything with ``name``, ``alt_names``, ``latitude``, ``longitude``, ``geonames_id`` and
``external_ids`` (a stored Town or a TownRecord of a file).
"""

import difflib
import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass

from .boundaries import name_words, normalise_name

SAME_PLACE_M = 5_000.0  # a shared name this close: the same place
NEAR_MISS_M = 10_000.0  # a shared name this close, but beyond SAME_PLACE_M: named for review
SIMILAR_NAME_M = 1_000.0  # a similar (not the same) name this close: named for review
SIMILAR_RATIO = 0.8  # difflib's ratio between the matching forms of two names
# Within SAME_PLACE_M, a name joined from two ("Maskana - Onaiza", "A / B", "A (B)") one part of which is
# another place's name, or a name holding another's words ("Maskanah al-Jadida"), is named for review.
_JOINS = re.compile(r"\s+[-–—/|]\s+|\s*[/|(),]\s*")
MIN_PART_LETTERS = 4  # a shorter name inside a longer one ("Tal" in "Tal Abyad") is no evidence
_CELL_DEG = 0.1  # grid cell (about 11 km north-south): neighbours are found in the 3x3 cells around


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, spherical Earth): plenty for a few-km match."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


# A gazetteer repeats names, and every neighbour's names are compared: each name is normalised once.
_normalised = functools.lru_cache(maxsize=65_536)(normalise_name)


@functools.lru_cache(maxsize=65_536)
def _shape(name: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A name's words, and its parts with their matching forms if it is joined from several."""
    parts = tuple((p.strip(), _normalised(p)) for p in _JOINS.split(name) if _normalised(p))
    return tuple(name_words(name)), parts if len(parts) > 1 else ()


def _holds(outer: tuple[str, ...], inner: tuple[str, ...]) -> bool:
    """``inner``'s words run, in order, inside the longer ``outer``."""
    n = len(inner)
    return 0 < n < len(outer) and any(outer[i:i + n] == inner for i in range(len(outer) - n + 1))


def related_names(mine: list[str], theirs: list[str]) -> str | None:
    """Why two lists of names may name one place though no name is shared: a joined name one of whose
    parts is (or is like) a name of the other, or a name holding another's words; None if neither."""
    mine_shapes, their_shapes = [_shape(n) for n in mine], [_shape(n) for n in theirs]
    if not any(parts for _, parts in mine_shapes + their_shapes) and not (
        {w for words, _ in mine_shapes for w in words} & {w for words, _ in their_shapes for w in words}
    ):
        return None  # the usual neighbour: nothing joined and no word shared, so no name holds another
    pairs = ((mine, theirs), (theirs, mine))
    for joined_side, other_side in pairs:
        for joined in joined_side:
            for part, form in _shape(joined)[1]:
                for other in other_side:
                    if len(form) >= MIN_PART_LETTERS and form == _normalised(other):
                        return f"joined name ({joined}: {part} = {other})"
    for joined_side, other_side in pairs:
        for joined in joined_side:
            for part, form in _shape(joined)[1]:
                for other in other_side:
                    other_form = _normalised(other)
                    if min(len(form), len(other_form)) >= MIN_PART_LETTERS and _close(form, other_form):
                        return f"joined name ({joined}: {part} ~ {other})"
    for outer_side, inner_side in pairs:
        for outer in outer_side:
            for inner in inner_side:
                words = _shape(inner)[0]
                if len("".join(words)) >= MIN_PART_LETTERS and _holds(_shape(outer)[0], words):
                    return f"{outer} contains {inner}"
    return None


def _close(a: str, b: str) -> bool:
    # The cheap upper bounds first (difflib's own idiom): most neighbours' names fail them.
    m = difflib.SequenceMatcher(None, a, b)
    return m.real_quick_ratio() >= SIMILAR_RATIO and m.quick_ratio() >= SIMILAR_RATIO and m.ratio() >= SIMILAR_RATIO


def _raw_names(place) -> list[str]:
    return [n for n in [place.name, *place.alt_names] if n.strip()]


def names_of(place) -> set[str]:
    return {_normalised(n) for n in [place.name, *place.alt_names] if n.strip()}


def _ids(place) -> dict[str, str]:
    ids = {f"ext:{k}": str(v) for k, v in (place.external_ids or {}).items()}
    if place.geonames_id:
        ids["geonames"] = str(place.geonames_id)
    return ids


def ids_conflict(a, b) -> bool:
    """Both carry an id of the same kind and they differ: the publisher says two places."""
    mine, theirs = _ids(a), _ids(b)
    return any(theirs.get(k) not in (None, v) for k, v in mine.items())


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL_DEG), math.floor(lon / _CELL_DEG)


@dataclass(frozen=True)
class Match:
    place: object
    how: str  # "ocha_pcode C4268", "GeoNames id 162803", "name Uqayribat, 0.9 km"


@dataclass(frozen=True)
class NearMiss:
    place: object
    reason: str  # "same name, 7.2 km apart", "similar name (Aqirbat ~ Aqirbah), 0.4 km apart"


class NameMatcher:
    """Places known by id, by name and by grid cell; finds the one a record is, and the near misses."""

    def __init__(self, places=()):
        self.names: dict[int, set[str]] = {}  # id(place) -> its names' matching forms
        self.by_id: dict[str, dict[str, object]] = defaultdict(dict)
        self.by_name: dict[str, list] = defaultdict(list)
        self.by_cell: dict[tuple[int, int], list] = defaultdict(list)
        for place in places:
            self.add(place)

    def add(self, place) -> None:
        for kind, value in _ids(place).items():
            self.by_id[kind].setdefault(value, place)
        self.names[id(place)] = names_of(place)
        for name in self.names[id(place)]:
            self.by_name[name].append(place)
        self.by_cell[_cell(place.latitude, place.longitude)].append(place)

    def find(self, record) -> Match | None:
        for kind, value in _ids(record).items():
            if (place := self.by_id.get(kind, {}).get(value)) is not None:
                return Match(place, f"GeoNames id {value}" if kind == "geonames" else f"{kind[4:]} {value}")
        best = None
        for name in sorted(names_of(record)):
            for place in self.by_name.get(name, []):
                d = distance_m(record.latitude, record.longitude, place.latitude, place.longitude)
                if d <= SAME_PLACE_M and not ids_conflict(record, place) and (best is None or d < best[0]):
                    best = (d, place, name)
        if best is None:
            return None
        d, place, name = best
        return Match(place, f"name {name}, {d / 1000:.1f} km")

    def near_misses(self, record) -> list[NearMiss]:
        """Places that may be this one but are not matched: the same name 5-10 km off (or closer with
        another id); a joined name one of whose parts is the other's name, or a name holding the
        other's, within 5 km unless their ids differ (OCHA's "Jurah" and "Jurah Tahtani" are two
        communities); a similar name within 1 km."""
        mine, found, seen = names_of(record), [], set()
        row, col = _cell(record.latitude, record.longitude)
        reach = math.ceil(NEAR_MISS_M / 1000 / (111 * _CELL_DEG * max(math.cos(math.radians(record.latitude)), 0.1)))
        for dr in (-1, 0, 1):
            for dc in range(-reach, reach + 1):
                for place in self.by_cell.get((row + dr, col + dc), []):
                    if id(place) in seen or place is record:
                        continue
                    seen.add(id(place))
                    d = distance_m(record.latitude, record.longitude, place.latitude, place.longitude)
                    if d > NEAR_MISS_M:
                        continue
                    theirs = self.names[id(place)]
                    if mine & theirs:
                        if d > SAME_PLACE_M or ids_conflict(record, place):
                            found.append(NearMiss(place, f"same name, {d / 1000:.1f} km apart"))
                    elif (d <= SAME_PLACE_M and not ids_conflict(record, place)  # two P-codes: two places
                          and (why := related_names(_raw_names(record), _raw_names(place)))):
                        found.append(NearMiss(place, f"{why}, {d / 1000:.1f} km apart"))
                    elif d <= SIMILAR_NAME_M and (pair := _similar(mine, theirs)):
                        found.append(NearMiss(place, f"similar name ({pair[0]} ~ {pair[1]}), {d / 1000:.1f} km apart"))
        return found


def _similar(mine: set[str], theirs: set[str]) -> tuple[str, str] | None:
    for a in sorted(mine):
        for b in sorted(theirs):
            if _close(a, b):
                return a, b
    return None


def dedupe_records(records: list) -> tuple[list, list[str], list[str]]:
    """Keep the first of each place in the file; describe the others, and the near misses within the file."""
    matcher, unique, duplicates, near = NameMatcher(), [], [], []
    for record in records:
        first = matcher.find(record)
        if first is not None:
            duplicates.append(f"{record.where}: {record.name} repeats {first.place.where} ({first.place.name})")
            continue
        near += [f"{record.where} ({record.name}) and {m.place.where} ({m.place.name}): {m.reason}"
                 for m in matcher.near_misses(record)]
        matcher.add(record)
        unique.append(record)
    return unique, duplicates, near
