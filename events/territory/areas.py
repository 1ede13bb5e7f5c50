"""Territory per faction on a date: the slice's classes painted on the cached cells and dissolved."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import spatial
from geodata.models import Theatre

from .. import selectors
from ..models import Faction
from .cells import cell_areas, cell_edges, cell_shapes, cells_key
from .rule import CONTESTED, CONTESTED_COLOUR, CONTESTED_NAME, recorded_classes


def town_classes(snapshot: selectors.ControlSnapshot) -> pd.DataFrame:
    """town_id, klass (None where nothing is recorded on the slice's date) and population; no geometry."""
    # Columns straight from the rows (a Python call per town cost as much as the slice step itself).
    ids, populations = [t.id for t in snapshot.towns], [t.population for t in snapshot.towns]
    klass = recorded_classes(snapshot)
    towns = pd.DataFrame({"town_id": pd.Series(ids, dtype="int64"), "population": pd.Series(populations),
                          "klass": pd.Series([klass.get(i) for i in ids], dtype=object)})
    return towns.sort_values("town_id", ignore_index=True)


def _labelled(result: pd.DataFrame) -> gpd.GeoDataFrame:
    factions = {f.slug: f for f in Faction.objects.all()}
    result.insert(0, "faction", result.pop("klass"))
    result["faction_name"] = [
        CONTESTED_NAME if s == CONTESTED else factions[s].name for s in result["faction"]
    ]
    result["colour"] = [CONTESTED_COLOUR if s == CONTESTED else factions[s].colour for s in result["faction"]]
    columns = ["faction", "faction_name", "colour", "area_km2", "towns", "population", "geometry"]
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=spatial.WGS84)


def control_areas_as_of(
    *, on: dt.date, published_only: bool = True, theatre: Theatre | None = None, window=None,
) -> gpd.GeoDataFrame:
    """Territory per faction (and one contested class) on ``on``, from the cached cells and their edges.

    AREA_RULE: each recorded town's Voronoi cell within the radius and its governorate, dissolved
    by controller; area_km2 in an equal-area CRS. Land no recorded town reaches, and that of towns
    with nothing recorded by ``on``, is in no row: the map leaves it unpainted ("no record") rather
    than guessing who holds it. So the rows cover the recorded land; unknown_km2 gives the rest.
    Not cached itself: its one reader, the control-areas layer, keeps its file per data revision.
    With ``theatre``, that theatre's cells (``cells_key``) painted with its slice: its towns' land only.
    Without, each theatre's territory side by side (``_every_theatre``).
    ``window`` (a shape): the same areas inside it only (and area_km2 of that land): the cells reaching into
    it, dissolved and clipped, so a question about a few km² (whose land a drawn diff's piece was) does not
    dissolve every cell of the theatre.
    """
    if theatre is None:
        return _labelled(_every_theatre(on=on, published_only=published_only, window=window))
    return _labelled(_territory(on=on, published_only=published_only, theatre=theatre, window=window))


def _territory(*, on: dt.date, published_only: bool, theatre: Theatre | None, window=None) -> pd.DataFrame:
    """klass, geometry, area_km2, towns, population: ``theatre``'s cells (every town's with None) painted."""
    key = cells_key(published_only=published_only, theatre=theatre)
    if window is not None:
        return _within(window, on=on, published_only=published_only, theatre=theatre, key=key)
    edges = cell_edges(published_only=published_only, key=key)
    # With the cells' edges a date needs no cell geometry at all: their areas and the walk.
    cells, town_sites = (cell_areas if edges is not None else cell_shapes)(published_only=published_only, key=key)
    towns = town_classes(selectors.control_as_of(on=on, published_only=published_only, theatre=theatre))
    return spatial.control_areas_from_cells(cells, town_sites, towns, edges)


def _within(window, *, on: dt.date, published_only: bool, theatre: Theatre | None, key) -> pd.DataFrame:
    """``_territory`` inside ``window``: the cells that reach into it (an R-tree query), dissolved as every
    cell would be, clipped to it; area_km2 measured on the clipped land."""
    cells, town_sites = cell_shapes(published_only=published_only, key=key)
    near = np.sort(shapely.STRtree(cells.geometry.to_numpy()).query(window, predicate="intersects"))
    towns = town_classes(selectors.control_as_of(on=on, published_only=published_only, theatre=theatre))
    result = spatial.control_areas_from_cells(cells.iloc[near].reset_index(drop=True), town_sites, towns)
    if result.empty:
        return result
    clipped = shapely.intersection(result.geometry.to_numpy(), window)
    result = result.set_geometry([_polygonal(g) for g in clipped])  # a cut along an edge leaves lines too
    result["area_km2"] = spatial.area_km2(result.geometry).fillna(0.0).to_numpy()
    return result


def _polygonal(geom) -> shapely.MultiPolygon:
    parts = shapely.get_parts(geom)
    return shapely.multipolygons(parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON])


def _every_theatre(*, on: dt.date, published_only: bool, window=None) -> pd.DataFrame:
    """Each theatre's own territory (its cells, its slice), a class held in several being their parts together.

    Cells drawn over every town at once would shift along a theatre's edges whenever another theatre is
    added (a projection centred on all areas, towns of both clipping each other's reach); drawn per
    theatre, adding theatre B leaves each of theatre A's classes as its own layer has them, and reuses
    each theatre's cached cells. Theatres never share land (an area, hence a cell, is one theatre's).
    """
    theatres = list(Theatre.objects.order_by("pk"))
    if len(theatres) <= 1:
        return _territory(on=on, published_only=published_only, theatre=theatres[0] if theatres else None,
                          window=window)
    parts = pd.concat([_territory(on=on, published_only=published_only, theatre=t, window=window)
                       for t in theatres],
                      ignore_index=True)
    rows = []
    for klass, held in parts.groupby("klass", sort=False):
        geometry = held["geometry"].iloc[0] if len(held) == 1 else shapely.multipolygons(
            shapely.get_parts(held["geometry"].to_numpy()))
        rows.append({"klass": klass, "geometry": geometry, "area_km2": held["area_km2"].sum(),
                     "towns": int(held["towns"].sum()), "population": int(held["population"].sum())})
    rows.sort(key=lambda row: (row["klass"] == CONTESTED, row["klass"]))  # as one theatre's are ordered
    columns = ["klass", "geometry", "area_km2", "towns", "population"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=spatial.WGS84)


def unknown_km2(*, on: dt.date, published_only: bool = True) -> float:
    """km² that no row of control_areas_as_of covers on ``on``: beyond every reach, or no record yet."""
    cells, town_sites = cell_areas(published_only=published_only)
    towns = town_classes(selectors.control_as_of(on=on, published_only=published_only))
    town_klass = pd.Series(towns["klass"].to_numpy(), index=towns["town_id"].to_numpy(), dtype=object)
    known = cells["site"].map(spatial.site_classes(town_klass, town_sites)).notna().to_numpy()
    return float(cells.loc[~known, "area_km2"].sum())

