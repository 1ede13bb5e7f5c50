"""What a boundary load would do that nobody should accept unseen: the checks behind ``--force``.

Each finding says what and where. The loader refuses a commit with findings unless forced; a
dry run lists them, with every town that would change area or be left outside every area.
"""

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape

from .. import boundary_checks as checks
from .. import selectors, spatial
from ..boundaries import BoundaryLayer
from ..models import AdminArea, Town

SWAPPED_HINT = "coordinates in latitude, longitude order?"


@dataclass
class TrustReport:
    findings: list[str] = field(default_factory=list)  # refused on --commit unless --force
    moves: list[tuple[str, str, str]] = field(default_factory=list)  # town, old area, new area
    unassigned: list[tuple[str, str]] = field(default_factory=list)  # town, the area it leaves


def _label(area: AdminArea) -> str:
    return f"{area.name} ({area.code})"


def _repairs(layer: BoundaryLayer) -> list[str]:
    names = dict(zip(layer.frame["code"], layer.frame["name"], strict=True))
    return [
        f"{names[code]} ({code}): repairing its invalid geometry changed its area by {share:.1%} (more than "
        f"{checks.REPAIR_MAX_CHANGE:.0%}): the repair had to guess what the file meant; fix the file"
        for code, share in layer.repair_changes.items() if share > checks.REPAIR_MAX_CHANGE
    ]


def _overlaps(plan, stored: list[AdminArea], max_overlap: float) -> list[str]:
    new = gpd.GeoSeries([geom for _, geom in plan], crs=spatial.WGS84)
    found = [
        f"{_label(plan[i][0])} and {_label(plan[j][0])} in the file overlap by {km2:,.1f} km² ({share:.1%} of the "
        f"smaller)" for i, j, km2, share in checks.overlap_shares(new, min_share=max_overlap)
    ]
    if stored:
        old = gpd.GeoSeries([shape(a.geometry) for a in stored], crs=spatial.WGS84)
        found += [
            f"{_label(plan[i][0])} overlaps the stored {_label(stored[j])} by {km2:,.1f} km² ({share:.1%} of the "
            f"smaller)" for i, j, km2, share in checks.overlap_shares(new, old, min_share=max_overlap)
        ]
    return [f"{text}, more than the {max_overlap:.0%} allowed (--max-overlap)" for text in found]


def _countries(plan, level: int, matched: set[int]) -> dict[str, tuple[object, object | None]]:
    """Per country code of the plan: the stored country (the union of its stored governorates) and,
    when a governorate file redraws every one of them, the country as the file draws it."""
    codes = {area.country_code for area, _ in plan}
    rows = AdminArea.objects.filter(level=AdminArea.Level.PROVINCE, country_code__in=codes, geometry__isnull=False)
    drawn = {area.pk: geom for area, geom in plan if area.pk is not None}
    stored: dict[str, list] = {}
    redrawn: dict[str, list | None] = {}
    for pk, code, geometry in rows.values_list("pk", "country_code", "geometry"):
        stored.setdefault(code, []).append(shape(geometry))
        if level == AdminArea.Level.PROVINCE and pk in matched and redrawn.get(code, []) is not None:
            redrawn.setdefault(code, []).append(drawn.get(pk, stored[code][-1]))
        else:
            redrawn[code] = None
    for area, geom in plan:
        if area.pk is None and redrawn.get(area.country_code) is not None:
            redrawn[area.country_code].append(geom)
    return {
        code: (shapely.union_all(parts), None if redrawn[code] is None else shapely.union_all(redrawn[code]))
        for code, parts in stored.items()
    }


def _outside(plan, level: int, matched: set[int]) -> list[str]:
    """Areas outside the stored country; a file redrawing the whole country must keep its outline instead."""
    found = []
    for country_code, (land, new_land) in _countries(plan, level, matched).items():
        if new_land is not None:
            (score,) = checks.iou(*(gpd.GeoSeries([g], crs=spatial.WGS84) for g in (land, new_land)))
            if score < checks.COUNTRY_MIN_IOU:
                cause = SWAPPED_HINT if checks.looks_swapped(new_land, land) else "check its CRS and coordinates"
                found.append(
                    f"the file redraws every governorate of {country_code}, and its outline matches the stored one "
                    f"to an IoU of {score:.2f} only (less than {checks.COUNTRY_MIN_IOU}): {cause}"
                )
            continue
        mine = [(area, geom) for area, geom in plan if area.country_code == country_code]
        for i, km2, share in checks.outside(gpd.GeoSeries([g for _, g in mine], crs=spatial.WGS84), land):
            area, geom = mine[i]
            cause = SWAPPED_HINT + " (with its axes exchanged it lies inside)" if checks.looks_swapped(geom, land) \
                else "check its CRS and coordinates"
            found.append(
                f"{_label(area)}: {km2:,.1f} km² ({share:.0%} of it) lies outside {country_code} as stored (the union "
                f"of its governorates): {cause}"
            )
    return found


def _planned_levels(plan, level: int, theatre: int | None) -> list[gpd.GeoDataFrame]:
    """The areas per level, finest first, as they would be after the load (new areas get ids below 0)."""
    frames = []
    for lvl in (AdminArea.Level.DISTRICT, AdminArea.Level.PROVINCE):
        stored = selectors.admin_areas_frame(level=lvl, theatre=theatre)[["area_id", "code", "geometry"]]
        if lvl == level:
            ids = [area.pk if area.pk is not None else -i - 1 for i, (area, _) in enumerate(plan)]
            planned = gpd.GeoDataFrame(
                {"area_id": ids, "code": [a.code for a, _ in plan]}, geometry=[g for _, g in plan], crs=spatial.WGS84
            )
            stored = pd.concat([stored[~stored["area_id"].isin(ids)], planned], ignore_index=True)
        frames.append(gpd.GeoDataFrame(stored, geometry="geometry", crs=spatial.WGS84))
    return frames


def _towns(plan, level: int, report: TrustReport, theatre: int | None) -> None:
    towns = Town.objects.filter(theatre_id=theatre) if theatre is not None else Town.objects.all()
    rows = list(towns.order_by("name", "pk").values_list(
        "name", "latitude", "longitude", "admin_area_id", "outside_boundaries"))
    if not rows or not plan:
        return
    towns = pd.DataFrame(rows, columns=["name", "latitude", "longitude", "old", "outside"])
    points = spatial.points_frame(towns)
    placed = checks.place(points, _planned_levels(plan, level, theatre))
    names = dict(AdminArea.objects.values_list("pk", "name"))
    names.update({-i - 1: area.name for i, (area, _) in enumerate(plan) if area.pk is None})
    planned = {area.pk: (area, geom) for area, geom in plan if area.pk is not None}
    lost: dict[int, list[int]] = {}
    for i, (old, new) in enumerate(zip(towns["old"], placed["area_id"], strict=True)):
        old, new = (None if pd.isna(old) else int(old)), (None if pd.isna(new) else int(new))
        if old == new:
            continue
        report.moves.append((towns["name"].iloc[i], names.get(old, "-"), names.get(new, "-")))
        if new is None and old is not None and not towns["outside"].iloc[i]:
            report.unassigned.append((towns["name"].iloc[i], names[old]))
            lost.setdefault(old, []).append(i)
    for old, at in lost.items():
        listed = ", ".join(towns["name"].iloc[at][:10]) + (f" and {len(at) - 10} more" if len(at) > 10 else "")
        text = f"{len(at)} towns now in {names[old]} would be left outside every area ({listed})"
        if old in planned:
            fixed = checks.swapped(planned[old][1])
            inside = points.geometry.iloc[at].within(fixed).any()
            text += f": {_label(planned[old][0])} in the file no longer covers them; " + (
                f"{SWAPPED_HINT} (with its axes exchanged it covers them)" if inside else SWAPPED_HINT)
        report.findings.append(text)


def areas_trust_check(
    *, layer: BoundaryLayer, plan: list[tuple[AdminArea, object]], stored: list[AdminArea], level: int,
    matched: set[int], max_overlap: float = checks.MAX_OVERLAP_SHARE, theatre: int | None = None,
) -> TrustReport:
    """What the planned areas would do that a commit must not do unseen; reads only, writes nothing.

    ``plan``: the areas with the file's shapely geometry; ``stored``: the stored areas of the level
    that the file leaves as they are (its neighbours); ``matched``: the pks of the stored areas the
    file matched (changed or not); ``theatre``: the id of the theatre loaded into (its towns are the ones
    that may move).
    """
    report = TrustReport()
    report.findings += _repairs(layer)
    report.findings += _overlaps(plan, stored, max_overlap)
    report.findings += _outside(plan, level, matched)
    _towns(plan, level, report, theatre)
    return report
