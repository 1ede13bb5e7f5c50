"""Control per admin area on a date: the slice counted by the database, joined to the areas' shapes."""

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import selectors as places
from geodata import spatial
from geodata.models import AdminArea, Theatre

from .. import selectors
from ..models import ControlChange
from .one_area import COLUMNS


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a kept version is one object
class LevelAreas:
    """The areas of one level (of one theatre, or of every theatre) as control is joined to them: each area's
    area of that level (``lifted``, a district's governorate) and their frame, in code order, with an empty
    polygon where no boundary is loaded. Kept per version of the areas (``level_areas``)."""

    level: int
    theatre_id: int | None
    lifted: dict[int, int]
    frame: gpd.GeoDataFrame


KEPT_VERSIONS = 16  # (level, theatre) pairs a worker keeps: a handful of theatres at two levels
_kept: OrderedDict[tuple, LevelAreas] = OrderedDict()
_kept_lock = threading.Lock()  # a threaded worker serves several requests at once


def level_areas(*, level: int, theatre: Theatre | None = None) -> LevelAreas:
    """The areas of ``level`` as ``province_control_as_of`` joins them, made once per version of the areas.

    A publish moves the data revision but never an area, so after a write the layer only counts the slice
    again: building the frame (every boundary's GeoJSON decoded into shapely) was a fixed cost of each
    request after a write (~15 ms for a theatre of four boxes). The version is the areas' ids, levels,
    parents, theatres and ``updated_at`` (every write of an area sets it, bulk ones included: see
    ``geodata.services.records``), read in the query that lifts districts to their governorates anyway.
    """
    theatre_id = None if theatre is None else theatre.pk
    rows = AdminArea.objects.order_by("pk")
    if theatre_id is not None:  # a theatre's towns lie in its own areas: another theatre's cannot lift them
        rows = rows.filter(theatre_id=theatre_id)
    version = (level, theatre_id, tuple(rows.values_list("pk", "level", "parent_id", "updated_at")))
    with _kept_lock:
        kept = _kept.get(version)
        if kept is not None:
            _kept.move_to_end(version)
            return kept
    kept = LevelAreas(level=level, theatre_id=theatre_id, lifted=_lifted(version[2], level),
                      frame=_areas_frame(level=level, theatre_id=theatre_id))
    with _kept_lock:
        _kept[version] = kept
        while len(_kept) > KEPT_VERSIONS:
            _kept.popitem(last=False)
    return kept


def forget_kept_areas() -> None:
    """Forget every kept version (the tests: an area changed by QuerySet.update() and rolled back keeps its
    version's key; the project's own writes move ``updated_at``)."""
    with _kept_lock:
        _kept.clear()


def _areas_frame(*, level: int, theatre_id: int | None) -> gpd.GeoDataFrame:
    """The areas with the columns control is joined to (``area_control`` adds its own after them: COLUMNS)."""
    areas = places.admin_areas_frame(level=level, theatre=theatre_id)
    missing = AdminArea.objects.filter(level=level, geometry__isnull=True).order_by("code")
    if theatre_id is not None:
        missing = missing.filter(theatre_id=theatre_id)
    if missing.exists():
        extra = gpd.GeoDataFrame(
            [{"area_id": a.pk, "code": a.code, "name": a.name, "name_ar": a.name_ar, "slug": a.slug,
              "level": a.level, "parent_id": a.parent_id} for a in missing],
            geometry=[shapely.Polygon()] * missing.count(), crs=spatial.WGS84,
        )
        areas = gpd.GeoDataFrame(pd.concat([areas, extra], ignore_index=True), crs=spatial.WGS84)
        areas = areas.sort_values("code", ignore_index=True)
    return areas[COLUMNS[:COLUMNS.index("geometry") + 1]]


def _control_counts(*, on: dt.date, published_only: bool, lifted: dict[int, int],
                    theatre: Theatre | None = None) -> pd.DataFrame:
    """The time slice counted per area of ``lifted``'s level, controller and contested: towns, populated
    (towns with a known population) and population. Counted by the database, no row per town."""
    contested_status = ControlChange.Status.CONTESTED
    rows = [
        (lifted[count.admin_area_id], count.faction_slug, count.status == contested_status, count.towns,
         count.populated, count.population)
        for count in selectors.control_counts_as_of(on=on, published_only=published_only, theatre=theatre)
        if count.admin_area_id in lifted  # a town in no area of ``level`` counts in none
    ]
    columns = ["area_id", "controller", "contested", "towns", "populated", "population"]
    # Made from arrays of their types: astype, or a Series per column, on a frame of a few hundred rows cost
    # more than the rest of the join (0.56 and 0.38 against 0.1 ms). The controller stays an object column
    # (a numpy array of text would be inferred as pandas' string type, its None as NaN).
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame({
        "area_id": np.array(values[0], dtype=np.int64), "controller": pd.Series(values[1], dtype=object),
        "contested": np.array(values[2], dtype=bool), "towns": np.array(values[3], dtype=np.int64),
        "populated": np.array(values[4], dtype=np.int64), "population": np.array(values[5], dtype=np.int64),
    })


def level_area_ids(level: int, *, theatre: Theatre | int | None = None) -> dict[int, int]:
    """Each area's area of ``level``: itself, or its parent for a district (one query; no geometry); of
    ``theatre``'s areas only when given (with any parent of theirs another theatre holds: none, as loaded)."""
    if theatre is None:
        return _lifted(AdminArea.objects.values_list("id", "level", "parent_id"), level)
    theatre_id = theatre.pk if isinstance(theatre, Theatre) else theatre
    rows = [area[:3] for area in selectors.theatre_area_rows(theatre_id)]
    while missing := {row[2] for row in rows if row[2] is not None} - {row[0] for row in rows}:
        rows += AdminArea.objects.filter(pk__in=missing).values_list("id", "level", "parent_id")
    return _lifted(rows, level)


def _lifted(rows: Iterable[tuple], level: int) -> dict[int, int]:
    """``rows`` (id, level, parent id, ...) as each area's area of ``level``."""
    areas = {row[0]: row for row in rows}
    lifted = {}
    for area_id in areas:
        area: Any = areas[area_id]
        while area is not None and area[1] > level:
            area = areas.get(area[2])
        if area is not None and area[1] == level:
            lifted[area_id] = area[0]
    return lifted


def area_level_ids(towns: pd.DataFrame, level: int, *, theatre: int | None = None) -> pd.Series:
    """Each town's area of ``level``: its own area, or the parent when the town sits in a district; ``towns``
    of ``theatre`` (an id) when given, whose areas alone are read."""
    return towns["area_id"].map(level_area_ids(level, theatre=theatre)).astype("Int64")


def province_control_as_of(
    *, on: dt.date, level: int = 1, published_only: bool = True, theatre: Theatre | None = None,
    areas: LevelAreas | None = None,
) -> gpd.GeoDataFrame:
    """Per admin area of ``level``: towns, shares by faction, dominant faction and contested flag.

    Shares count the towns whose controller is known (a contested town counts for the faction
    recorded as holding it); population_shares weigh them by known population. dominant_faction
    holds strictly more towns than any other, else None. ``contested`` is True when any town in the
    area is contested or no faction holds more than half of its known towns (see
    ``geodata.spatial.area_control``). Areas without geometry are included with an empty geometry. With
    ``theatre``, that theatre's areas and towns only. ``areas``: ``level_areas`` of the same level and
    theatre, when the caller has it.
    """
    if areas is None:
        areas = level_areas(level=level, theatre=theatre)
    # The slice counted per area by the database: no point geometry, no row per town.
    counts = _control_counts(on=on, published_only=published_only, lifted=areas.lifted, theatre=theatre)
    return spatial.area_control(counts, areas.frame)  # the areas' columns, then the control's: COLUMNS
