"""Writes of places: save a town (with its area by spatial join), load boundaries, load towns."""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from shapely.geometry import shape

from . import selectors, spatial
from .boundaries import BoundaryLayer, FieldSpec, country_from_code, cross_overlaps, normalise_name, read_boundaries
from .models import AdminArea, Town
from .town_files import NameMatcher, TownFileError, TownRecord, dedupe_records, read_towns

GEOMETRY_GRID_DEG = 1e-7  # about 1 cm: stored coordinates stay stable when a file is loaded again
# With --replace, a new area and a stored one that each cover more than this share of the other are
# the same area under another name or code.
REPLACE_SHARE = 0.5


# Town → area -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    area_id: int | None
    how: str  # "within", "nearest", "outside" or "no boundaries"
    distance_m: float | None


def towns_place(*, towns: list[Town]) -> list[Placement]:
    """Where each town falls: the finest loaded level first (districts), then governorates."""
    if not towns:
        return []
    points = selectors.towns_frame(towns=towns)
    placements: list[Placement | None] = [None] * len(towns)
    for level in (AdminArea.Level.DISTRICT, AdminArea.Level.PROVINCE):
        areas = selectors.admin_areas_frame(level=level)
        if areas.empty:
            continue
        joined = spatial.towns_join_areas(points, areas)
        for i, (area_id, how, distance) in enumerate(joined[["area_id", "how", "distance_m"]].itertuples(index=False)):
            found = Placement(None if pd.isna(area_id) else int(area_id), how, None if pd.isna(distance) else distance)
            if placements[i] is None or (placements[i].area_id is None and found.area_id is not None):
                placements[i] = found
    return [p or Placement(None, "no boundaries", None) for p in placements]


def _outside_message(town: Town, placement: Placement) -> str:
    far = f"{placement.distance_m / 1000:,.1f} km" if placement.distance_m is not None else "far"
    return (
        f"{town.latitude}, {town.longitude} lies {far} outside every loaded boundary (more than "
        f"{spatial.SNAP_DISTANCE_M / 1000:g} km); check the coordinates and their order (latitude, "
        f"longitude), or mark the town as outside the boundaries."
    )


def town_save(*, town: Town) -> Town:
    """The one write path for a town: validate, place it in its admin area by spatial join, save."""
    town.full_clean(exclude=["admin_area"])
    placement = towns_place(towns=[town])[0]
    if placement.how == "outside" and not town.outside_boundaries:
        raise ValidationError({"latitude": _outside_message(town, placement)})
    town.admin_area_id = placement.area_id
    town.save()
    return town


@dataclass
class AssignmentReport:
    changed: list[tuple[Town, AdminArea | None, AdminArea | None]] = field(default_factory=list)
    unchanged: int = 0
    outside: list[tuple[Town, float | None]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"towns re-assigned: {len(self.changed)}, unchanged: {self.unchanged}"]
        out += [f"  {t}: {old or '-'} → {new or '-'}" for t, old, new in self.changed]
        out += [
            f"  {t}: {d / 1000:,.1f} km outside every area, left unassigned" if d is not None
            else f"  {t}: outside every area, left unassigned"
            for t, d in self.outside
        ]
        return out


@transaction.atomic
def towns_assign_admin_areas(*, towns: Iterable[Town] | None = None) -> AssignmentReport:
    """Re-run the spatial join (after boundaries load or change); towns far outside stay unassigned."""
    # No select_related: each town would decode its governorate's whole geometry.
    towns = list(Town.objects.order_by("pk") if towns is None else towns)
    report = AssignmentReport()
    if not selectors.boundaries_loaded():
        report.unchanged = len(towns)
        return report
    areas = {a.pk: a for a in AdminArea.objects.all()}
    dirty = []
    for town, placement in zip(towns, towns_place(towns=towns), strict=True):
        if placement.how == "outside" and not town.outside_boundaries:
            report.outside.append((town, placement.distance_m))
        if town.admin_area_id == placement.area_id:
            report.unchanged += 1
            continue
        report.changed.append((town, areas.get(town.admin_area_id), areas.get(placement.area_id)))
        town.admin_area_id = placement.area_id
        dirty.append(town)
    if dirty:
        # One UPDATE per area (bulk_update's CASE per row is ~10x slower at 10,000 towns), then the
        # history rows, so the audit trail shows the re-assignment.
        now = timezone.now()
        by_area: dict[int | None, list[int]] = defaultdict(list)
        for town in dirty:
            town.updated_at = now
            by_area[town.admin_area_id].append(town.pk)
        for area_id, ids in by_area.items():
            for start in range(0, len(ids), 900):  # under SQLite's bound-parameter limit
                Town.objects.filter(pk__in=ids[start:start + 900]).update(admin_area_id=area_id, updated_at=now)
        Town.history.bulk_history_create(dirty, batch_size=1000, update=True)
    return report


# Boundaries ---------------------------------------------------------------------------------


class BoundaryLoadError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class BoundaryLoadReport:
    layer: BoundaryLayer
    level: int
    committed: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stored_overlaps: list[str] = field(default_factory=list)
    assignment: AssignmentReport | None = None

    def lines(self) -> list[str]:
        verb = "" if self.committed else "would be "
        where = f" from layer {self.layer.layer}" if self.layer.layer else ""
        out = [f"read {len(self.layer.frame)} level-{self.level} areas{where} (source CRS {self.layer.source_crs})"]
        out += [f"repaired: {r}" for r in self.layer.repairs]
        out += [f"overlap: {o}" for o in self.layer.overlaps]
        out += [f"{verb}created: {name}" for name in self.created]
        out += [f"{verb}updated: {name}" for name in self.updated]
        out += [f"overlap with a stored area: {o}" for o in self.stored_overlaps]
        out.append(
            f"{len(self.created)} {verb}created, {len(self.updated)} {verb}updated, {len(self.unchanged)} unchanged"
        )
        if self.assignment:
            out += self.assignment.lines()
        if not self.committed:
            out.append("dry run: nothing written; add --commit to write")
        return out


def geometry_json(geom) -> dict:
    """GeoJSON for the JSON field, on a 1 cm grid so reloading the same file compares equal."""
    return json.loads(shapely.to_geojson(shapely.set_precision(geom, GEOMETRY_GRID_DEG)))


def _country_code(code: str, country: str | None) -> str | None:
    return country.upper() if country else country_from_code(code)


def admin_areas_load(
    *, path: Path | str, spec: FieldSpec, level: int, country: str | None = None, commit: bool = False,
    layer: str | None = None, replace: bool = False,
) -> BoundaryLoadReport:
    """Check a boundary file against the areas in the database, then (with commit) write it all at once.

    Existing areas of the level are matched by code, then by name (``normalise_name``); their
    geometry is replaced and a missing Arabic name filled, curated names and codes are kept. A new
    area that overlaps a stored area the file does not match is refused (``_check_against_stored``),
    unless ``replace`` and the two are mostly one another: then the stored area is matched by
    overlap. Raises BoundaryLoadError listing every problem; nothing is written then. ``layer``
    picks one layer of a multi-layer file.
    """
    layer = read_boundaries(path, spec, layer=layer)
    problems = list(layer.rejected)
    existing = list(AdminArea.objects.filter(level=level))
    by_code = {a.code: a for a in existing}
    by_name: dict[str, AdminArea] = {}
    for area in existing:
        for name in [area.name, *area.alt_names]:
            by_name.setdefault(normalise_name(name), area)
    parents = {a.code: a for a in AdminArea.objects.filter(level=AdminArea.Level.PROVINCE)}
    taken_slugs = set(AdminArea.objects.values_list("slug", flat=True))
    taken_codes = set(AdminArea.objects.values_list("code", flat=True))

    report = BoundaryLoadReport(layer=layer, level=level, committed=False)
    plan: list[tuple[AdminArea, object]] = []  # with the file's shapely geometry
    claimed: dict[int, str] = {}  # stored area pk -> the file feature that matched it
    for row in layer.frame.itertuples(index=False):
        geometry = geometry_json(row.geometry)
        area = by_code.get(row.code) or by_name.get(normalise_name(row.name))
        if area is not None:
            if area.pk in claimed:
                problems.append(f"{row.name} ({row.code}) and {claimed[area.pk]} both match {area.name} ({area.code})")
                continue
            claimed[area.pk] = f"{row.name} ({row.code})"
        parent = None
        if level == AdminArea.Level.DISTRICT:
            parent = parents.get(row.parent_code)
            if parent is None:
                problems.append(f"{row.name} ({row.code}): parent code '{row.parent_code}' is not a loaded governorate")
                continue
        if area is None:
            if row.code in taken_codes:
                problems.append(f"{row.name} ({row.code}): the code is used by an area of another level")
                continue
            country_code = _country_code(row.code, country)
            if country_code is None:
                problems.append(
                    f"{row.name} ({row.code}): cannot tell the country from the code; give --country (ISO alpha-2)"
                )
                continue
            slug = slugify(row.name) or slugify(row.code)
            if slug in taken_slugs:
                slug = f"{slug}-{slugify(row.code)}"
            taken_slugs.add(slug)
            area = AdminArea(
                code=row.code, name=row.name, name_ar=row.name_ar, slug=slug, level=level, parent=parent,
                country_code=country_code, geometry=geometry,
            )
            report.created.append(f"{row.name} ({row.code})")
        else:
            changed = area.geometry != geometry or (row.name_ar and not area.name_ar) or (
                parent is not None and area.parent_id != parent.pk
            )
            if not changed:
                report.unchanged.append(area.name)
                continue
            area.geometry = geometry
            area.name_ar = area.name_ar or row.name_ar
            if parent is not None:
                area.parent = parent
            how = "code" if area.code == row.code else f"name, file code {row.code}"
            report.updated.append(f"{area.name} ({area.code}, matched by {how})")
        try:
            area.full_clean(exclude=["slug"] if area.pk else None)
        except ValidationError as exc:
            problems.append(f"{row.name} ({row.code}): {'; '.join(exc.messages)}")
            continue
        plan.append((area, row.geometry))
    unmatched = [a for a in existing if a.pk not in claimed and a.geometry]
    plan = _check_against_stored(report=report, problems=problems, plan=plan, stored=unmatched, replace=replace)
    if problems:
        raise BoundaryLoadError(problems)
    if commit:
        with transaction.atomic():
            for area, _ in plan:
                area.save()
            report.assignment = towns_assign_admin_areas()
        report.committed = True
    return report


def _check_against_stored(
    *, report: BoundaryLoadReport, problems: list[str], plan: list[tuple[AdminArea, object]],
    stored: list[AdminArea], replace: bool,
) -> list[tuple[AdminArea, object]]:
    """Compare the planned areas with the stored areas of the level that the file does not match.

    A new area overlapping such an area by more than STORED_OVERLAP_KM2 is the same place under
    another name or code, or a border dispute: a problem. With ``replace``, a new area and a stored
    one that each cover more than REPLACE_SHARE of the other are one area: the stored one takes the
    file's boundary and the file's name as an alternate name (so the next load matches it by name),
    and keeps its name, code, page and towns; smaller overlaps are reported and kept, and a new
    area covering most of a stored one that is not mostly it (a merge or a split) stays a problem.
    An updated area's overlap is only reported: it is a neighbour whose border differs.
    Returns the plan with the matched new areas swapped for the stored ones.
    """
    if not plan or not stored:
        return plan
    pairs, new_km2, stored_km2 = cross_overlaps(
        gpd.GeoSeries([geom for _, geom in plan], crs=spatial.WGS84),
        gpd.GeoSeries([shape(a.geometry) for a in stored], crs=spatial.WGS84),
    )
    same = {
        i: j for i, j, km2 in pairs
        if replace and plan[i][0].pk is None and km2 > REPLACE_SHARE * max(new_km2[i], stored_km2[j])
    }
    for i, j in list(same.items()):
        if list(same.values()).count(j) > 1:  # only where the file's own areas overlap (reported above)
            problems.append(f"{plan[i][0].name} ({plan[i][0].code}) is one of several file areas that are {stored[j]}")
            del same[i]
    for i, j, km2 in pairs:
        new, old = plan[i][0], stored[j]
        if same.get(i) == j or j in same.values():
            continue  # the stored area takes this file's boundary; other overlaps with it are the file's own
        text = (
            f"{new.name} ({new.code}) overlaps the stored {old.name} ({old.code}) by {km2:,.1f} km² "
            f"({km2 / stored_km2[j]:.0%} of it)"
        )
        if new.pk is not None:
            report.stored_overlaps.append(text)
        elif not replace:
            problems.append(
                f"{text}, which the file does not match by code or name: add the file's name to "
                f"{old.name}'s alternate names, or give --replace to match areas that are mostly one another"
            )
        elif km2 > REPLACE_SHARE * min(new_km2[i], stored_km2[j]):
            problems.append(
                f"{text}: one covers most of the other but not the reverse (a merge or a split), so --replace "
                f"cannot tell them apart; delete or redraw {old.name} in the admin first"
            )
        else:
            report.stored_overlaps.append(f"{text}; kept")
    plan = list(plan)
    overlap = {(i, j): km2 for i, j, km2 in pairs}
    for i, j in same.items():
        new, geometry = plan[i]
        old = stored[j]
        old.geometry, old.name_ar = new.geometry, old.name_ar or new.name_ar
        if normalise_name(new.name) not in {normalise_name(n) for n in [old.name, *old.alt_names]}:
            old.alt_names = [*old.alt_names, new.name]
        if new.parent is not None:
            old.parent = new.parent
        try:
            old.full_clean(exclude=["slug"])
        except ValidationError as exc:
            problems.append(f"{new.name} ({new.code}): {'; '.join(exc.messages)}")
        report.created.remove(f"{new.name} ({new.code})")
        shared = overlap[i, j] / max(new_km2[i], stored_km2[j])
        report.updated.append(
            f"{old.name} ({old.code}, matched by overlap with {new.name} ({new.code}): each is {shared:.0%} or more "
            f"of the other; {new.name} becomes an alternate name)"
        )
        plan[i] = (old, geometry)
    return plan


# Towns from files ------------------------------------------------------------------------


@dataclass
class TownLoadReport:
    committed: bool
    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    skipped: int = 0

    def lines(self) -> list[str]:
        verb = "" if self.committed else "would be "
        out = [f"{verb}created: {n}" for n in self.created]
        out += [f"already present: {n}" for n in self.present]
        out += [f"duplicate in file: {d}" for d in self.duplicates]
        out.append(
            f"{len(self.created)} {verb}created, {len(self.present)} already present, "
            f"{len(self.duplicates)} duplicates in the file, {self.skipped} rows not populated places"
        )
        if not self.committed:
            out.append("dry run: nothing written; add --commit to write")
        return out


def _unique_slug(name: str, fallback: str, taken: set[str]) -> str:
    base = slugify(name) or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def towns_load(
    *, path: Path | str, file_format: str | None = None, commit: bool = False, allow_outside: bool = False
) -> TownLoadReport:
    """Read a GeoNames dump, CSV or GeoJSON of towns; check every row; create the new ones in one go.

    Rows are matched to each other and to existing towns by GeoNames id, then by name (any of
    their names, ignoring case and diacritics) within 2 km. Raises TownFileError with every bad
    row (including towns outside the loaded boundaries unless ``allow_outside``); nothing is
    written then.
    """
    records, skipped = read_towns(path, file_format)
    unique, duplicates = dedupe_records(records)
    existing = list(Town.objects.all())
    report = TownLoadReport(committed=False, skipped=skipped, duplicates=duplicates)
    new_records: list[TownRecord] = []
    matcher = NameMatcher(existing)
    for record in unique:
        match = matcher.find(record)
        if match is not None:
            report.present.append(f"line {record.line}: {record.name} = {match.name}")
        else:
            new_records.append(record)

    taken = set(Town.objects.values_list("slug", flat=True))
    towns = [
        Town(
            name=r.name, alt_names=r.alt_names, latitude=r.latitude, longitude=r.longitude,
            population=r.population, geonames_id=r.geonames_id, outside_boundaries=False,
            slug=_unique_slug(r.name, f"town-{r.geonames_id or r.line}", taken),
        )
        for r in new_records
    ]
    errors = []
    for record, town in zip(new_records, towns, strict=True):
        try:
            town.full_clean(exclude=["admin_area"])
        except ValidationError as exc:
            errors += [f"line {record.line}, {name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()]
    for record, town, placement in zip(new_records, towns, towns_place(towns=towns), strict=True):
        town.admin_area_id = placement.area_id
        if placement.how == "outside":
            if allow_outside:
                town.outside_boundaries = True
            else:
                errors.append(f"line {record.line}, latitude: {_outside_message(town, placement)}")
    if errors:
        raise TownFileError(errors)
    report.created = [f"{t.name} ({t.latitude}, {t.longitude})" for t in towns]
    if commit:
        with transaction.atomic():
            for town in towns:
                town.save()
        report.committed = True
    return report
