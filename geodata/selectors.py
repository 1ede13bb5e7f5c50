"""Reads of places as GeoDataFrames (WGS84), for the pure code in ``geodata.spatial``."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd
import pandas as pd
from django.db import connection
from django.utils import timezone
from shapely.geometry import shape

from .models import AdminArea, DataRevision, TheatreRevision, Town
from .spatial import WGS84, points_frame

AREA_COLUMNS = ["area_id", "code", "name", "name_ar", "slug", "level", "parent_id", "geometry"]


def admin_areas_frame(
    *, level: int | None = 1, theatre: int | None = None, other_than: int | None = None,
) -> gpd.GeoDataFrame:
    """Areas of ``level`` (all levels with None) that have a geometry, ordered by code; of the theatre
    with id ``theatre`` only, or of every theatre but ``other_than``, when given."""
    qs = AdminArea.objects.filter(geometry__isnull=False).order_by("code")
    if level is not None:
        qs = qs.filter(level=level)
    if theatre is not None:
        qs = qs.filter(theatre_id=theatre)
    if other_than is not None:
        qs = qs.exclude(theatre_id=other_than)
    rows = list(qs.values("id", "code", "name", "name_ar", "slug", "level", "parent_id", "geometry"))
    if not rows:
        return gpd.GeoDataFrame(columns=AREA_COLUMNS, geometry="geometry", crs=WGS84)
    frame = pd.DataFrame(rows).rename(columns={"id": "area_id"})
    return gpd.GeoDataFrame(
        frame.drop(columns=["geometry"]), geometry=[shape(g) for g in frame["geometry"]], crs=WGS84
    )[AREA_COLUMNS]


def boundaries_loaded(*, level: int | None = None, theatre: int | None = None) -> bool:
    qs = AdminArea.objects.filter(geometry__isnull=False)
    qs = qs.filter(theatre_id=theatre) if theatre is not None else qs
    return (qs.filter(level=level) if level is not None else qs).exists()


def towns_frame(*, towns: Iterable[Town] | None = None) -> gpd.GeoDataFrame:
    """Towns as points: town_id, name, population, area_id (the stored assignment)."""
    if towns is None:
        rows = list(
            Town.objects.order_by("pk").values("id", "name", "population", "admin_area_id", "latitude", "longitude")
        )
    else:
        rows = [
            {"id": t.pk, "name": t.name, "population": t.population, "admin_area_id": t.admin_area_id,
             "latitude": t.latitude, "longitude": t.longitude}
            for t in towns
        ]
    frame = pd.DataFrame(rows, columns=["id", "name", "population", "admin_area_id", "latitude", "longitude"])
    frame = frame.rename(columns={"id": "town_id", "admin_area_id": "area_id"})
    frame["population"] = frame["population"].astype("Float64")
    frame["area_id"] = frame["area_id"].astype("Int64")
    return points_frame(frame)


# The data revision (written by geodata.services.revision) ----------------------------------

SHARED_ROW = 1  # writes every theatre shows: factions, their colours and aliases, default coalitions, sources
EVERY_THEATRE_ROW = 2  # moves with a write in any theatre: what a reader of every theatre keys on
REVISION_ROW = SHARED_ROW  # the row a bulk import locks (revision_lock)


@dataclass(frozen=True)
class Revision:
    number: int
    token: str
    changed_at: datetime | None

    @property
    def key(self) -> str:
        """Names this state of the data: the ETag and the cache key (unique across restores)."""
        return f"{self.number}.{self.token}"


def _revision_sql(theatre: bool) -> str:
    """The read of the shared row with the every-theatre row, or (``theatre``) with one theatre's row."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("number", "token", "changed_at"))
    shared = f"SELECT {{scope}}, {columns} FROM {quote(DataRevision._meta.db_table)}"
    if not theatre:
        return f"{shared.format(scope=quote('id'))} WHERE {quote('id')} IN ({SHARED_ROW}, {EVERY_THEATRE_ROW})"
    mine = quote(TheatreRevision._meta.get_field("theatre").column)
    return (f"{shared.format(scope=SHARED_ROW)} WHERE {quote('id')} = {SHARED_ROW} UNION ALL "
            f"SELECT {EVERY_THEATRE_ROW}, {columns} FROM {quote(TheatreRevision._meta.db_table)} WHERE {mine} = %s")


def revision_current(*, theatre: int | None = None) -> Revision:
    """The revision a reader of ``theatre`` (an id; None: every theatre) sees: the shared row with the
    theatre's (or with the every-theatre row). Number 0 before the first write.

    It is read on every request, so it is one SQL statement of two primary-key lookups, written once
    (building it with the ORM cost some 20 times the lookups themselves).
    """
    with connection.cursor() as cursor:
        cursor.execute(_revision_sql(theatre is not None), [] if theatre is None else [theatre])
        rows = sorted(cursor.fetchall())  # the shared row's token first
    changed = [row[3] if timezone.is_aware(row[3]) else timezone.make_aware(row[3], UTC)
               for row in rows if row[3] is not None]
    return Revision(sum(row[1] for row in rows), "".join(row[2] for row in rows), max(changed) if changed else None)
