"""Read town files (GeoNames dump, CSV, GeoJSON points) into checked records, and find duplicates. No writes."""

import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from conflictmap.text_checks import NUL_MESSAGE

from .boundaries import normalise_name

SAME_PLACE_M = 2_000.0
FORMATS = ("geonames", "csv", "geojson")
# The standard GeoNames dump columns (https://download.geonames.org/export/dump/readme.txt).
GEONAMES_COLUMNS = [
    "geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude", "feature class",
    "feature code", "country code", "cc2", "admin1 code", "admin2 code", "admin3 code", "admin4 code",
    "population", "elevation", "dem", "timezone", "modification date",
]
CSV_ALIASES = {
    "name": ["name"],
    "alt_names": ["alt_names", "alternate names", "alternate_names", "alternatenames"],
    "latitude": ["latitude", "lat"],
    "longitude": ["longitude", "lon", "lng"],
    "population": ["population"],
    "geonames_id": ["geonames_id", "geonameid"],
    "slug": ["slug"],
}


class TownFileError(Exception):
    """Every bad row of a town file; nothing has been written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class TownRecord:
    line: int
    name: str
    latitude: float
    longitude: float
    alt_names: list[str] = field(default_factory=list)
    population: int | None = None
    geonames_id: int | None = None
    slug: str | None = None  # the name other files (a seed's changes) use for the town
    kind: str = "line"  # a GeoJSON file's rows are features, numbered from 1

    @property
    def where(self) -> str:
        return f"{self.kind} {self.line}"

    @property
    def names(self) -> set[str]:
        return {normalise_name(n) for n in [self.name, *self.alt_names] if n.strip()}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, spherical Earth): plenty for a 2 km duplicate test."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def _number(value, kind, where: str, column: str, errors: list[str], required: bool = False):
    text = "" if value is None else str(value).strip()
    if text == "":
        if required:
            errors.append(f"{where}, {column}: a value is required")
        return None
    try:
        return kind(text)
    except ValueError:
        errors.append(f"{where}, {column}: '{text}' is not a number")
        return None


def _record(
    line, name, lat, lon, alt_names, population, geonames_id, errors, slug=None, kind="line"
) -> TownRecord | None:
    before, where = len(errors), f"{kind} {line}"
    name = (name or "").strip()
    if not name:
        errors.append(f"{where}, name: a name is required")
    lat = _number(lat, float, where, "latitude", errors, required=True)
    lon = _number(lon, float, where, "longitude", errors, required=True)
    if lat is not None and not -90 <= lat <= 90:
        errors.append(f"{where}, latitude: {lat} is not between -90 and 90")
    if lon is not None and not -180 <= lon <= 180:
        errors.append(f"{where}, longitude: {lon} is not between -180 and 180")
    population = _number(population, int, where, "population", errors)
    geonames_id = _number(geonames_id, int, where, "geonames_id", errors)
    for column, text in (("name", name), ("alt_names", ";".join(alt_names)), ("slug", str(slug or ""))):
        if "\x00" in text:  # PostgreSQL cannot store it; SQLite would, and every export would carry it
            errors.append(f"{where}, {column}: {NUL_MESSAGE}")
    if len(errors) > before:
        return None
    alt = [a for a in dict.fromkeys(a.strip() for a in alt_names) if a and a != name]
    slug = str(slug).strip() if slug is not None else ""
    return TownRecord(line, name, lat, lon, alt, population or None, geonames_id, slug or None, kind)


def _geonames(path: Path, errors: list[str]) -> tuple[list[TownRecord], int]:
    records, skipped = [], 0
    with path.open(encoding="utf-8", newline="") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip() or text.startswith("#"):
                continue
            cells = text.rstrip("\n").split("\t")
            if len(cells) != len(GEONAMES_COLUMNS):
                errors.append(f"line {line}: {len(cells)} tab-separated fields, a GeoNames dump has 19")
                continue
            row = dict(zip(GEONAMES_COLUMNS, cells, strict=True))
            if row["feature class"] != "P":  # mountains, wadis, regions: not towns
                skipped += 1
                continue
            alt = row["alternatenames"].split(",") if row["alternatenames"] else []
            record = _record(
                line, row["name"], row["latitude"], row["longitude"], [row["asciiname"], *alt],
                row["population"], row["geonameid"], errors,
            )
            if record:
                records.append(record)
    return records, skipped


def _csv(path: Path, errors: list[str]) -> list[TownRecord]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = {h.strip().lower(): h for h in reader.fieldnames or []}
        column = {key: next((header[a] for a in aliases if a in header), None) for key, aliases in CSV_ALIASES.items()}
        missing = [k for k in ("name", "latitude", "longitude") if column[k] is None]
        if missing:
            raise TownFileError([f"line 1: missing column(s) {', '.join(missing)}; the file has {', '.join(header)}"])
        records = []
        for row in reader:
            def get(key, row=row):
                return row.get(column[key]) if column[key] else None

            record = _record(
                reader.line_num, get("name"), get("latitude"), get("longitude"),
                (get("alt_names") or "").split(";"), get("population"), get("geonames_id"), errors,
                slug=get("slug"),
            )
            if record:
                records.append(record)
        return records


def _geojson(path: Path, errors: list[str]) -> list[TownRecord]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TownFileError([f"{path.name}: not JSON ({exc})"]) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise TownFileError([f"{path.name}: not a GeoJSON FeatureCollection"])
    records = []
    for n, feature in enumerate(data.get("features") or [], start=1):
        geometry = (feature or {}).get("geometry") or {}
        props = (feature or {}).get("properties") or {}
        coords = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            errors.append(f"feature {n} ({props.get('name', 'no name')}): not a Point")
            continue
        alt = props.get("alt_names") or []
        alt = alt.split(";") if isinstance(alt, str) else [str(a) for a in alt]
        # RFC 7946: longitude first.
        record = _record(
            n, props.get("name"), coords[1], coords[0], alt, props.get("population"),
            props.get("geonames_id"), errors, slug=props.get("slug"), kind="feature",
        )
        if record:
            records.append(record)
    return records


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".csv":
        return "csv"
    return "geonames"


def read_towns(path: Path | str, file_format: str | None = None) -> tuple[list[TownRecord], int]:
    """Records and the number of rows skipped as not populated places; TownFileError lists every bad row."""
    path = Path(path)
    if not path.is_file():
        raise TownFileError([f"{path}: no such file"])
    file_format = file_format or guess_format(path)
    if file_format not in FORMATS:
        raise TownFileError([f"unknown format '{file_format}'; choose one of {', '.join(FORMATS)}"])
    errors: list[str] = []
    try:
        if file_format == "geonames":
            records, skipped = _geonames(path, errors)
        else:
            records, skipped = (_csv if file_format == "csv" else _geojson)(path, errors), 0
    except UnicodeDecodeError as exc:
        raise TownFileError([f"{path.name}: not UTF-8 text ({exc.reason})"]) from exc
    if errors:
        raise TownFileError(errors)
    return records, skipped


class NameMatcher:
    """Finds a place already known by GeoNames id, or by any shared name within SAME_PLACE_M."""

    def __init__(self, places=()):
        self.by_id: dict[int, object] = {}
        self.by_name: dict[str, list] = defaultdict(list)
        for place in places:
            self.add(place)

    @staticmethod
    def _names(place) -> set[str]:
        return {normalise_name(n) for n in [place.name, *place.alt_names] if n.strip()}

    def add(self, place) -> None:
        if place.geonames_id:
            self.by_id[place.geonames_id] = place
        for name in self._names(place):
            self.by_name[name].append(place)

    def find(self, record: TownRecord):
        if record.geonames_id and record.geonames_id in self.by_id:
            return self.by_id[record.geonames_id]
        for name in sorted(record.names):
            for place in self.by_name.get(name, []):
                if distance_m(record.latitude, record.longitude, place.latitude, place.longitude) <= SAME_PLACE_M:
                    return place
        return None


def dedupe_records(records: list[TownRecord]) -> tuple[list[TownRecord], list[str]]:
    """Keep the first of each place in the file; describe the others."""
    matcher, unique, duplicates = NameMatcher(), [], []
    for record in records:
        first = matcher.find(record)
        if first is not None:
            duplicates.append(f"{record.where}: {record.name} repeats {first.where} ({first.name})")
            continue
        matcher.add(record)
        unique.append(record)
    return unique, duplicates
