"""Control of one admin area on a date, from its own towns' rows of the slice (a town's or an area's
page), with the same columns and rules as ``provinces.province_control_as_of``'s row for it."""

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely
from django.db.models import Q
from shapely.geometry import shape

from geodata import spatial
from geodata.models import AdminArea, Town

from .. import selectors
from ..models import ControlChange

COLUMNS = ["area_id", "code", "name", "name_ar", "slug", "geometry", "towns", "dominant_faction", "shares",
           "population_shares", "contested"]


def area_towns(area: AdminArea):
    """The area's towns: its own and its districts' (as province_control_as_of lifts them). Their areas are
    found first, then their towns by the admin_area index: joined to the areas with an OR, SQLite read
    every town of every theatre (in name order, for the area page's first page)."""
    return Town.objects.filter(admin_area__in=AdminArea.objects.filter(Q(pk=area.pk) | Q(parent=area)).values("pk"))


def _area_counts(area: AdminArea, on: dt.date, published_only: bool) -> pd.DataFrame:
    """The slice of the area's towns only, counted by the database (``selectors.control_counts_as_of``), so a page
    about one area or one town never counts the country; its districts' counts are the area's own."""
    contested = ControlChange.Status.CONTESTED
    return pd.DataFrame(
        [(area.pk, c.faction_slug, c.status == contested, c.towns, c.populated, c.population)
         for c in selectors.control_counts_as_of(on=on, published_only=published_only, towns=area_towns(area))],
        columns=["area_id", "controller", "contested", "towns", "populated", "population"],
    ).astype({"controller": object, "contested": bool})


def area_control_as_of(*, area: AdminArea, on: dt.date, published_only: bool = True) -> gpd.GeoDataFrame:
    """One row: the area's towns, shares, dominant faction and contested flag on ``on``, with its outline.

    Counts of the area's districts are added up here as its own, as province_control_as_of lifts them.
    """
    geometry = shape(area.geometry) if area.geometry else shapely.Polygon()
    areas = gpd.GeoDataFrame(
        [{"area_id": area.pk, "code": area.code, "name": area.name, "name_ar": area.name_ar, "slug": area.slug,
          "level": area.level, "parent_id": area.parent_id}],
        geometry=[geometry], crs=spatial.WGS84,
    )
    counts = _area_counts(area, on, published_only)
    return gpd.GeoDataFrame(spatial.area_control(counts, areas)[COLUMNS], geometry="geometry", crs=spatial.WGS84)


def area_shares_as_of(*, area: AdminArea, on: dt.date, published_only: bool = True) -> dict:
    """``area_control_as_of``'s row without the outline (towns, dominant_faction, shares, population_shares,
    contested): what the area's page shows. Its outline, decoded from GeoJSON into a one-row GeoDataFrame, was
    ~4 ms of each page after a write at Ruritania's size, and more for a detailed governorate."""
    row = spatial.area_control(_area_counts(area, on, published_only), pd.DataFrame({"area_id": [area.pk]}))
    return row.iloc[0].to_dict()
