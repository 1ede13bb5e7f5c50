"""Pure GeoPandas/shapely: GeoDataFrames in, GeoDataFrames out, no ORM.

Stored geometry is WGS84 (EPSG:4326); distances and areas are measured in a Lambert azimuthal
equal-area projection centred on the data (metres; areas true, distances within a fraction of a
percent over a country a few hundred kilometres across).
"""

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import coverage

WGS84 = "EPSG:4326"
SNAP_DISTANCE_M = 1_000.0  # coastline rounding: a town this close to an area still belongs to it
CONTESTED = "contested"


class CrsMismatch(ValueError):
    pass


def assert_same_crs(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame) -> None:
    if left.crs is None or right.crs is None or not pyproj.CRS(left.crs).equals(pyproj.CRS(right.crs)):
        raise CrsMismatch(f"CRS differ or are missing: {left.crs} vs {right.crs}")


def equal_area_crs(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    """A Lambert azimuthal equal-area CRS centred on the frame (rounded, so it is stable)."""
    minx, miny, maxx, maxy = frame.to_crs(WGS84).total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        lon, lat = 0.0, 0.0
    else:
        lon, lat = round((minx + maxx) / 2, 1), round((miny + maxy) / 2, 1)
    return pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")


def points_frame(frame: pd.DataFrame, *, lon: str = "longitude", lat: str = "latitude") -> gpd.GeoDataFrame:
    """Rows with longitude/latitude columns as a point GeoDataFrame in WGS84."""
    return gpd.GeoDataFrame(
        frame.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(frame[lon], frame[lat]), crs=WGS84
    )


SEGMENT_DEG = 0.01  # about 1 km


def to_metric(geometry: gpd.GeoSeries, crs: pyproj.CRS) -> gpd.GeoSeries:
    """Reproject WGS84 shapes to ``crs`` without breaking shared edges.

    Only vertices are reprojected, and a straight edge in degrees is a curve in metres: where one
    shape has a vertex on another's long edge (a T-junction left by an overlay), the two would
    drift apart or cross by metres. Adding vertices every ~1 km first makes that drift negligible.
    """
    out = geometry.segmentize(SEGMENT_DEG) if pyproj.CRS(geometry.crs).is_geographic else geometry
    out = out.to_crs(crs)
    return out.make_valid() if not out.is_valid.all() else out


def area_km2(geometry: gpd.GeoSeries, crs: pyproj.CRS | None = None) -> pd.Series:
    return to_metric(geometry, crs or equal_area_crs(gpd.GeoDataFrame(geometry=geometry))).area / 1e6


def towns_join_areas(
    towns: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, max_distance_m: float = SNAP_DISTANCE_M
) -> pd.DataFrame:
    """For each town (same index): area_id, how ("within", "nearest" or "outside") and distance_m.

    ``areas`` needs columns area_id and code. A town inside a polygon takes it (``within``); a
    point exactly on a shared border is within neither, so it goes to the nearest area, ties
    broken by the lowest code, which makes the choice deterministic; a town more than
    ``max_distance_m`` from every area stays unassigned and carries its distance for the report.
    """
    assert_same_crs(towns, areas)
    result = pd.DataFrame(
        {"area_id": pd.array([pd.NA] * len(towns), dtype="Int64"), "how": "outside", "distance_m": np.nan},
        index=towns.index,
    )
    if towns.empty or areas.empty:
        return result
    sides = areas[["area_id", "code", "geometry"]]
    points = gpd.GeoDataFrame(geometry=towns.geometry, crs=towns.crs)
    inside = gpd.sjoin(points, sides, predicate="within", how="inner")
    # Overlapping areas would give a town twice; the lowest code wins, as on a border.
    inside = inside.rename_axis("town").sort_values(["town", "code"]).groupby(level=0).head(1)
    result.loc[inside.index, "area_id"] = inside["area_id"].to_numpy()
    result.loc[inside.index, "how"] = "within"
    result.loc[inside.index, "distance_m"] = 0.0
    rest = points.loc[~points.index.isin(inside.index)]
    if rest.empty:
        return result
    metric = equal_area_crs(areas)
    sides_m = gpd.GeoDataFrame(sides.drop(columns="geometry"), geometry=to_metric(sides.geometry, metric))
    near = gpd.sjoin_nearest(rest.to_crs(metric), sides_m, distance_col="distance_m")
    near = near.rename_axis("town").sort_values(["town", "distance_m", "code"]).groupby(level=0).head(1)
    close = near["distance_m"] <= max_distance_m
    result.loc[near.index, "distance_m"] = near["distance_m"].to_numpy()
    result.loc[near.index[close], "area_id"] = near.loc[close, "area_id"].to_numpy()
    result.loc[near.index[close], "how"] = "nearest"
    return result


def area_control(counts: pd.DataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per area: town count, shares of towns and of population per controller, dominant, contested.

    ``counts`` has one row per area_id, controller (faction slug or None where nothing is known) and
    contested (bool), with towns (how many), populated (how many of them have a known population)
    and population (theirs); several rows may share an area and controller. Shares are fractions of
    the area's towns with a known controller (of their known population for population_shares); a
    contested town counts for the faction recorded as holding it. The dominant faction holds
    strictly more towns than any other (None on a tie or when nothing is known). An area is
    contested when any of its towns is contested or when no faction holds a majority (more than
    half) of its known towns.
    """
    towns: dict[int, int] = {}
    held: dict[int, dict[str, int]] = {}
    people: dict[int, dict[str, int]] = {}
    contested_areas = set()
    columns = ["area_id", "controller", "contested", "towns", "populated", "population"]
    # Column lists zipped, not itertuples: after each write this runs on a few hundred rows, where pandas'
    # per-call overhead is most of the time.
    for area_id, controller, contested, n, populated, population in zip(
        *(counts[c].tolist() for c in columns), strict=True
    ):
        towns[area_id] = towns.get(area_id, 0) + n
        if contested:
            contested_areas.add(area_id)
        if not isinstance(controller, str):  # nothing known (None, or NaN once in a frame)
            continue
        area_held = held.setdefault(area_id, {})
        area_held[controller] = area_held.get(controller, 0) + n
        if populated:
            area_people = people.setdefault(area_id, {})
            area_people[controller] = area_people.get(controller, 0) + population
    # One row of stats per area, in the areas' order, joined to them by their index: the same rows as a merge
    # on area_id (0.25 against 0.87 ms, a fixed cost of every request after a write).
    stats: dict[str, list] = {name: [] for name in (
        "towns", "dominant_faction", "shares", "population_shares", "contested")}
    for area_id in areas["area_id"].tolist():
        by_faction = held.get(area_id, {})
        known = sum(by_faction.values())
        pop_by_faction = people.get(area_id, {})
        pop_total = float(sum(pop_by_faction.values()))
        top = max(by_faction.values(), default=0)
        leaders = [slug for slug, n in by_faction.items() if n == top]
        stats["towns"].append(towns.get(area_id, 0))
        stats["dominant_faction"].append(leaders[0] if len(leaders) == 1 else None)
        stats["shares"].append({slug: n / known for slug, n in sorted(by_faction.items())})
        stats["population_shares"].append(
            {slug: v / pop_total for slug, v in sorted(pop_by_faction.items())} if pop_total > 0 else {})
        stats["contested"].append(area_id in contested_areas or (known > 0 and not top * 2 > known))
    index = areas.index
    return pd.concat([areas, pd.DataFrame({
        "towns": pd.Series(stats["towns"], index=index, dtype="int64"),
        # An object column: pandas would make text a string column, and a missing dominant faction NaN in it.
        "dominant_faction": pd.Series(stats["dominant_faction"], index=index, dtype=object),
        "shares": pd.Series(stats["shares"], index=index, dtype=object),
        "population_shares": pd.Series(stats["population_shares"], index=index, dtype=object),
        "contested": pd.Series(stats["contested"], index=index, dtype=bool),
    }, index=index)], axis=1)


def _cells(points: np.ndarray, frame_of: shapely.Geometry) -> np.ndarray:
    """Voronoi cells, one per point in input order, covering ``frame_of``'s envelope with room to spare."""
    if len(points) == 1:
        return np.array([shapely.box(*frame_of.buffer(1_000).bounds)])
    minx, miny, maxx, maxy = frame_of.bounds
    pad = max(maxx - minx, maxy - miny) + 10_000
    extent = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True)
    return np.asarray(shapely.get_parts(diagram))


NO_SITE = -1  # land no site speaks for (an area without sites, or beyond every site's reach): nobody's
GRID_DEG = 1e-6  # cells are snapped to this grid (about 10 cm), so territory comes out on it too
REACH_SEGMENTS = 16  # quarter-circle segments of a reach disc: its area is within 0.2% of the circle's
SEGMENT_M = 1_000.0  # densify metric shapes to this before reprojecting them (see to_metric)


def voronoi_cells(
    towns: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, radius_m: float | None = None
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """The land each site stands for, independent of who holds it: (cells, site of each town).

    ``towns``: points with town_id and area_id (the sites: callers pass only the towns that may
    speak for land); ``areas``: area_id and geometry. A site's cell is the part of its area nearer
    to it than to any other site of that area and, when ``radius_m`` is given, within ``radius_m``
    metres of it (measured in an equal-area CRS centred on the areas). Land no site reaches is a
    cell with site NO_SITE, one per area, so the cells still tile the areas and unknown land is
    their sum. Towns at the same spot (to the metre) share one site. Returns cells with site,
    area_id, geometry (WGS84, inside the areas) and area_km2, and a Series town_id -> site. Cells
    change only when sites move, come or go or boundaries change, never with who holds them.
    """
    assert_same_crs(towns, areas)
    columns = ["site", "area_id", "geometry", "area_km2"]
    placed = towns[towns["area_id"].notna()].sort_values("town_id")
    if areas.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=WGS84), pd.Series(dtype="int64")
    metric = equal_area_crs(areas)
    to_wgs84 = pyproj.Transformer.from_crs(metric, WGS84, always_xy=True)
    # Coincident points collapse into one Voronoi site; round to a metre to find them.
    xy = np.round(shapely.get_coordinates(placed.to_crs(metric).geometry.to_numpy()), 0).reshape(-1, 2)
    keyed = pd.DataFrame({"area_id": placed["area_id"].to_numpy(), "x": xy[:, 0], "y": xy[:, 1]})
    site_of = keyed.groupby(["area_id", "x", "y"], sort=True).ngroup().to_numpy()
    town_sites = pd.Series(site_of, index=placed["town_id"].to_numpy(), name="site", dtype="int64")
    spots = keyed.assign(site=site_of).drop_duplicates("site").sort_values("site")

    sites, area_ids, geoms = [], [], []
    areas_m = to_metric(areas.geometry, metric)
    for area_id, area_m, area_deg in zip(areas["area_id"], areas_m, areas.geometry, strict=True):
        mine = spots[spots["area_id"] == area_id]
        pieces = _site_pieces(mine[["x", "y"]].to_numpy(), area_m, area_deg, to_wgs84, radius_m)
        for site, piece in zip(mine["site"], pieces, strict=True):
            if not piece.is_empty:
                sites.append(int(site)), area_ids.append(area_id), geoms.append(piece)
        rest = _polygonal(shapely.difference(area_deg, shapely.union_all(pieces))) if len(pieces) else area_deg
        if not rest.is_empty and (radius_m is not None or mine.empty):
            sites.append(NO_SITE), area_ids.append(area_id), geoms.append(rest)
    # Cells clipped one by one almost match along shared edges; made an exact coverage, territory on
    # any date is a walk along their edges instead of a union of thousands of cells (see coverage).
    geoms = coverage.make_coverage(np.array(geoms, dtype=object), GRID_DEG) if geoms else geoms
    cells = gpd.GeoDataFrame({"site": sites, "area_id": area_ids}, geometry=geoms, crs=WGS84)
    cells = cells[~cells.is_empty].reset_index(drop=True)  # a sliver the cleaning gave to its neighbours
    cells["area_km2"] = area_km2(cells.geometry, metric).to_numpy()
    return cells[columns], town_sites


def _site_pieces(points: np.ndarray, area_m, area_deg, to_wgs84, radius_m: float | None) -> list:
    """Each site's piece of one area (WGS84, polygonal, possibly empty), in the order of ``points``."""
    if not len(points):
        return []
    cells = _cells(points, area_m)
    if radius_m is not None:
        discs = shapely.buffer(shapely.points(points), radius_m, quad_segs=REACH_SEGMENTS)
        cells = shapely.segmentize(shapely.intersection(cells, discs), SEGMENT_M)
    cells_deg = shapely.transform(cells, lambda x, y: to_wgs84.transform(x, y), interleaved=False)
    return [_polygonal(piece) for piece in shapely.intersection(cells_deg, area_deg)]


def site_class_map(town_klass: Mapping[int, object], town_sites: pd.Series) -> dict[int, str]:
    """Each site's class from its towns' classes (town_id -> slug or CONTESTED; a town missing, None or NaN is
    unknown), as a dict: one known class wins the site; towns at one spot held by different sides make it
    CONTESTED; a site whose towns are all unknown is left out.

    One pass over plain values: the same through pandas (reindex, groupby first and nunique) cost ~1.4 ms at
    1,000 towns and ~5.5 ms at 10,000, twice per diff, whatever the diff's size.
    """
    out: dict[int, str] = {}
    for town, site in zip(town_sites.index.tolist(), town_sites.tolist(), strict=True):
        klass = town_klass.get(town)
        if not isinstance(klass, str):
            continue
        held = out.get(site)
        out[site] = klass if held is None or held == klass else CONTESTED
    return out


def site_classes(town_klass: pd.Series, town_sites: pd.Series) -> pd.Series:
    """``site_class_map`` as a Series by site (a site whose towns are all unknown, and NO_SITE then, is absent)."""
    return pd.Series(site_class_map(town_klass.to_dict(), town_sites), dtype=object).sort_index()


def class_km2(cells: pd.DataFrame, classes: pd.Series) -> pd.Series:
    """km² per class: a sum of cell areas, no geometry work (unknown land is left out)."""
    klass = cells["site"].map(classes)
    return cells["area_km2"].groupby(klass.to_numpy()).sum()


def _class_order(klasses) -> list:
    return sorted(klasses, key=lambda k: (k == CONTESTED, k))


def control_areas_from_cells(
    cells: pd.DataFrame, town_sites: pd.Series, towns: pd.DataFrame, edges: coverage.CellEdges | None = None
) -> gpd.GeoDataFrame:
    """Territory per known class: the cells of ``cells`` dissolved by the class of their site.

    ``towns``: town_id, klass (None where unknown) and population. Land whose towns are all
    unknown (and areas with no town) is in no row: the result covers only what is known.
    area_km2 is the sum of the class's cell areas; towns and population count known towns.
    With ``edges`` (``coverage.cell_edges`` of these cells, same order) the dissolve walks them
    and ``cells`` needs only site and area_km2; without, the cells' geometry is unioned. Either
    way the geometry is valid, on the GRID_DEG grid, shells counter-clockwise and holes clockwise.
    """
    columns = ["klass", "geometry", "area_km2", "towns", "population"]
    town_klass = pd.Series(towns["klass"].to_numpy(), index=towns["town_id"].to_numpy(), dtype=object)
    klass = cells["site"].map(site_classes(town_klass, town_sites))
    held = klass.notna().to_numpy()
    if not held.any():
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=WGS84)
    order = _class_order(klass[held].unique())
    result = pd.DataFrame({"klass": order})
    result["geometry"] = _dissolved(cells, klass, order, edges)
    result["area_km2"] = result["klass"].map(cells.loc[held, "area_km2"].groupby(klass[held].to_numpy()).sum())
    known = towns[towns["klass"].notna()]
    by_class = known["population"].fillna(0).groupby(known["klass"].to_numpy())
    result["towns"] = result["klass"].map(by_class.size()).fillna(0).astype(int)
    result["population"] = result["klass"].map(by_class.sum()).fillna(0).astype(int)
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=WGS84)


def _dissolved(cells: pd.DataFrame, klass: pd.Series, order: list, edges: coverage.CellEdges | None) -> list:
    """One geometry per class of ``order``: the union of its cells."""
    if edges is not None:
        codes = klass.map({k: i for i, k in enumerate(order)}).fillna(coverage.NOTHING).astype("int64")
        return coverage.dissolve(edges, codes.to_numpy(), len(order))
    by_class = pd.Series(cells.geometry.to_numpy()).groupby(klass.to_numpy())
    united = [_polygonal(shapely.union_all(by_class.get_group(k).to_numpy())) for k in order]
    return list(shapely.orient_polygons(shapely.set_precision(np.array(united, dtype=object), GRID_DEG),
                                        exterior_cw=False))


def control_areas(
    towns: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, radius_m: float | None = None
) -> gpd.GeoDataFrame:
    """Territory per controlling class: the towns' Voronoi cells within ``radius_m`` and their areas, dissolved.

    ``towns``: point GeoDataFrame with town_id, area_id, klass (faction slug, CONTESTED, or None
    where unknown) and population. ``areas``: area_id and geometry. Unknown towns keep their cells
    out of every class, so an area whose towns are all unknown is claimed by nobody. Returns klass,
    geometry (WGS84, inside the areas), area_km2, towns and population, sorted by klass with
    CONTESTED last; see voronoi_cells and control_areas_from_cells.
    """
    cells, town_sites = voronoi_cells(towns, areas, radius_m=radius_m)
    edges = coverage.cell_edges(cells.geometry.to_numpy())
    return control_areas_from_cells(cells, town_sites, towns, edges)


def _polygonal(geom):
    """Keep only the polygon parts (overlays can leave slivers of lines where cells meet borders)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
