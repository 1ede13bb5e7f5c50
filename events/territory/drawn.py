"""Control drawn as polygons, shown with the town rule: DRAWN_RULE, stated once. Reads only.

For a date, each faction with a published drawn *assessed* area on or before it shows its latest one
(``basis: drawn``, with the day it was drawn and how old it is by then); every other faction (and the
contested class) keeps the town rule's area (``basis: towns``) with the drawn areas cut out of it, so no
land is painted twice. The other layers (advances, claims, counteroffensives) are overlays: read apart,
never part of the assessed areas or their km².
"""

import datetime as dt

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geodata import spatial
from geodata.models import Theatre

from ..drawn_models import DrawnArea

ASSESSED = DrawnArea.Layer.ASSESSED
OVERLAYS = [DrawnArea.Layer.ADVANCE, DrawnArea.Layer.CLAIMED, DrawnArea.Layer.COUNTEROFFENSIVE]
DRAWN_RULE = (
    "Where a faction's control is published as a drawn map (e.g. DeepStateMap, ISW), its latest drawn "
    "assessed area on or before the date is shown instead of its towns' area, and no other side's town "
    "area is painted over it; the drawing's date and age are given. Advances, claims and counteroffensives "
    "are hatched overlays, never counted in the areas' km²."
)
GRID_DEG = spatial.GRID_DEG


def _shown():
    """The drawn areas the public sees: published ones, or as known at this context's moment (``?as_published=``,
    ``?release=``) with the changes' own rule (the same state and review fields), so a drawing published or
    retracted after a release leaves the release's layers as they were."""
    from ..selectors import counted_q, visibility  # the selectors import this package

    return DrawnArea.objects.filter(counted_q(visibility(), model=DrawnArea))


def latest_drawn(*, on: dt.date, layers, theatre: Theatre | None = None) -> list[DrawnArea]:
    """Per theatre, faction and layer of ``layers``: its latest published area drawn on or before ``on``.

    Two reads: the candidates' keys (no geometry; an index range per theatre and layer), then the
    geometry of the chosen ones only, so a year of daily files costs one geometry per faction.
    """
    rows = _shown().filter(layer__in=list(layers), drawn_on__lte=on)
    if theatre is not None:
        rows = rows.filter(theatre=theatre)
    chosen: dict[tuple, int] = {}
    keys = rows.order_by("theatre_id", "layer", "faction_id", "-drawn_on", "-id").values_list(
        "theatre_id", "layer", "faction_id", "id"
    )
    for theatre_id, layer, faction_id, pk in keys:
        chosen.setdefault((theatre_id, layer, faction_id), pk)
    if not chosen:
        return []
    found = DrawnArea.objects.filter(pk__in=chosen.values()).select_related("faction").prefetch_related("sources")
    return sorted(found, key=lambda a: (a.layer, a.faction.slug, a.theatre_id))


def drawn_shape(geometry: dict):
    """A stored drawing (GeoJSON) as a shape, read by GEOS: ``shapely.geometry.shape`` walks each of a daily
    file's ~3,000 vertices in Python (50 ms a drawing); this is one C call (a few ms)."""
    return shapely.from_geojson(orjson.dumps(geometry))


def _shapes(areas: list[DrawnArea]) -> list:
    """The areas' geometries on the layers' grid, valid and oriented as the GeoJSON writer expects."""
    if not areas:
        return []
    shapes = np.array([drawn_shape(a.geometry) for a in areas], dtype=object)
    return list(shapely.orient_polygons(shapely.set_precision(shapes, GRID_DEG), exterior_cw=False))


def _drawn_rows(areas: list[DrawnArea], shapes: list, on: dt.date) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "faction": [a.faction.slug for a in areas],
            "faction_name": [a.faction.name for a in areas],
            "colour": [a.faction.colour for a in areas],
            "area_km2": [a.area_km2 for a in areas],
            "geometry": shapes,
            "layer": [str(a.layer) for a in areas],
            "basis": "drawn",
            "drawn_on": [a.drawn_on for a in areas],
            "days_old": [(on - a.drawn_on).days for a in areas],
            "sources": [_cited(a) for a in areas],
        }
    )


def _cited(area: DrawnArea) -> list[dict]:
    """Who drew it: what a drawn feature cites (a town-rule feature cites none; its towns' changes do)."""
    return [{"publisher": s.publisher, "title": s.title, "url": s.url} for s in area.sources.all()]


def with_drawn(frame: gpd.GeoDataFrame, *, on: dt.date, theatre: Theatre | None = None) -> gpd.GeoDataFrame:
    """The town rule's areas (``territory.control_areas_as_of``) with DRAWN_RULE applied; adds layer, basis,
    drawn_on and days_old. Unchanged (but for those columns) where nothing is drawn."""
    frame = frame.copy()
    frame["layer"], frame["basis"], frame["drawn_on"], frame["days_old"] = str(ASSESSED), "towns", None, None
    frame["sources"] = [[] for _ in range(len(frame))]
    drawn = latest_drawn(on=on, layers=[ASSESSED], theatre=theatre)
    if not drawn:
        return frame
    shapes = _shapes(drawn)
    mine = {a.faction.slug for a in drawn}
    counted = frame.set_index("faction")[["towns", "population"]]
    rows = _drawn_rows(drawn, shapes, on)
    # Several theatres' drawings of one faction (no theatre named) are one feature, as the town rule's is.
    rows = (
        rows.groupby("faction", sort=False)
        .agg(
            {
                "faction_name": "first",
                "colour": "first",
                "area_km2": "sum",
                "geometry": _united,
                "layer": "first",
                "basis": "first",
                "drawn_on": "min",
                "days_old": "max",
                "sources": lambda lists: [s for cited in lists for s in cited],
            }
        )
        .reset_index()
    )
    rows["towns"] = [int(counted["towns"].get(f, 0)) for f in rows["faction"]]
    rows["population"] = [int(counted["population"].get(f, 0)) for f in rows["faction"]]
    towns = frame[~frame["faction"].isin(mine)].reset_index(drop=True)
    if theatre is None:
        # Every theatre at once: a faction drawn in one theatre keeps its towns' land in the others (a side
        # drawn in one war still holds the land of its towns in another), and its towns are counted there.
        elsewhere = _elsewhere(frame[frame["faction"].isin(mine)], drawn)
        rows.loc[rows["faction"].isin(elsewhere["faction"]), ["towns", "population"]] = 0
        towns = pd.concat([towns, elsewhere], ignore_index=True)
    if len(towns):
        towns = _cut(towns, shapely.union_all(shapes))
    columns = list(frame.columns)
    result = pd.concat([towns[columns], rows[columns]], ignore_index=True)
    return gpd.GeoDataFrame(result, geometry="geometry", crs=spatial.WGS84)


def _cut(towns: gpd.GeoDataFrame, cut, per_row: list | None = None) -> gpd.GeoDataFrame:
    """The town rule's areas without the drawn land (``cut``, or one shape per row); a cut area's km² shrinks
    by the share cut off (measured in one equal-area CRS), so an area no drawing touches keeps its figure."""
    geoms = towns.geometry.to_numpy()
    cut = np.array(per_row, dtype=object) if per_row is not None else cut
    hit = shapely.intersects(geoms, cut)
    if not hit.any():
        return towns
    clipped = geoms.copy()
    cut_hit = cut[hit] if per_row is not None else cut
    clipped[hit] = shapely.orient_polygons(
        shapely.difference(geoms[hit], cut_hit, grid_size=GRID_DEG), exterior_cw=False
    )
    before = spatial.area_km2(gpd.GeoSeries(geoms[hit], crs=spatial.WGS84)).to_numpy()
    after = spatial.area_km2(gpd.GeoSeries(clipped[hit], crs=spatial.WGS84)).to_numpy()
    towns = towns.set_geometry(list(clipped))
    km2 = towns["area_km2"].to_numpy(dtype=float).copy()
    km2[hit] = km2[hit] * np.divide(after, before, out=np.zeros_like(after), where=before > 0)
    towns["area_km2"] = km2
    return towns[~towns.geometry.is_empty].reset_index(drop=True)


def _elsewhere(frame: gpd.GeoDataFrame, drawn: list[DrawnArea]) -> gpd.GeoDataFrame:
    """The drawn factions' town-rule areas outside the theatres they are drawn in (empty rows dropped)."""
    if frame.empty:
        return frame
    from geodata.drawn_files import theatre_shape

    theatres = {a.theatre_id: a.theatre for a in drawn}
    outside = {}
    for slug in frame["faction"]:
        ids = {a.theatre_id for a in drawn if a.faction.slug == slug}
        outside[slug] = shapely.union_all([theatre_shape(theatres[i]) for i in sorted(ids)])
    frame = frame.reset_index(drop=True)
    return _cut(frame, None, per_row=[outside[s] for s in frame["faction"]])


def _united(geometries):
    items = list(geometries)
    return items[0] if len(items) == 1 else shapely.set_precision(shapely.union_all(items), GRID_DEG)


def overlays_as_of(*, on: dt.date, theatre: Theatre | None = None, layers=OVERLAYS) -> gpd.GeoDataFrame:
    """The overlay layers' latest published areas per faction on or before ``on`` (never assessed control)."""
    drawn = latest_drawn(on=on, layers=layers, theatre=theatre)
    rows = _drawn_rows(drawn, _shapes(drawn), on)
    rows["towns"], rows["population"] = 0, 0
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=spatial.WGS84)


def latest_drawn_date(*, on: dt.date, theatre_id: int | None = None) -> dt.date | None:
    """The latest day on or before ``on`` with a published drawn area (any layer; of the theatre with id
    ``theatre_id`` when given): the layer's file key moves with it, so a drawing dated after the last change
    of control is shown from its own day."""
    rows = _shown().filter(drawn_on__lte=on)
    if theatre_id is not None:
        rows = rows.filter(theatre_id=theatre_id)
    return rows.order_by("-drawn_on").values_list("drawn_on", flat=True).first()
