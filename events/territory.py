"""Territory on a date: control_as_of combined with geometry (province control, control areas, diffs).

Reads only. Geometry is WGS84; areas are km² in an equal-area CRS (see ``geodata.spatial``).
"""

import datetime as dt
import hashlib

import geopandas as gpd
import pandas as pd
import shapely
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from geodata import coverage, spatial
from geodata import selectors as places
from geodata.models import AdminArea, Town

from . import selectors
from .models import ControlChange, Faction
from .nearby_slices import control_as_of_nearby
from .selectors import data_version

CONTESTED = spatial.CONTESTED
CONTESTED_NAME = "Contested"
# The one place the contested colour is set (map legend, GeoJSON, charts read it from here). Blue:
# no seed faction uses it, and at the map's 35% fill it stays apart from IS's near-black, which the
# grey it replaces did not (CIEDE2000 7.9 against IS; this one is 13.5, tested).
CONTESTED_COLOUR = "#1f78b4"
CACHE_SECONDS = 24 * 3600  # the key holds the data version, so stale entries are never read
# How control areas are drawn, stated once: the map, the areas GeoJSON, the diff page and the API
# show this text, and every km² follows it (see area_rule for the radius).
AREA_RULE = (
    "Each town with a published record speaks for the land nearer to it than to any other recorded "
    "town, up to {radius_km:g} km from it and only inside its governorate. Land beyond is left "
    "unpainted: no record. So is the land of a town whose first record is later than the date shown. "
    "Areas are measured in km² in an equal-area projection."
)


def area_rule() -> dict:
    """The rule in words and its radius in km (settings.CONTROL_AREA_RADIUS_KM)."""
    radius_km = float(settings.CONTROL_AREA_RADIUS_KM)
    if not radius_km > 0:
        raise ImproperlyConfigured(f"CONTROL_AREA_RADIUS_KM must be a positive number of km, not {radius_km:g}.")
    return {"text": AREA_RULE.format(radius_km=radius_km), "radius_km": radius_km}


def _latest_changes(*, on: dt.date, published_only: bool) -> pd.DataFrame:
    """control_as_of's rows as columns indexed by town id: faction_id, faction_slug, status, effective_date."""
    snapshot = selectors.control_as_of(on=on, published_only=published_only)
    columns = ["town_id", "faction_id", "faction_slug", "status", "effective_date"]
    rows = [(c.town_id, c.faction_id, c.faction_slug, c.status, c.effective_date) for c in snapshot.changes.values()]
    return pd.DataFrame(rows, columns=columns).set_index("town_id")


def _control_counts(*, on: dt.date, published_only: bool, level: int) -> pd.DataFrame:
    """The time slice counted per admin area of ``level``, controller and contested: towns, populated
    (towns with a known population) and population. Counted by the database, no row per town."""
    lifted = _level_area_ids(level)
    contested_status = ControlChange.Status.CONTESTED
    rows = [
        (lifted[count.admin_area_id], count.faction_slug, count.status == contested_status, count.towns,
         count.populated, count.population)
        for count in selectors.control_counts_as_of(on=on, published_only=published_only)
        if count.admin_area_id in lifted  # a town in no area of ``level`` counts in none
    ]
    columns = ["area_id", "controller", "contested", "towns", "populated", "population"]
    return pd.DataFrame(rows, columns=columns).astype({"controller": object, "contested": bool})


def _level_area_ids(level: int) -> dict[int, int]:
    """Each area's area of ``level``: itself, or its parent for a district (one query; no geometry)."""
    areas = {a["id"]: a for a in AdminArea.objects.values("id", "level", "parent_id")}
    lifted = {}
    for area_id in areas:
        area = areas[area_id]
        while area is not None and area["level"] > level:
            area = areas.get(area["parent_id"])
        if area is not None and area["level"] == level:
            lifted[area_id] = area["id"]
    return lifted


def _area_level_ids(towns: pd.DataFrame, level: int) -> pd.Series:
    """Each town's area of ``level``: its own area, or the parent when the town sits in a district."""
    return towns["area_id"].map(_level_area_ids(level)).astype("Int64")


def province_control_as_of(*, on: dt.date, level: int = 1, published_only: bool = True) -> gpd.GeoDataFrame:
    """Per admin area of ``level``: towns, shares by faction, dominant faction and contested flag.

    Shares count the towns whose controller is known (a contested town counts for the faction
    recorded as holding it); population_shares weigh them by known population. dominant_faction
    holds strictly more towns than any other, else None. ``contested`` is True when any town in the
    area is contested or no faction holds more than half of its known towns (see
    ``geodata.spatial.area_control``). Areas without geometry are included with an empty geometry.
    """
    # The slice counted per area by the database: no point geometry, no row per town.
    counts = _control_counts(on=on, published_only=published_only, level=level)
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
    result = spatial.area_control(counts, areas)
    columns = [
        "area_id", "code", "name", "name_ar", "slug", "geometry", "towns", "dominant_faction", "shares",
        "population_shares", "contested",
    ]
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=spatial.WGS84)


def _geometry_version(version: str | None = None) -> str:
    """Changes when a town moves or is added, removed or reassigned, or when a boundary changes.

    The control log is not part of it: Voronoi cells only depend on where towns are, so a publish
    keeps them. It is worked out once per data revision (a hash of the towns' places and the areas'
    boundaries) and remembered under the revision, so a request reads one row to find it.
    """
    key = f"territory:geometry-version:{version or data_version()}"
    version = cache.get(key)
    if version is None:
        digest = hashlib.sha256()
        towns = Town.objects.order_by("pk").values_list("pk", "admin_area_id", "latitude", "longitude")
        digest.update(repr(list(towns)).encode())
        areas = AdminArea.objects.order_by("pk").values_list("pk", "level", "parent_id", "updated_at")
        digest.update(repr(list(areas)).encode())
        version = digest.hexdigest()[:16]
        cache.set(key, version, CACHE_SECONDS)
    return version


def _site_ids(*, published_only: bool, version: str | None = None) -> list[int]:
    """The towns that speak for land: those with at least one change in force (see changes_in_force).

    A town known only from a gazetteer, or whose only change is a draft (outside a preview),
    rejected or retracted, is no site, so it never splits a recorded town's land. Cached per data version.
    """
    key = f"territory:sites:{int(published_only)}:{version or data_version(published_only=published_only)}"
    ids = cache.get(key)
    if ids is None:
        in_force = selectors.changes_in_force(published_only=published_only)
        ids = sorted(set(in_force.values_list("town_id", flat=True)))
        cache.set(key, ids, CACHE_SECONDS)
    return ids


CellsKey = tuple[str, list[int], float]


def _cells_key(*, published_only: bool) -> CellsKey:
    """The cells' cache key (geometry version, the set of sites, the radius), the sites and the radius.

    A request works it out once (one read of the data revision) and hands it to the cell readers below.
    """
    version = data_version()
    sites = _site_ids(published_only=published_only,
                      version=version if published_only else data_version(published_only=False))
    radius_km = area_rule()["radius_km"]
    digest = hashlib.sha256(repr(sites).encode()).hexdigest()[:16]
    return f"{_geometry_version(version)}:{digest}:{radius_km:g}", sites, radius_km


def _cells(*, published_only: bool = True, key: CellsKey | None = None) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Each recorded town's bounded Voronoi cell (AREA_RULE), cached per sites and geometry (not per date).

    A light copy without geometry (site, area_km2) is cached beside it for the km²-only path.
    """
    key, sites, radius_km = key or _cells_key(published_only=published_only)
    cached = cache.get(f"territory:cells:{key}")
    if cached is None:
        towns = places.towns_frame()
        towns = towns[towns["town_id"].isin(sites)].copy()
        # Cells are clipped to governorates (level 1): they tile the country without overlaps.
        towns["area_id"] = _area_level_ids(towns, AdminArea.Level.PROVINCE)
        areas = places.admin_areas_frame(level=AdminArea.Level.PROVINCE)
        cached = spatial.voronoi_cells(towns[["town_id", "area_id", "geometry"]], areas, radius_m=radius_km * 1_000)
        cache.set(f"territory:cells:{key}", cached, CACHE_SECONDS)
        cells, town_sites = cached
        cache.set(f"territory:cell-areas:{key}", (pd.DataFrame(cells[["site", "area_km2"]]), town_sites),
                  CACHE_SECONDS)
        cache.set(f"territory:cell-edges:{key}", (coverage.cell_edges(cells.geometry.to_numpy()),), CACHE_SECONDS)
    return cached


def _cell_areas(*, published_only: bool = True, key: CellsKey | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """(site, area_km2) per cell and each town's site: what km² sums need, without unpickling polygons."""
    key = key or _cells_key(published_only=published_only)
    cached = cache.get(f"territory:cell-areas:{key[0]}")
    if cached is None:
        cells, town_sites = _cells(published_only=published_only, key=key)
        cached = (pd.DataFrame(cells[["site", "area_km2"]]), town_sites)
    return cached


def _cell_edges(*, published_only: bool = True, key: CellsKey | None = None) -> coverage.CellEdges | None:
    """The cells' edges for the dissolve (None when the cells are no exact coverage: then they are unioned)."""
    key = key or _cells_key(published_only=published_only)
    cached = cache.get(f"territory:cell-edges:{key[0]}")
    if cached is None:
        cells, _ = _cells(published_only=published_only, key=key)  # stores the edges beside cells it builds
        cached = cache.get(f"territory:cell-edges:{key[0]}")
        if cached is None:  # the cells were kept but their edges evicted
            cached = (coverage.cell_edges(cells.geometry.to_numpy()),)
            cache.set(f"territory:cell-edges:{key[0]}", cached, CACHE_SECONDS)
    return cached[0]


def _klass(change: selectors.ChangeRow | None) -> str | None:
    if change is None:
        return None
    return CONTESTED if change.status == ControlChange.Status.CONTESTED else change.faction_slug


def _town_classes(*, on: dt.date, published_only: bool) -> pd.DataFrame:
    """town_id, klass (None where nothing is recorded by ``on``) and population; no geometry."""
    snapshot = control_as_of_nearby(on=on, published_only=published_only)
    # Columns straight from the rows (a Python call per town cost as much as the slice step itself).
    ids, populations = [t.id for t in snapshot.towns], [t.population for t in snapshot.towns]
    contested = ControlChange.Status.CONTESTED
    klass = {town_id: CONTESTED if c.status == contested else c.faction_slug
             for town_id, c in snapshot.changes.items()}
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


def control_areas_as_of(*, on: dt.date, published_only: bool = True) -> gpd.GeoDataFrame:
    """Territory per faction (and one contested class) on ``on``, from the cached cells and their edges.

    AREA_RULE: each recorded town's Voronoi cell within the radius and its governorate, dissolved
    by controller; area_km2 in an equal-area CRS. Land no recorded town reaches, and that of towns
    with nothing recorded by ``on``, is in no row: the map leaves it unpainted ("no record") rather
    than guessing who holds it. So the rows cover the recorded land; unknown_km2 gives the rest.
    Not cached itself: its one reader, the control-areas layer, keeps its file per data revision.
    """
    key = _cells_key(published_only=published_only)
    edges = _cell_edges(published_only=published_only, key=key)
    # With the cells' edges a date needs no cell geometry at all: their areas and the walk.
    cells, town_sites = (_cell_areas if edges is not None else _cells)(published_only=published_only, key=key)
    towns = _town_classes(on=on, published_only=published_only)
    return _labelled(spatial.control_areas_from_cells(cells, town_sites, towns, edges))


def unknown_km2(*, on: dt.date, published_only: bool = True) -> float:
    """km² that no row of control_areas_as_of covers on ``on``: beyond every reach, or no record yet."""
    cells, town_sites = _cell_areas(published_only=published_only)
    towns = _town_classes(on=on, published_only=published_only)
    town_klass = pd.Series(towns["klass"].to_numpy(), index=towns["town_id"].to_numpy(), dtype=object)
    known = cells["site"].map(spatial.site_classes(town_klass, town_sites)).notna().to_numpy()
    return float(cells.loc[~known, "area_km2"].sum())


def territory_over_time(*, dates: list[dt.date], published_only: bool = True) -> pd.DataFrame:
    """Per date and class (faction slug or "contested"): towns, population and area_km2.

    The same figures as control_areas_as_of on each date, without its geometry: one query over the
    log walked once in Python, and km² as sums of the cached Voronoi cell areas by controller.
    Unknown land is in no row, as on the map. Cached per dates and data version.
    """
    key = f"territory:over-time:{hashlib.sha256(repr(sorted(dates)).encode()).hexdigest()[:16]}:" \
          f"{int(published_only)}:{data_version(published_only=published_only)}:{area_rule()['radius_km']:g}"
    cached = cache.get(key)
    if cached is None:
        cached = _territory_over_time(dates=dates, published_only=published_only)
        cache.set(key, cached, CACHE_SECONDS)
    return cached.copy()


def _territory_over_time(*, dates: list[dt.date], published_only: bool) -> pd.DataFrame:
    cells, town_sites = _cell_areas(published_only=published_only)
    population = dict(Town.objects.values_list("pk", "population"))
    rows = []
    timelines = selectors.town_timelines(published_only=published_only)
    for date, state in selectors.in_force_on_dates(timelines, dates):
        town_klass = pd.Series({t: _klass(held) for t, held in state.items()}, dtype=object)
        km2 = spatial.class_km2(cells, spatial.site_classes(town_klass, town_sites))
        counts = town_klass.value_counts()
        pops = pd.Series([population.get(t) or 0 for t in town_klass.index], index=town_klass.to_numpy())
        pops = pops.groupby(level=0).sum() if len(pops) else pops
        for klass in set(km2.index) | set(counts.index):
            rows.append({"date": date, "klass": klass, "towns": int(counts.get(klass, 0)),
                         "population": int(pops.get(klass, 0)), "area_km2": float(km2.get(klass, 0.0))})
    return pd.DataFrame(rows, columns=["date", "klass", "towns", "population", "area_km2"])


def area_shares_over_time(*, area: AdminArea, published_only: bool = True) -> list[tuple[dt.date, dict[str, float]]]:
    """An admin area's town shares (as province_control_as_of computes them) at each date one of its towns changed.

    Towns in its sub-areas count, as they do in province_control_as_of. One query for the area's
    towns, one for their log; no geometry.
    """
    children: dict[int | None, list[int]] = {}
    for pk, parent in AdminArea.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    inside, todo = set(), [area.pk]
    while todo:
        pk = todo.pop()
        inside.add(pk)
        todo.extend(children.get(pk, []))
    towns = Town.objects.filter(admin_area_id__in=inside).values("pk")
    timelines = selectors.town_timelines(town_ids=towns, published_only=published_only)
    dates = sorted({row.effective_date for timeline in timelines.values() for row in timeline})
    timeline = []
    for date, state in selectors.in_force_on_dates(timelines, dates):
        # A contested town counts for the faction holding it, as in spatial.area_control.
        held = pd.Series([row.faction_slug for row in state.values()], dtype=object)
        counts = held.value_counts()
        timeline.append((date, {slug: float(n / len(held)) for slug, n in sorted(counts.items())}))
    return timeline
