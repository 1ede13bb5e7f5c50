"""Load the shipped scenario in ``seeds/`` through the loaders a user runs on their own files.

Boundaries go through ``admin_areas_load``, towns through ``towns_load``, factions and sources
through their services, changes through the CSV import (published), so the shipped data meets the
user's rules and gets the user's row errors. Everything runs in one transaction that is rolled back
if any file has a bad row. Rows already stored are reported as present and left as they are.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from geodata import services as geodata_services
from geodata.boundaries import BoundaryFileError, FieldSpec
from geodata.models import AdminArea, Theatre
from geodata.town_files import TownFileError

from .csv_files import RowError, csv_rows
from .imports import SourceIndex, changes_import_check, changes_import_commit, csv_date
from .models import Faction, Source
from .permissions import SEED
from .services import faction_save, source_save

SEED_DIR = Path(settings.BASE_DIR) / "seeds"
# OCHA's official boundaries (CC BY 3.0 IGO; the credit is theatre.json's), simplified within an IoU of
# 0.99 by scripts/simplify_boundaries.py; see seeds/README.md.
BOUNDARIES = [
    ("ocha_governorates.geojson", AdminArea.Level.PROVINCE), ("ocha_districts.geojson", AdminArea.Level.DISTRICT),
]
LOADER_LINE = re.compile(r"line (\d+)(?: \(.*?\))?(?:, (\w+))?: (.*)", re.S)  # "line 3 (Raqqa), latitude: ..."


class SeedError(Exception):
    """Raised with every bad row; nothing has been written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class SeedReport:
    """Rows per kind: created by this load, updated (a stored area got the shipped boundary), present."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)


class _Seed:
    def __init__(self, directory: Path):
        self.directory, self.report, self.errors = directory, SeedReport(), []
        self.made: set[str] = set()  # governorates created from governorates.csv by this load
        self.touched: set[str] = set()  # stored governorates that gained curated alternate names
        self.theatre: Theatre | None = None  # theatre.json's, found or made first (_theatre)

    def text(self, name: str) -> str:
        try:
            return (self.directory / name).read_text(encoding="utf-8-sig")
        except OSError as exc:
            self.errors.append(RowError(0, "-", f"cannot be read ({exc.strerror or exc})", name))
            return ""

    def rows(self, name: str, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
        text = self.text(name)
        rows, errors = csv_rows(text=text, required=columns, file=name) if text else ([], [])
        self.errors += errors
        return rows

    def loader_errors(self, name: str, messages: list[str]) -> None:
        """The boundary and town loaders' messages ("line 3, latitude: ...") as row errors."""
        for message in messages:
            found = LOADER_LINE.fullmatch(message)
            line, column, reason = (int(found[1]), found[2] or "-", found[3]) if found else (
                0, "-", message.removeprefix(f"{name}: "))
            self.errors.append(RowError(line, column, reason, name))

    def field_errors(self, name: str, line: int, exc: ValidationError) -> None:
        self.errors += [RowError(line, f, " ".join(m), name) for f, m in exc.message_dict.items()]

    def count(self, kind: str, created: int = 0, present: int = 0, updated: int = 0) -> None:
        self.report.created[kind] += created
        self.report.present[kind] += present
        self.report.updated[kind] += updated

    def error(self, name: str, line: int, column: str, reason: str) -> None:
        self.errors.append(RowError(line, column, reason, name))


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


# theatre.json's fields a stored theatre takes where its own are blank (an editor's values are kept), with
# its default view (view_bbox: [west, south, east, north]).
THEATRE_FIELDS = ("boundaries_credit", "boundaries_url", "boundaries_licence_url", "gazetteer_credit", "control_credit")


def _theatre(seed: _Seed) -> bool:
    """The seed's theatre (theatre.json: slug, name, credit lines), made if missing; a stored one gains the
    credit lines it lacks, so the map credits the shipped boundaries as their licence asks."""
    name = "theatre.json"
    text = seed.text(name)
    if not text:
        return False
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("it must be a JSON object")
        slug, title = str(data["slug"]), str(data["name"])
        values: dict = {f: str(data.get(f) or "") for f in THEATRE_FIELDS} | {"view_bbox": data.get("view_bbox")}
    except (ValueError, KeyError) as exc:
        seed.error(name, 0, "-", f"is not a theatre (slug, name and credit lines): {exc}")
        return False
    theatre = Theatre.objects.filter(slug=slug).first()
    made = theatre is None
    theatre = theatre or Theatre(slug=slug, name=title)
    missing = {f: v for f, v in values.items() if v and not getattr(theatre, f)}
    if made or missing:
        for f, v in missing.items():
            setattr(theatre, f, v)
        try:
            theatre = geodata_services.theatre_save(theatre=theatre)
        except ValidationError as exc:
            seed.field_errors(name, 0, exc)
            return False
    seed.theatre = theatre
    # Counted when made or given credit lines only: a migrated database starts with it (see 0004_theatres).
    if made or missing:
        seed.count("theatre", created=int(made), updated=int(not made))
    return True


def _governorates(seed: _Seed) -> dict[str, int] | None:
    """governorates.csv's curated governorates, before the boundary file: the loader matches them by
    code and keeps their names (the official file spells them otherwise: Idleb, Lattakia, Dar'a).

    A stored one gains the listed alternate names it lacks. Returns the codes listed, or None when
    a row is bad (code -> line otherwise). Counts are left to ``_boundaries``, which sees what the
    file then did.
    """
    curated = seed.rows("governorates.csv", ["code", "slug", "name", "name_ar", "alt_names"])
    stored = {a.code: a for a in AdminArea.objects.filter(level=AdminArea.Level.PROVINCE, theatre=seed.theatre)}
    ok = True
    for line, v in curated:
        area = stored.get(v["code"]) or AdminArea(
            theatre=seed.theatre, code=v["code"], slug=v["slug"], name=v["name"], name_ar=v["name_ar"],
            level=AdminArea.Level.PROVINCE, country_code=v["code"][:2],
        )
        missing = [n for n in _names(v["alt_names"]) if n not in area.alt_names]
        if area.pk is not None and not missing:
            continue
        area.alt_names = [*area.alt_names, *missing]
        (seed.touched if area.pk else seed.made).add(area.code)
        try:
            geodata_services.admin_area_save(area=area)
        except ValidationError as exc:
            seed.field_errors("governorates.csv", line, exc)
            ok = False
    return {v["code"]: line for line, v in curated} if ok else None


def _boundaries(seed: _Seed) -> bool:
    """The curated governorates, then the official boundaries of both levels through the boundary loader."""
    listed = _governorates(seed)
    if listed is None:
        return False
    for name, level in BOUNDARIES:
        try:
            loaded = geodata_services.admin_areas_load(
                path=seed.directory / name, spec=FieldSpec.build(level=level, preset="ocha"), level=level, commit=True,
                theatre=seed.theatre,
            )
        except BoundaryFileError as exc:
            seed.loader_errors(name, [str(exc)])
            return False
        except geodata_services.BoundaryLoadError as exc:
            seed.loader_errors(name, exc.problems)
            return False
        for code, how in loaded.outcome.items():
            if code in seed.made or how == "created":
                seed.count("admin areas", created=1)
            elif how == "updated" or code in seed.touched:
                seed.count("admin areas", updated=1)
            else:
                seed.count("admin areas", present=1)
        if level == AdminArea.Level.PROVINCE:
            codes = set(loaded.layer.frame["code"])
            for code in sorted(codes - set(listed)):
                seed.error(name, 0, "-", f"{code} is not in governorates.csv")
            for code in sorted(set(listed) - codes):
                seed.error("governorates.csv", listed[code], "code", f"no boundary for {code} in {name}")
    return True


def _towns(seed: _Seed, *, allow_outside: bool) -> None:
    # The loader's spatial join places each town; tests/geodata/test_seed_boundaries.py checks that it
    # puts every seed town in the governorate of towns.csv's `governorate` column.
    try:
        loaded = geodata_services.towns_load(
            path=seed.directory / "towns.csv", file_format="csv", commit=True, allow_outside=allow_outside,
            theatre=seed.theatre,
        )
    except TownFileError as exc:
        seed.loader_errors("towns.csv", exc.errors)
        return
    seed.loader_errors("towns.csv", loaded.duplicates)
    seed.count("towns", len(loaded.created), len(loaded.present))


def _factions(seed: _Seed) -> None:
    known = {f.slug: f for f in Faction.objects.all()}
    stored, seen = set(known), {}
    columns = ["slug", "name", "short_name", "colour", "parent", "aliases", "description"]
    for line, v in seed.rows("factions.csv", columns):
        if v["slug"] in seen:
            seed.error("factions.csv", line, "slug", f"'{v['slug']}' repeats line {seen[v['slug']]}")
            continue
        seen[v["slug"]] = line
        if v["slug"] in stored:
            seed.count("factions", present=1)
            continue
        parent = known.get(v["parent"]) if v["parent"] else None
        if v["parent"] and parent is None:
            seed.error("factions.csv", line, "parent", f"no faction '{v['parent']}' is stored or listed above")
            continue
        faction = Faction(
            slug=v["slug"], name=v["name"], short_name=v["short_name"], colour=v["colour"], parent=parent,
            aliases=_names(v["aliases"]), description=v["description"],
        )
        try:
            known[v["slug"]] = faction_save(faction=faction, by=SEED)
        except ValidationError as exc:
            seed.field_errors("factions.csv", line, exc)
            continue
        seed.count("factions", created=1)


def _sources(seed: _Seed) -> None:
    index, stored, seen = SourceIndex(), set(Source.objects.values_list("pk", flat=True)), {}
    for line, v in seed.rows("sources.csv", ["publisher", "title", "url", "published", "language", "summary"]):
        match = index.find(v["url"], v["title"], v["publisher"])
        if match is not None and match.pk in stored:
            seed.count("sources", present=1)
            continue
        if match is not None:
            seed.error("sources.csv", line, "title", f"the same source as line {seen[match.pk]}")
            continue
        try:
            source = Source(publisher=v["publisher"], title=v["title"], url=v["url"], language=v["language"],
                            summary=v["summary"], published=csv_date(v["published"], field="published"))
            source_save(source=source, by=SEED)
        except ValidationError as exc:
            seed.field_errors("sources.csv", line, exc)
            continue
        index.add(source)
        seen[source.pk] = line
        seed.count("sources", created=1)


def _changes(seed: _Seed) -> None:
    text = seed.text("changes.csv")
    if not text:
        return
    plan = changes_import_check(text=text, publish=True, skip_present=True, theatre=seed.theatre)
    seed.errors += [replace(e, file="changes.csv") for e in plan.errors]
    if seed.errors:
        return
    if plan.rows:
        changes_import_commit(plan=plan, by=SEED)
    seed.count("control changes", len(plan.rows), len(plan.present))


def seed_scenario_load(*, directory: Path = SEED_DIR) -> SeedReport:
    """Load every seed file in one transaction; raise SeedError naming each bad row (nothing is written then)."""
    seed = _Seed(Path(directory))
    with transaction.atomic():
        if not _theatre(seed):
            raise SeedError(seed.errors)
        boundaries_loaded = _boundaries(seed)
        # Without boundaries every town would be "outside": that would only repeat the boundary errors.
        _towns(seed, allow_outside=not boundaries_loaded)
        _factions(seed)
        _sources(seed)
        _changes(seed)
        if seed.errors:
            raise SeedError(seed.errors)
    return seed.report
