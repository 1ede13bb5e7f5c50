"""Load the shipped scenario (``seeds/*.csv``): check every row first, then write in one go.

Loading twice changes nothing: rows are matched on natural keys (faction slug, area code, town
slug, source publisher + title, change town + date + part of day) and existing rows are left as
editors may have improved them.
"""

import csv
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from geodata import spatial
from geodata.boundaries import BoundaryFileError, FieldSpec, read_boundaries
from geodata.models import AdminArea, Town
from geodata.services import geometry_json, towns_assign_admin_areas

from . import services
from .models import ControlChange, Faction, Source

SEED_DIR = Path(settings.BASE_DIR) / "seeds"
BOUNDARIES = "governorates.geojson"  # approximate; see seeds/README.md and scripts/make_boundaries.py

COLUMNS = {
    "factions.csv": ["slug", "name", "short_name", "colour", "parent", "aliases", "description"],
    "governorates.csv": ["code", "slug", "name", "name_ar", "alt_names"],
    "towns.csv": [
        "slug", "name", "alt_names", "latitude", "longitude", "population", "governorate",
        "geonames_id",
    ],
    "sources.csv": ["key", "publisher", "title", "url", "published", "language", "summary"],
    "changes.csv": [
        "town", "date", "precision", "day_part", "faction", "status", "contested_by",
        "confidence", "sources", "note",
    ],
}


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}, column {self.column}: {self.reason}"


class SeedError(Exception):
    """Raised with every bad row; nothing has been written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class SeedReport:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        kinds = sorted(set(self.created) | set(self.existing))
        return ", ".join(f"{k}: {self.created[k]} new, {self.existing[k]} present" for k in kinds)


@dataclass
class Row:
    file: str
    line: int
    values: dict[str, str]

    def error(self, column: str, reason: str) -> RowError:
        return RowError(self.file, self.line, column, reason)


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _read(directory: Path, name: str, errors: list[RowError]) -> list[Row]:
    path = directory / name
    if not path.exists():
        errors.append(RowError(name, 0, "-", "file is missing"))
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS[name] if c not in (reader.fieldnames or [])]
        if missing:
            errors.append(RowError(name, 1, ",".join(missing), "missing column(s)"))
            return []
        rows = []
        for values in reader:
            row = Row(name, reader.line_num, values)
            if None in values or any(v is None for v in values.values()):
                errors.append(row.error("-", "wrong number of fields"))
                continue
            rows.append(Row(name, reader.line_num, {k: v.strip() for k, v in values.items()}))
        return rows


def _field_errors(row: Row, exc: ValidationError, columns: dict[str, str]) -> list[RowError]:
    return [
        row.error(columns.get(name, name), " ".join(messages))
        for name, messages in exc.message_dict.items()
    ]


def _check(row: Row, instance, exclude: list[str], columns: dict[str, str], errors) -> None:
    try:
        instance.clean_fields(exclude=exclude)
        instance.clean()
    except ValidationError as exc:
        errors.extend(_field_errors(row, exc, columns))


def _parse_date(row: Row, column: str, errors: list[RowError]) -> dt.date | None:
    value = row.values[column]
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(row.error(column, f"'{value}' is not a date in YYYY-MM-DD form"))
        return None


def _unique(rows: list[Row], column: str, errors: list[RowError]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        key = row.values[column]
        if key in seen:
            errors.append(row.error(column, f"'{key}' repeats line {seen[key]}"))
        seen[key] = row.line


def seed_scenario_load(*, directory: Path = SEED_DIR) -> SeedReport:
    """Check every seed row, then write all of them in one transaction; raise SeedError if any is bad."""
    errors: list[RowError] = []
    tables = {name: _read(directory, name, errors) for name in COLUMNS}
    if errors:
        raise SeedError(errors)

    factions = tables["factions.csv"]
    _unique(factions, "slug", errors)
    faction_slugs = {r.values["slug"] for r in factions} | set(
        Faction.objects.values_list("slug", flat=True)
    )
    faction_ids = {slug: i for i, slug in enumerate(sorted(faction_slugs), start=1)}
    for row in factions:
        v = row.values
        if v["parent"] and v["parent"] not in faction_slugs:
            errors.append(row.error("parent", f"unknown faction '{v['parent']}'"))
        faction = Faction(
            slug=v["slug"], name=v["name"], short_name=v["short_name"], colour=v["colour"],
            aliases=_names(v["aliases"]), description=v["description"],
        )
        _check(row, faction, ["parent"], {}, errors)

    areas = tables["governorates.csv"]
    _unique(areas, "code", errors)
    for row in areas:
        v = row.values
        area = AdminArea(
            code=v["code"], slug=v["slug"], name=v["name"], name_ar=v["name_ar"],
            alt_names=_names(v["alt_names"]), level=AdminArea.Level.PROVINCE, country_code="SY",
        )
        _check(row, area, ["parent", "geometry"], {}, errors)
    area_codes = {r.values["code"] for r in areas} | set(
        AdminArea.objects.values_list("code", flat=True)
    )
    shapes = _read_boundaries(directory, {r.values["code"] for r in areas}, errors)

    towns = tables["towns.csv"]
    _unique(towns, "slug", errors)
    town_points: list[tuple[Row, float, float]] = []
    for row in towns:
        v = row.values
        if v["governorate"] and v["governorate"] not in area_codes:
            errors.append(row.error("governorate", f"unknown governorate code '{v['governorate']}'"))
        numbers = {}
        for column in ("latitude", "longitude", "population", "geonames_id"):
            try:
                numbers[column] = (
                    None if v[column] == "" else (float if column in ("latitude", "longitude") else int)(v[column])
                )
            except ValueError:
                errors.append(row.error(column, f"'{v[column]}' is not a number"))
        if len(numbers) < 4:
            continue
        if numbers["latitude"] is None or numbers["longitude"] is None:
            errors.append(row.error("latitude", "latitude and longitude are required"))
            continue
        town = Town(
            slug=v["slug"], name=v["name"], alt_names=_names(v["alt_names"]),
            latitude=numbers["latitude"], longitude=numbers["longitude"],
            population=numbers["population"], geonames_id=numbers["geonames_id"],
        )
        _check(row, town, ["admin_area"], {}, errors)
        town_points.append((row, numbers["longitude"], numbers["latitude"]))
    placed = _place_towns(town_points, shapes, errors)
    town_slugs = {r.values["slug"] for r in towns} | set(Town.objects.values_list("slug", flat=True))

    sources = tables["sources.csv"]
    _unique(sources, "key", errors)
    for row in sources:
        v = row.values
        source = Source(
            publisher=v["publisher"], title=v["title"], url=v["url"], language=v["language"],
            summary=v["summary"], published=_parse_date(row, "published", errors),
        )
        _check(row, source, [], {}, errors)
    source_keys = {r.values["key"] for r in sources}

    change_columns = {
        "effective_date": "date", "date_precision": "precision", "contested_by": "contested_by",
    }
    for row in tables["changes.csv"]:
        v = row.values
        if v["town"] not in town_slugs:
            errors.append(row.error("town", f"unknown town '{v['town']}'"))
        for column in ("faction", "contested_by"):
            if v[column] and v[column] not in faction_slugs:
                errors.append(row.error(column, f"unknown faction '{v[column]}'"))
        unknown = [k for k in _names(v["sources"]) if k not in source_keys]
        if unknown or not _names(v["sources"]):
            errors.append(row.error("sources", f"unknown or missing source key(s): {unknown or '-'}"))
        day_part = ControlChange.DayPart.from_text(v["day_part"])
        if day_part is None:
            errors.append(row.error("day_part", f"'{v['day_part']}' is not a part of day"))
        change_date = _parse_date(row, "date", errors)
        if change_date is None:
            if v["date"] == "":
                errors.append(row.error("date", "a date is required"))
            continue
        change = ControlChange(
            effective_date=change_date, date_precision=v["precision"], status=v["status"],
            confidence=v["confidence"], note=v["note"], state=ControlChange.State.PUBLISHED,
            day_part=day_part or ControlChange.DayPart.UNSPECIFIED,
            faction_id=faction_ids.get(v["faction"]),
            contested_by_id=faction_ids.get(v["contested_by"]),
        )
        _check(row, change, ["town", "faction", "contested_by", "supersedes"], change_columns, errors)

    if errors:
        raise SeedError(errors)
    return _write(tables, shapes, placed)


def _read_boundaries(directory: Path, codes: set[str], errors: list[RowError]) -> dict[str, dict]:
    """Governorate code -> GeoJSON geometry from the shipped boundary file (OCHA field names)."""
    path = directory / BOUNDARIES
    if not path.exists():
        errors.append(RowError(BOUNDARIES, 0, "-", "file is missing"))
        return {}
    try:
        layer = read_boundaries(path, FieldSpec.build(level=1, preset="ocha"))
    except BoundaryFileError as exc:
        errors.append(RowError(BOUNDARIES, 0, "-", str(exc)))
        return {}
    problems = layer.rejected + layer.repairs + layer.overlaps
    problems += [f"{code} is not in governorates.csv" for code in sorted(set(layer.frame["code"]) - codes)]
    problems += [f"no boundary for {code}" for code in sorted(codes - set(layer.frame["code"]))]
    errors.extend(RowError(BOUNDARIES, 0, "ADM1_PCODE", p) for p in problems)
    return {row.code: row.geometry for row in layer.frame.itertuples(index=False)}


def _place_towns(points: list[tuple[Row, float, float]], shapes: dict, errors: list[RowError]) -> dict[str, str]:
    """Town slug -> governorate code by spatial join; it must agree with the `governorate` column."""
    if not points or not shapes:
        return {}
    codes = sorted(shapes)
    areas = gpd.GeoDataFrame(
        {"area_id": range(len(codes)), "code": codes}, geometry=[shapes[c] for c in codes], crs=spatial.WGS84
    )
    towns = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([p[1] for p in points], [p[2] for p in points]), crs=spatial.WGS84
    )
    joined = spatial.towns_join_areas(towns, areas)
    placed = {}
    for (row, lon, lat), area_id, distance in zip(points, joined["area_id"], joined["distance_m"], strict=True):
        if pd.isna(area_id):
            far = f"{distance / 1000:.1f} km"
            errors.append(row.error("latitude", f"{lat}, {lon} lies {far} outside every governorate"))
            continue
        code = codes[int(area_id)]
        if row.values["governorate"] and code != row.values["governorate"]:
            errors.append(row.error(
                "governorate", f"the boundaries place the town in {code}, the column says {row.values['governorate']}"
            ))
        placed[row.values["slug"]] = code
    return placed


@transaction.atomic
def _write(tables: dict[str, list[Row]], shapes: dict, placed: dict[str, str]) -> SeedReport:
    report = SeedReport()

    def count(kind: str, created: bool) -> None:
        (report.created if created else report.existing)[kind] += 1

    for row in tables["factions.csv"]:
        v = row.values
        _, created = Faction.objects.get_or_create(
            slug=v["slug"],
            defaults=dict(
                name=v["name"], short_name=v["short_name"], colour=v["colour"].lower(),
                aliases=_names(v["aliases"]), description=v["description"],
            ),
        )
        count("factions", created)
    for row in tables["factions.csv"]:
        if row.values["parent"]:
            Faction.objects.filter(slug=row.values["slug"], parent__isnull=True).update(
                parent=Faction.objects.get(slug=row.values["parent"])
            )

    boundaries_filled = False
    for row in tables["governorates.csv"]:
        v = row.values
        geometry = geometry_json(shapes[v["code"]])
        area, created = AdminArea.objects.get_or_create(
            code=v["code"],
            defaults=dict(
                slug=v["slug"], name=v["name"], name_ar=v["name_ar"],
                alt_names=_names(v["alt_names"]), level=AdminArea.Level.PROVINCE,
                country_code="SY", geometry=geometry,
            ),
        )
        count("admin areas", created)
        if not created and area.geometry is None:
            # An area without a boundary gets the shipped one; one an editor loaded is kept.
            area.geometry = geometry
            area.save(update_fields=["geometry", "updated_at"])
            boundaries_filled = True
            count("boundaries", True)

    areas = {a.code: a for a in AdminArea.objects.all()}
    for row in tables["towns.csv"]:
        v = row.values
        _, created = Town.objects.get_or_create(
            slug=v["slug"],
            defaults=dict(
                name=v["name"], alt_names=_names(v["alt_names"]),
                latitude=float(v["latitude"]), longitude=float(v["longitude"]),
                population=int(v["population"]) if v["population"] else None,
                geonames_id=int(v["geonames_id"]) if v["geonames_id"] else None,
                admin_area=areas.get(placed.get(v["slug"], v["governorate"])),
            ),
        )
        count("towns", created)
    if boundaries_filled:
        towns_assign_admin_areas()

    source_by_key = {}
    for row in tables["sources.csv"]:
        v = row.values
        source_by_key[v["key"]], created = Source.objects.get_or_create(
            publisher=v["publisher"], title=v["title"],
            defaults=dict(
                url=v["url"], language=v["language"], summary=v["summary"],
                published=dt.date.fromisoformat(v["published"]) if v["published"] else None,
            ),
        )
        count("sources", created)

    factions = {f.slug: f for f in Faction.objects.all()}
    towns = {t.slug: t for t in Town.objects.all()}
    for row in tables["changes.csv"]:
        v = row.values
        town, day_part = towns[v["town"]], ControlChange.DayPart.from_text(v["day_part"])
        when = dt.date.fromisoformat(v["date"])
        if ControlChange.objects.filter(town=town, effective_date=when, day_part=day_part).exists():
            count("control changes", False)
            continue
        try:
            services.control_change_create(
                town=town, faction=factions[v["faction"]], effective_date=when,
                status=v["status"], contested_by=factions.get(v["contested_by"]),
                date_precision=v["precision"], day_part=day_part, confidence=v["confidence"],
                sources=[source_by_key[k] for k in _names(v["sources"])], note=v["note"],
                state=ControlChange.State.PUBLISHED,
            )
        except ValidationError as exc:
            raise SeedError(_field_errors(row, exc, {"effective_date": "date"})) from exc
        count("control changes", True)
    return report
