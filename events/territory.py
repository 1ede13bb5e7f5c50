"""Territory on a date: control_as_of combined with geometry (province control, control areas, diffs).

Reads only. Geometry is WGS84; areas are km² in an equal-area CRS (see ``geodata.spatial``).
"""

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from django.core.cache import cache

from geodata import selectors as places
from geodata import spatial
from geodata.models import AdminArea, Town

from .models import ControlChange, Faction
from .selectors import data_version, latest_change_ids

CONTESTED = spatial.CONTESTED
CONTESTED_NAME = "Contested"
CONTESTED_COLOUR = "#7f7f7f"
CACHE_SECONDS = 24 * 3600  # the key holds the data version, so stale entries are never read


def _latest_changes(*, on: dt.date, published_only: bool) -> pd.DataFrame:
    """The change in force per town on ``on`` (control_as_of's own lookup), as plain columns.

    Model instances are skipped on purpose: building 10,000 towns with their governorate's JSON
    geometry costs seconds, and only ids, slugs and statuses are needed here.
    """
    rows = ControlChange.objects.filter(pk__in=latest_change_ids(on=on, published_only=published_only)).values(
        "town_id", "faction_id", "faction__slug", "status", "effective_date"
    )
    return pd.DataFrame(
        list(rows), columns=["town_id", "faction_id", "faction__slug", "status", "effective_date"]
    ).set_index("town_id")


def _town_control(*, on: dt.date, published_only: bool) -> gpd.GeoDataFrame:
    """One row per town: town_id, area_id, population, controller, contested, klass, geometry."""
    frame = places.towns_frame()
    latest = _latest_changes(on=on, published_only=published_only)
    controller = frame["town_id"].map(latest["faction__slug"])
    contested = frame["town_id"].map(latest["status"]).eq(ControlChange.Status.CONTESTED).to_numpy(dtype=bool)
    frame["controller"] = pd.Series(
        [c if isinstance(c, str) else None for c in controller], index=frame.index, dtype=object
    )
    frame["contested"] = contested
    frame["klass"] = [CONTESTED if c else k for k, c in zip(frame["controller"], contested, strict=True)]
    return frame


def _area_level_ids(towns: gpd.GeoDataFrame, level: int) -> pd.Series:
    """Each town's area of ``level``: its own area, or the parent when the town sits in a district."""
    areas = {a["id"]: a for a in AdminArea.objects.values("id", "level", "parent_id")}

    def lift(area_id):
        area = areas.get(area_id) if not pd.isna(area_id) else None
        while area is not None and area["level"] > level:
            area = areas.get(area["parent_id"])
        return area["id"] if area is not None and area["level"] == level else pd.NA

    return towns["area_id"].map(lift).astype("Int64")


def province_control_as_of(*, on: dt.date, level: int = 1, published_only: bool = True) -> gpd.GeoDataFrame:
    """Per admin area of ``level``: towns, shares by faction, dominant faction and contested flag.

    Shares count the towns whose controller is known (a contested town counts for the faction
    recorded as holding it); population_shares weigh them by known population. dominant_faction
    holds strictly more towns than any other, else None. ``contested`` is True when any town in the
    area is contested or no faction holds more than half of its known towns (see
    ``geodata.spatial.area_control``). Areas without geometry are included with an empty geometry.
    """
    towns = _town_control(on=on, published_only=published_only)
    towns["area_id"] = _area_level_ids(towns, level)
    areas = places.admin_areas_frame(level=level)
    missing = AdminArea.objects.filter(level=level, geometry__isnull=True).order_by("code")
    if missing.exists():
        extra = gpd.GeoDataFrame(
            [{"area_id": a.pk, "code": a.code, "name": a.name, "name_ar": a.name_ar, "slug": a.slug,
              "level": a.level, "parent_id": a.parent_id} for a in missing],
            geometry=[shapely.Polygon()] * missing.count(), crs=spatial.WGS84,
        )
        areas = gpd.GeoDataFrame(pd.concat([areas, extra], ignore_index=True), crs=spatial.WGS84)
        areas = areas.sort_values("code", ignore_index=True)
    result = spatial.area_control(towns, areas)
    columns = [
        "area_id", "code", "name", "name_ar", "slug", "geometry", "towns", "dominant_faction", "shares",
        "population_shares", "contested",
    ]
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=spatial.WGS84)


def _compute_control_areas(*, on: dt.date, published_only: bool) -> gpd.GeoDataFrame:
    towns = _town_control(on=on, published_only=published_only)
    # Cells are clipped to governorates (level 1): they tile the country without overlaps.
    towns["area_id"] = _area_level_ids(towns, AdminArea.Level.PROVINCE)
    areas = places.admin_areas_frame(level=AdminArea.Level.PROVINCE)
    result = spatial.control_areas(towns[["town_id", "area_id", "klass", "population", "geometry"]], areas)
    factions = {f.slug: f for f in Faction.objects.all()}
    result.insert(0, "faction", result.pop("klass"))
    result["faction_name"] = [
        CONTESTED_NAME if s == CONTESTED else factions[s].name for s in result["faction"]
    ]
    result["colour"] = [CONTESTED_COLOUR if s == CONTESTED else factions[s].colour for s in result["faction"]]
    columns = ["faction", "faction_name", "colour", "area_km2", "towns", "population", "geometry"]
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=spatial.WGS84)


def control_areas_as_of(*, on: dt.date, published_only: bool = True) -> gpd.GeoDataFrame:
    """Territory per faction (and one contested class) on ``on``; cached per date and data version.

    Voronoi cells of the towns with a known controller, clipped to the governorates and dissolved
    by controller; area_km2 in an equal-area CRS. Towns with nothing recorded do not claim land.
    """
    key = f"territory:control-areas:{on.isoformat()}:{int(published_only)}:{data_version()}"
    cached = cache.get(key)
    if cached is None:
        cached = _compute_control_areas(on=on, published_only=published_only)
        cache.set(key, cached, CACHE_SECONDS)
    return cached.copy()


@dataclass(frozen=True)
class Handover:
    town: Town
    from_faction: Faction | None
    to_faction: Faction
    date: dt.date


@dataclass(frozen=True)
class TerritoryChange:
    start: dt.date
    end: dt.date
    handovers: list[Handover]
    area_change: dict[str, dict[str, float]]


def territory_between(*, start: dt.date, end: dt.date, published_only: bool = True) -> TerritoryChange:
    """What changed hands from the end of ``start`` to the end of ``end``.

    A handover is a town whose controlling faction differs between the two dates (a town taken
    and lost again in between is not listed); its date is that of the change in force at ``end``.
    area_change gives, per class (faction slug or "contested"), the km² gained and lost.
    """
    if start > end:
        raise ValueError("start must not be after end")
    before = _latest_changes(on=start, published_only=published_only)
    after = _latest_changes(on=end, published_only=published_only)
    moved = after.join(before[["faction_id"]].add_suffix("_before"), how="left")
    moved = moved[moved["faction_id"] != moved["faction_id_before"]]
    towns = Town.objects.in_bulk(list(moved.index))
    factions = Faction.objects.in_bulk()
    handovers = [
        Handover(
            town=towns[town_id], to_faction=factions[row.faction_id], date=row.effective_date,
            from_faction=None if pd.isna(row.faction_id_before) else factions[int(row.faction_id_before)],
        )
        for town_id, row in zip(moved.index, moved.itertuples(index=False), strict=True)
    ]
    handovers.sort(key=lambda h: (h.date, h.town.name, h.town.pk))

    then = control_areas_as_of(on=start, published_only=published_only)
    now = control_areas_as_of(on=end, published_only=published_only)
    area_change = {}
    if not then.empty or not now.empty:
        # The same CRS control_areas measured in, so these km² add up with area_km2.
        metric = spatial.equal_area_crs(places.admin_areas_frame(level=AdminArea.Level.PROVINCE))
        old_geoms = dict(zip(then["faction"], spatial.to_metric(then.geometry, metric), strict=True))
        new_geoms = dict(zip(now["faction"], spatial.to_metric(now.geometry, metric), strict=True))
        empty = shapely.Polygon()
        for slug in sorted(set(old_geoms) | set(new_geoms)):
            old_g, new_g = old_geoms.get(slug, empty), new_geoms.get(slug, empty)
            area_change[slug] = {
                "gained_km2": round(shapely.difference(new_g, old_g).area / 1e6, 3),
                "lost_km2": round(shapely.difference(old_g, new_g).area / 1e6, 3),
            }
    return TerritoryChange(start=start, end=end, handovers=handovers, area_change=area_change)
