"""Pure measures that tell a boundary file worth trusting from one that is not. No ORM.

Every measure is taken in an equal-area CRS centred on the data (``spatial.equal_area_crs``).
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import spatial

MIN_SHIPPED_IOU = 0.99  # a simplified shipped area against its published original
REPAIR_MAX_CHANGE = 0.01  # a repair (make_valid) that changes an area by more than this redraws it
MAX_OVERLAP_SHARE = 0.01  # of the smaller of two neighbours of one level; beyond, one is drawn over the other
OUTSIDE_MAX_SHARE = 0.01  # of an area, outside the stored country; beyond, it is drawn in the wrong place
OUTSIDE_MIN_KM2 = 1.0  # but slivers this small are coastline rounding whatever the share
# A file redrawing every governorate of a country redraws the country too: its outline must stay this close
# (an approximate outline against OCHA's official one scores about 0.97; a swapped or shifted one about 0).
COUNTRY_MIN_IOU = 0.9


def _metric(*series: gpd.GeoSeries) -> list[gpd.GeoSeries]:
    crs = spatial.equal_area_crs(gpd.GeoDataFrame(geometry=pd.concat(series, ignore_index=True), crs=spatial.WGS84))
    return [spatial.to_metric(s.reset_index(drop=True), crs) for s in series]


def iou(original: gpd.GeoSeries, other: gpd.GeoSeries) -> list[float]:
    """Intersection over union of each pair of areas (same order), 1.0 for identical shapes."""
    a, b = _metric(original, other)
    inter, union = shapely.intersection(a.values, b.values), shapely.union(a.values, b.values)
    return [float(i) for i in shapely.area(inter) / np.maximum(shapely.area(union), 1e-9)]


def repair_change(drawn, repaired) -> float:
    """How much a repair changed an area: |repaired - as drawn| / as drawn (the shoelace area of the
    invalid rings, which is what a reader of the file sees; a figure-of-eight drawn as one ring
    cancels itself out, so its repair counts as a total change)."""
    # No to_metric: it would repair the drawn shape first. Only the ratio matters, so one projection is enough.
    crs = spatial.equal_area_crs(gpd.GeoDataFrame(geometry=[repaired], crs=spatial.WGS84))
    before, after = gpd.GeoSeries([drawn, repaired], crs=spatial.WGS84).to_crs(crs).area
    return abs(after - before) / before if before > 0 else float("inf")


def overlap_shares(
    new: gpd.GeoSeries, others: gpd.GeoSeries | None = None, *, min_share: float = MAX_OVERLAP_SHARE
) -> list[tuple[int, int, float, float]]:
    """Pairs (i in new, j in others, km², share of the smaller) whose overlap is above ``min_share``.

    Without ``others``, the areas of ``new`` against each other (each pair once).
    """
    if new.empty or (others is not None and others.empty):
        return []
    left, right = _metric(new, new if others is None else others)
    found = []
    for i, j in zip(*right.sindex.query(left, predicate="intersects"), strict=True):
        if others is None and i >= j:
            continue
        km2 = shapely.intersection(left.iloc[i], right.iloc[j]).area / 1e6
        share = km2 * 1e6 / max(min(left.iloc[i].area, right.iloc[j].area), 1e-9)
        if share > min_share:
            found.append((int(i), int(j), km2, share))
    return found


def outside(new: gpd.GeoSeries, country) -> list[tuple[int, float, float]]:
    """Areas of ``new`` with more than OUTSIDE_MAX_SHARE (and OUTSIDE_MIN_KM2) outside ``country``:
    (position, km² outside, share outside)."""
    areas, (land,) = _metric(new, gpd.GeoSeries([country], crs=spatial.WGS84))
    found = []
    for i, geom in enumerate(areas):
        km2 = shapely.difference(geom, land).area / 1e6
        share = km2 * 1e6 / max(geom.area, 1e-9)
        if share > OUTSIDE_MAX_SHARE and km2 > OUTSIDE_MIN_KM2:
            found.append((i, km2, share))
    return found


def swapped(geom):
    """The shape with x and y exchanged: what a file in latitude, longitude order should have been."""
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def looks_swapped(geom, reference) -> bool:
    """Whether ``geom`` with its axes exchanged lies mostly inside ``reference`` (the stored country)."""
    fixed = swapped(geom)
    return fixed.is_valid and shapely.intersection(fixed, reference).area > 0.5 * fixed.area


def place(points: gpd.GeoDataFrame, levels: list[gpd.GeoDataFrame]) -> pd.DataFrame:
    """Where each point falls given areas per level, finest first: area_id and how, per point.

    The first level that takes a point (within, or within the snap distance) wins, as the town
    loader places towns; a point no level takes is "outside".
    """
    result = pd.DataFrame(
        {"area_id": pd.array([pd.NA] * len(points), dtype="Int64"), "how": "outside"}, index=points.index
    )
    for areas in levels:
        if areas.empty:
            continue
        joined = spatial.towns_join_areas(points, areas)
        open_ = result["area_id"].isna() & joined["area_id"].notna()
        result.loc[open_, ["area_id", "how"]] = joined.loc[open_, ["area_id", "how"]]
    return result
