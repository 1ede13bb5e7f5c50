"""Where a town falls: the spatial join of towns against the loaded boundaries, finest level first."""

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from .. import selectors, spatial
from ..models import AdminArea, Town


@dataclass(frozen=True)
class Placement:
    area_id: int | None
    how: str  # "within", "nearest", "outside" or "no boundaries"
    distance_m: float | None


def towns_place(*, towns: list[Town]) -> list[Placement]:
    """Where each town falls among its own theatre's areas: the finest loaded level first (districts), then
    governorates."""
    placements: list[Placement | None] = [None] * len(towns)
    by_theatre: dict[int | None, list[int]] = {}  # None: never, a town takes the first theatre when made
    for i, town in enumerate(towns):
        by_theatre.setdefault(town.theatre_id, []).append(i)
    for theatre, at in by_theatre.items():
        points = selectors.towns_frame(towns=[towns[i] for i in at])
        for level in (AdminArea.Level.DISTRICT, AdminArea.Level.PROVINCE):
            areas = selectors.admin_areas_frame(level=level, theatre=theatre)
            if areas.empty:
                continue
            joined = spatial.towns_join_areas(points, areas)
            rows = joined[["area_id", "how", "distance_m"]].itertuples(index=False)
            for i, (area_id, how, distance) in zip(at, rows, strict=True):
                found = Placement(
                    None if pd.isna(area_id) else int(area_id), how, None if pd.isna(distance) else distance)
                if placements[i] is None or (placements[i].area_id is None and found.area_id is not None):
                    placements[i] = found
    return [p or Placement(None, "no boundaries", None) for p in placements]


def towns_in_other_theatres(*, towns: list[Town]) -> dict[int, AdminArea]:
    """The towns (by position) that lie inside an area of a theatre other than their own, with that area."""
    found: dict[int, AdminArea] = {}
    by_theatre: dict[int | None, list[int]] = {}  # None: never, a town takes the first theatre when made
    for i, town in enumerate(towns):
        by_theatre.setdefault(town.theatre_id, []).append(i)
    for theatre, at in by_theatre.items():
        areas = selectors.admin_areas_frame(level=None, other_than=theatre)
        if areas.empty:
            continue
        points = selectors.towns_frame(towns=[towns[i] for i in at])
        spatial.assert_same_crs(points, areas)
        inside = gpd.sjoin(points[["geometry"]], areas[["area_id", "geometry"]], predicate="within", how="inner")
        hits = {at[pos]: int(a) for pos, a in zip(inside.index, inside["area_id"], strict=True)}
        stored = AdminArea.objects.select_related("theatre").only("name", "code", "theatre__name", "theatre__slug")
        areas_by_id = stored.in_bulk(set(hits.values()))
        found.update({i: areas_by_id[a] for i, a in hits.items()})
    return found


def other_theatre_message(town: Town, area: AdminArea) -> str:
    """Why a town inside another theatre's area is refused (the error names the latitude field)."""
    own = town.theatre.name if town.theatre_id else "its theatre"
    return (
        f"{town.latitude}, {town.longitude} lies in {area.name} ({area.code}) of the theatre {area.theatre.name} "
        f"({area.theatre.slug}), not in the theatre {own} ({town.theatre.slug}) it is loaded into; load it into "
        f"{area.theatre.slug}, or check the coordinates."
    )


def outside_message(town: Town, placement: Placement) -> str:
    """Why a town far outside every loaded boundary is refused (the error names the latitude field)."""
    far = f"{placement.distance_m / 1000:,.1f} km" if placement.distance_m is not None else "far"
    return (
        f"{town.latitude}, {town.longitude} lies {far} outside every loaded boundary (more than "
        f"{spatial.SNAP_DISTANCE_M / 1000:g} km); check the coordinates and their order (latitude, "
        f"longitude), or mark the town as outside the boundaries."
    )
