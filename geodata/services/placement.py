"""Where a town falls: the spatial join of towns against the loaded boundaries, finest level first."""

from dataclasses import dataclass

import pandas as pd

from .. import selectors, spatial
from ..models import AdminArea, Town


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


def outside_message(town: Town, placement: Placement) -> str:
    """Why a town far outside every loaded boundary is refused (the error names the latitude field)."""
    far = f"{placement.distance_m / 1000:,.1f} km" if placement.distance_m is not None else "far"
    return (
        f"{town.latitude}, {town.longitude} lies {far} outside every loaded boundary (more than "
        f"{spatial.SNAP_DISTANCE_M / 1000:g} km); check the coordinates and their order (latitude, "
        f"longitude), or mark the town as outside the boundaries."
    )
