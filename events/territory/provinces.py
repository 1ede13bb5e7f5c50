"""Control per admin area on a date: the slice counted by the database, joined to the areas' shapes."""

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geodata import selectors as places
from geodata import spatial
from geodata.models import AdminArea, Theatre

from .. import selectors
from ..models import ControlChange


def _control_counts(*, on: dt.date, published_only: bool, level: int, theatre: Theatre | None = None) -> pd.DataFrame:
    """The time slice counted per admin area of ``level``, controller and contested: towns, populated
    (towns with a known population) and population. Counted by the database, no row per town."""
    lifted = level_area_ids(level)
    contested_status = ControlChange.Status.CONTESTED
    rows = [
        (lifted[count.admin_area_id], count.faction_slug, count.status == contested_status, count.towns,
         count.populated, count.population)
        for count in selectors.control_counts_as_of(on=on, published_only=published_only, theatre=theatre)
        if count.admin_area_id in lifted  # a town in no area of ``level`` counts in none
    ]
    columns = ["area_id", "controller", "contested", "towns", "populated", "population"]
    return pd.DataFrame(rows, columns=columns).astype({"controller": object, "contested": bool})


def level_area_ids(level: int) -> dict[int, int]:
    """Each area's area of ``level``: itself, or its parent for a district (one query; no geometry)."""
    areas = {a["id"]: a for a in AdminArea.objects.values("id", "level", "parent_id")}
    lifted = {}
    for area_id in areas:
        area: Any = areas[area_id]
        while area is not None and area["level"] > level:
            area = areas.get(area["parent_id"])
        if area is not None and area["level"] == level:
            lifted[area_id] = area["id"]
    return lifted


def area_level_ids(towns: pd.DataFrame, level: int) -> pd.Series:
    """Each town's area of ``level``: its own area, or the parent when the town sits in a district."""
    return towns["area_id"].map(level_area_ids(level)).astype("Int64")


def province_control_as_of(
    *, on: dt.date, level: int = 1, published_only: bool = True, theatre: Theatre | None = None,
) -> gpd.GeoDataFrame:
    """Per admin area of ``level``: towns, shares by faction, dominant faction and contested flag.

    Shares count the towns whose controller is known (a contested town counts for the faction
    recorded as holding it); population_shares weigh them by known population. dominant_faction
    holds strictly more towns than any other, else None. ``contested`` is True when any town in the
    area is contested or no faction holds more than half of its known towns (see
    ``geodata.spatial.area_control``). Areas without geometry are included with an empty geometry. With
    ``theatre``, that theatre's areas and towns only.
    """
    # The slice counted per area by the database: no point geometry, no row per town.
    counts = _control_counts(on=on, published_only=published_only, level=level, theatre=theatre)
    areas = places.admin_areas_frame(level=level, theatre=None if theatre is None else theatre.pk)
    missing = AdminArea.objects.filter(level=level, geometry__isnull=True).order_by("code")
    if theatre is not None:
        missing = missing.filter(theatre=theatre)
    if missing.exists():
        extra = gpd.GeoDataFrame(
            [{"area_id": a.pk, "code": a.code, "name": a.name, "name_ar": a.name_ar, "slug": a.slug,
              "level": a.level, "parent_id": a.parent_id} for a in missing],
            geometry=[shapely.Polygon()] * missing.count(), crs=spatial.WGS84,
        )
        areas = gpd.GeoDataFrame(pd.concat([areas, extra], ignore_index=True), crs=spatial.WGS84)
        areas = areas.sort_values("code", ignore_index=True)
    result = spatial.area_control(counts, areas)
    columns = [
        "area_id", "code", "name", "name_ar", "slug", "geometry", "towns", "dominant_faction", "shares",
        "population_shares", "contested",
    ]
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=spatial.WGS84)
