"""The Voronoi cells of the recorded towns (AREA_RULE), cached per sites and geometry, never per date."""

import hashlib
from operator import itemgetter

import geopandas as gpd
import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Exists, OuterRef

from geodata import coverage, spatial
from geodata import selectors as places
from geodata.models import AdminArea, Theatre, Town

from .. import selectors
from ..selectors import data_version
from .provinces import area_level_ids
from .rule import CACHE_SECONDS, area_rule

_PLACE = itemgetter(*(selectors.TownRow._fields.index(f) for f in ("id", "admin_area_id", "latitude", "longitude")))


def _geometry_version(
    version: str | None = None, known: selectors.ControlSnapshot | None = None, theatre: int | None = None,
) -> str:
    """Changes when a town moves or is added, removed or reassigned, or when a boundary changes.

    The control log is not part of it: Voronoi cells only depend on where towns are, so a publish
    keeps them. It is worked out once per data revision (a hash of the towns' places and the areas'
    boundaries) and remembered under the revision, so a request reads one row to find it.
    ``known``, a slice of every town the caller read anyway, gives the towns' places without reading them.
    ``theatre`` (an id): its towns and areas only, under its own revision.
    """
    mine = "" if theatre is None else f":t{theatre}"
    key = f"territory:geometry-version:{version or data_version(theatre=theatre)}{mine}"
    version = cache.get(key)
    if version is None:
        digest = hashlib.sha256()
        town_rows, area_rows = Town.objects.order_by("pk"), AdminArea.objects.order_by("pk")
        if theatre is not None:
            town_rows, area_rows = town_rows.filter(theatre_id=theatre), area_rows.filter(theatre_id=theatre)
        if known is not None:  # the same tuples, in the same order, as the read below
            towns = sorted(map(_PLACE, known.towns))  # in C: a generator of tuples was ~5 ms at 10,000 towns
        else:
            towns = list(town_rows.values_list("pk", "admin_area_id", "latitude", "longitude"))
        # As float64 bytes (an id or a missing area as a float: exact below 2**53; None as NaN), not their
        # repr: writing 10,000 towns' floats as text was ~10 ms of each request after a write.
        digest.update(np.array(towns, dtype=np.float64).tobytes())
        areas: list[tuple]
        if theatre is None:
            areas = list(area_rows.values_list("pk", "level", "parent_id", "updated_at"))
        else:  # read once per request for the page's other uses too
            areas = [area[:4] for area in selectors.theatre_area_rows(theatre)]
        digest.update(repr(areas).encode())
        version = digest.hexdigest()[:16]
        cache.set(key, version, CACHE_SECONDS)
    return version


def _site_ids(*, published_only: bool, version: str | None = None,
              known: selectors.ControlSnapshot | None = None, theatre: int | None = None) -> list[int]:
    """The towns that speak for land: those with at least one change in force (see changes_in_force).

    A town known only from a gazetteer, or whose only change is a draft (outside a preview),
    rejected or retracted, is no site, so it never splits a recorded town's land. Cached per data version.
    ``known``, a slice of every town the caller read anyway (same visibility), settles its towns that
    have a change in force on its date: only the others are asked. ``theatre`` (an id; ``known`` then
    holds its towns): its towns only, under its own revision.
    """
    mine = "" if theatre is None else f":t{theatre}"
    version = version or data_version(published_only=published_only, theatre=theatre)
    key = f"territory:sites:{int(published_only)}:{version}{mine}"
    ids = cache.get(key)
    if ids is None:
        # Per town, does one change in force exist (an index probe each: 0.04 s at 10,000 towns x 1,000,000
        # changes on SQLite, 0.10 s on PostgreSQL), not the log's town ids read and deduplicated (3.2 s, 1.8 s).
        def asked():
            in_force = selectors.changes_in_force(published_only=published_only).filter(town=OuterRef("pk"))
            towns = Town.objects.filter(Exists(in_force))
            return towns if theatre is None else towns.filter(theatre_id=theatre)

        unsettled = [] if known is None else [t.id for t in known.towns if t.id not in known.changes]
        if known is not None and len(unsettled) <= SITES_ASKED_MAX:
            # The diff's start slice leaves few towns to probe: 2 ms at 10,000 towns x 1,000,000 changes. None
            # left, no query is made (nor built: the rule's queryset was ~2 ms of a small theatre's diff).
            found = set(asked().filter(pk__in=unsettled).values_list("pk", flat=True)) if unsettled else set()
            ids = sorted({*known.changes, *found})
        else:
            ids = list(asked().order_by("pk").values_list("pk", flat=True))
        if published_only and not selectors.editor_reads():
            # The public's land is never split around a town it may see only at its district's resolution:
            # its cell would outline where it is (selectors.coarse). The key's version is the public's own.
            hidden = selectors.coarse_town_ids()
            ids = [pk for pk in ids if pk not in hidden]
        cache.set(key, ids, CACHE_SECONDS)
    return ids


CellsKey = tuple[str, list[int], float, int | None]  # name, sites, radius, theatre id (None: every theatre)
# Past this many towns left to probe, one probe of every town is simpler than an IN list of them.
SITES_ASKED_MAX = 2_000


def cells_key(
    *, published_only: bool, known: selectors.ControlSnapshot | None = None, theatre: Theatre | None = None,
) -> CellsKey:
    """The cells' cache key (geometry version, the set of sites, the radius), the sites and the radius.

    A request works it out once (one read of the data revision) and hands it to the cell readers below.
    ``known``: a slice of every town the caller holds (of the theatre's towns with ``theatre``; see
    ``_site_ids``). ``theatre``: the cells of its towns within its governorates alone, drawn as if it were
    the only one (the equal-area projection is centred on its areas), keyed by its own revision, towns
    and areas, so another theatre's writes, towns and boundaries never move (nor rebuild) its cells.
    """
    mine = None if theatre is None else theatre.pk
    version = data_version(theatre=mine)
    sites = _site_ids(published_only=published_only, theatre=mine, known=known,
                      version=version if published_only else data_version(published_only=False, theatre=mine))
    radius_km = area_rule()["radius_km"]
    digest = hashlib.sha256(repr(sites).encode()).hexdigest()[:16]
    name = f"{_geometry_version(version, known, mine)}:{digest}:{radius_km:g}"
    if theatre is None:
        return name, sites, float(radius_km), None
    return f"{name}:t{theatre.pk}", sites, float(radius_km), theatre.pk


def cell_shapes(*, published_only: bool = True, key: CellsKey | None = None) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Each recorded town's bounded Voronoi cell (AREA_RULE), cached per sites and geometry (not per date).

    A light copy without geometry (site, area_km2) is cached beside it for the km²-only path.
    """
    name, sites, radius_km, theatre_id = key or cells_key(published_only=published_only)
    cached = cache.get(f"territory:cells:{name}")
    if cached is None:
        towns = places.towns_frame()
        towns = towns[towns["town_id"].isin(sites)].copy()
        # Cells are clipped to governorates (level 1): they tile the country without overlaps.
        towns["area_id"] = area_level_ids(towns, AdminArea.Level.PROVINCE, theatre=theatre_id)
        areas = places.admin_areas_frame(level=AdminArea.Level.PROVINCE, theatre=theatre_id)
        cached = spatial.voronoi_cells(towns[["town_id", "area_id", "geometry"]], areas, radius_m=radius_km * 1_000)
        cache.set(f"territory:cells:{name}", cached, CACHE_SECONDS)
        cells, town_sites = cached
        cache.set(f"territory:cell-areas:{name}", (pd.DataFrame(cells[["site", "area_km2"]]), town_sites),
                  CACHE_SECONDS)
        cache.set(f"territory:cell-edges:{name}", (coverage.cell_edges(cells.geometry.to_numpy()),), CACHE_SECONDS)
    return cached


def cell_areas(*, published_only: bool = True, key: CellsKey | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """(site, area_km2) per cell and each town's site: what km² sums need, without unpickling polygons."""
    key = key or cells_key(published_only=published_only)
    cached = cache.get(f"territory:cell-areas:{key[0]}")
    if cached is None:
        cells, town_sites = cell_shapes(published_only=published_only, key=key)
        cached = (pd.DataFrame(cells[["site", "area_km2"]]), town_sites)
    return cached


def cell_edges(*, published_only: bool = True, key: CellsKey | None = None) -> coverage.CellEdges | None:
    """The cells' edges for the dissolve (None when the cells are no exact coverage: then they are unioned)."""
    key = key or cells_key(published_only=published_only)
    cached = cache.get(f"territory:cell-edges:{key[0]}")
    if cached is None:
        cells, _ = cell_shapes(published_only=published_only, key=key)  # stores the edges beside cells it builds
        cached = cache.get(f"territory:cell-edges:{key[0]}")
        if cached is None:  # the cells were kept but their edges evicted
            cached = (coverage.cell_edges(cells.geometry.to_numpy()),)
            cache.set(f"territory:cell-edges:{key[0]}", cached, CACHE_SECONDS)
    return cached[0]

