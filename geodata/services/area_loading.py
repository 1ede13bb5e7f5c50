"""Load a boundary file: check it against the stored areas of its level, then write it all at once."""

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from shapely.geometry import shape

from .. import spatial
from ..boundaries import BoundaryLayer, FieldSpec, country_from_code, cross_overlaps, normalise_name, read_boundaries
from ..boundary_checks import MAX_OVERLAP_SHARE
from ..models import AdminArea, Theatre, Town, default_theatre_id
from .admin_areas import admin_area_check, admin_areas_save_many, geometry_json
from .area_trust import TrustReport, areas_trust_check
from .town_loading import Progress
from .towns import AssignmentReport, towns_assign_admin_areas

# With --replace, a new area and a stored one that each cover more than this share of the other are
# the same area under another name or code.
REPLACE_SHARE = 0.5


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
    outcome: dict[str, str] = field(default_factory=dict)  # stored code -> "created", "updated" or "unchanged"
    stored_overlaps: list[str] = field(default_factory=list)
    trust: TrustReport = field(default_factory=TrustReport)
    forced: bool = False  # committed although trust.findings were found
    assignment: AssignmentReport | None = None


def _country_code(code: str, country: str | None) -> str | None:
    return country.upper() if country else country_from_code(code)


def admin_areas_load(
    *, path: Path | str, spec: FieldSpec, level: int, country: str | None = None, commit: bool = False,
    layer: str | None = None, replace: bool = False, force: bool = False, max_overlap: float = MAX_OVERLAP_SHARE,
    progress: Progress | None = None, theatre: Theatre | None = None,
) -> BoundaryLoadReport:
    """Check a boundary file against the areas in the database, then (with commit) write it all at once.

    Existing areas of the level are matched by code, then by name (``normalise_name``); their
    geometry is replaced and a missing Arabic name filled, curated names and codes are kept. A new
    area that overlaps a stored area the file does not match is refused (``_check_against_stored``),
    unless ``replace`` and the two are mostly one another: then the stored area is matched by
    overlap. Raises BoundaryLoadError listing every problem; nothing is written then. ``layer``
    picks one layer of a multi-layer file. ``theatre``: the theatre the areas belong to (default: the
    first); only its areas are matched, and only its towns are re-assigned.

    What the file would do that cannot be trusted unseen (``areas_trust_check``: a repair that
    changes an area by more than 1%, an overlap above ``max_overlap`` of the smaller area, an area
    outside the stored country, towns left outside every area) is listed in ``report.trust``; a
    commit is refused with it unless ``force``. ``progress(stage, done, total)`` hears how far it is.
    """
    def step(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    step("reading", 0, 1)
    layer = read_boundaries(path, spec, layer=layer)
    problems = list(layer.rejected)
    theatre = theatre if theatre is not None else Theatre.objects.get(pk=default_theatre_id())
    mine = AdminArea.objects.filter(theatre=theatre)
    existing = list(mine.filter(level=level))
    by_code = {a.code: a for a in existing}
    by_name: dict[str, AdminArea] = {}
    for area in existing:
        for name in [area.name, *area.alt_names]:
            by_name.setdefault(normalise_name(name), area)
    parents = {a.code: a for a in mine.filter(level=AdminArea.Level.PROVINCE)}
    taken_slugs = set(AdminArea.objects.values_list("slug", flat=True))
    taken_codes = dict(AdminArea.objects.values_list("code", "theatre_id"))
    theatre_names = {t.pk: f"{t.name} ({t.slug})" for t in Theatre.objects.all()}

    report = BoundaryLoadReport(layer=layer, level=level, committed=False)
    plan: list[tuple[AdminArea, object]] = []  # with the file's shapely geometry
    claimed: dict[int, str] = {}  # stored area pk -> the file feature that matched it
    kept: list[AdminArea] = []  # matched, and the file leaves them as they are
    for n, row in enumerate(layer.frame.itertuples(index=False)):
        step("matching", n, len(layer.frame))
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
            if row.code in taken_codes and taken_codes[row.code] != theatre.pk:
                problems.append(
                    f"{row.name} ({row.code}): the code is used by an area of the theatre "
                    f"{theatre_names[taken_codes[row.code]]}, not of {theatre_names[theatre.pk]} loaded into"
                )
                continue
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
                theatre=theatre, code=row.code, name=row.name, name_ar=row.name_ar, slug=slug, level=level,
                parent=parent, country_code=country_code, geometry=geometry,
            )
            report.created.append(f"{row.name} ({row.code})")
            report.outcome[area.code] = "created"
        else:
            changed = area.geometry != geometry or (row.name_ar and not area.name_ar) or (
                parent is not None and area.parent_id != parent.pk
            )
            if not changed:
                report.unchanged.append(area.name)
                report.outcome[area.code] = "unchanged"
                kept.append(area)
                continue
            area.geometry = geometry
            area.name_ar = area.name_ar or row.name_ar
            if parent is not None:
                area.parent = parent
            how = "code" if area.code == row.code else f"name, file code {row.code}"
            report.updated.append(f"{area.name} ({area.code}, matched by {how})")
            report.outcome[area.code] = "updated"
        try:
            admin_area_check(area=area)
        except ValidationError as exc:
            problems.append(f"{row.name} ({row.code}): {'; '.join(exc.messages)}")
            continue
        plan.append((area, row.geometry))
    step("checking", 0, 2)
    unmatched = [a for a in existing if a.pk not in claimed and a.geometry]
    plan = _check_against_stored(report=report, problems=problems, plan=plan, stored=unmatched, replace=replace)
    if problems:
        raise BoundaryLoadError(problems)
    planned = {area.pk for area, _ in plan}
    neighbours = [a for a in unmatched if a.pk not in planned] + kept
    step("checking", 1, 2)
    report.trust = areas_trust_check(
        layer=layer, plan=plan, stored=neighbours, level=level, matched=set(claimed) | planned, max_overlap=max_overlap,
        theatre=theatre.pk,
    )
    if commit and report.trust.findings and not force:
        raise BoundaryLoadError([*report.trust.findings, "each of these is refused unless --force"])
    report.forced = commit and bool(report.trust.findings)
    if commit:
        with transaction.atomic():
            step("writing", 0, 2)
            admin_areas_save_many(areas=[area for area, _ in plan])
            step("writing", 1, 2)  # then every town is placed in the new areas
            report.assignment = towns_assign_admin_areas(towns=Town.objects.filter(theatre=theatre).order_by("pk"))
            step("writing", 2, 2)
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
            admin_area_check(area=old)
        except ValidationError as exc:
            problems.append(f"{new.name} ({new.code}): {'; '.join(exc.messages)}")
        report.created.remove(f"{new.name} ({new.code})")
        del report.outcome[new.code]
        report.outcome[old.code] = "updated"
        shared = overlap[i, j] / max(new_km2[i], stored_km2[j])
        report.updated.append(
            f"{old.name} ({old.code}, matched by overlap with {new.name} ({new.code}): each is {shared:.0%} or more "
            f"of the other; {new.name} becomes an alternate name)"
        )
        plan[i] = (old, geometry)
    return plan
