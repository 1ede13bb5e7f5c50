"""Control of one admin area on a date, from its own towns' rows of the slice (a town's or an area's
page), with the same columns and rules as ``provinces.province_control_as_of``'s row for it."""

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely
from django.db import connection
from django.db.models import Q
from shapely.geometry import shape

from geodata import spatial
from geodata.models import AdminArea, Town

from .. import selectors
from ..models import ControlChange

COLUMNS = ["area_id", "code", "name", "name_ar", "slug", "geometry", "towns", "dominant_faction", "shares",
           "population_shares", "contested"]


def area_towns(area: AdminArea):
    """The area's towns: its own and its districts' (as province_control_as_of lifts them)."""
    return Town.objects.filter(Q(admin_area=area) | Q(admin_area__parent=area))


def area_control_as_of(*, area: AdminArea, on: dt.date, published_only: bool = True) -> gpd.GeoDataFrame:
    """One row: the area's towns, shares, dominant faction and contested flag on ``on``.

    The slice of the area's towns only, counted by the database (one query), so a page about one
    area or one town never counts the country.
    """
    sql, params = selectors.slice_sql(
        on=on, seen=selectors.visibility(published_only=published_only), towns=area_towns(area),
        select="f.slug, c.status, COUNT(*), COUNT(t.population), COALESCE(SUM(t.population), 0)",
        tail="GROUP BY f.slug, c.status",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    contested = ControlChange.Status.CONTESTED
    counts = pd.DataFrame(
        [(area.pk, slug, status == contested, n, populated, population)
         for slug, status, n, populated, population in rows],
        columns=["area_id", "controller", "contested", "towns", "populated", "population"],
    ).astype({"controller": object, "contested": bool})
    geometry = shape(area.geometry) if area.geometry else shapely.Polygon()
    areas = gpd.GeoDataFrame(
        [{"area_id": area.pk, "code": area.code, "name": area.name, "name_ar": area.name_ar, "slug": area.slug,
          "level": area.level, "parent_id": area.parent_id}],
        geometry=[geometry], crs=spatial.WGS84,
    )
    return gpd.GeoDataFrame(spatial.area_control(counts, areas)[COLUMNS], geometry="geometry", crs=spatial.WGS84)
