"""GeoJSON feature collections (RFC 7946) built straight from rows, serialised with orjson.

Plain dicts in, plain dicts/bytes out: no request objects, so the API, the export command and the
map page (including its self-contained HTML download) share one definition of every layer.
Coordinates are [longitude, latitude] in WGS84; there is no ``crs`` member.
"""

import datetime as dt

import orjson
import shapely
from shapely.geometry import mapping

from . import territory
from .export_rows import area_names, change_rows, control_rows, province_of
from .selectors import ChangeRow, FactionRow, TownRow, faction_rows

GEOJSON_MEDIA_TYPE = "application/geo+json"


def dumps(collection: dict) -> bytes:
    """Compact UTF-8 JSON; dates become YYYY-MM-DD."""
    return orjson.dumps(collection)


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def point(longitude: float, latitude: float) -> dict:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def control_feature_collection(*, on: dt.date, faction_ids: set[int] | None = None) -> dict:
    """One Point per town with the published change in force on ``on`` (nulls where none is recorded).

    ``faction_ids`` keeps only towns controlled by one of those factions.
    """
    snapshot, sources = control_rows(on=on)
    factions, areas = snapshot.factions, area_names()
    # Towns share dates: each (date, precision, part of day) is put in words once, not once per town.
    labels: dict[tuple, str] = {}
    features = []
    for town, change in snapshot:
        if faction_ids is not None and (change is None or change.faction_id not in faction_ids):
            continue
        province, province_code = province_of(town, areas)
        faction = change and factions[change.faction_id]
        contested_by = change and change.contested_by_id and factions[change.contested_by_id]
        if change is not None and (label_key := change[:2] + (change.date_precision,)) not in labels:
            labels[label_key] = change.date_label
        features.append(
            {
                "type": "Feature",
                "id": town.id,
                "geometry": point(town.longitude, town.latitude),
                "properties": {
                    "name": town.name,
                    "town_id": town.id,
                    "faction": faction and faction.slug,
                    "faction_name": faction and faction.name,
                    "colour": faction and faction.colour,
                    "status": change and change.status,
                    "contested_by": contested_by.slug if contested_by else None,
                    "since": change and change.effective_date,
                    "precision": change and change.date_precision,
                    "since_label": change and labels[change[:2] + (change.date_precision,)],
                    "confidence": change and change.confidence,
                    "province": province,
                    "province_code": province_code,
                    "sources": sources[change.id] if change else [],
                },
            }
        )
    return feature_collection(features)


def change_properties(change: ChangeRow, previous: ChangeRow | None, *, town: TownRow,
                      factions: dict[int, FactionRow]) -> dict:
    """The columns of one change event, shared by the GeoJSON and CSV exports."""
    return {
        "date": change.effective_date,
        "town": town.name,
        "town_id": town.id,
        "from_faction": previous.faction_slug if previous else None,
        "to_faction": change.faction_slug,
        "status": change.status,
        "contested_by": factions[change.contested_by_id].slug if change.contested_by_id else None,
        "precision": change.date_precision,
        "confidence": change.confidence,
    }


def changes_feature_collection(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None = None
) -> dict:
    """Published changes dated ``start``..``end`` as Point events, oldest first (QGIS/kepler.gl time)."""
    pairs, towns = change_rows(start=start, end=end, faction_ids=faction_ids)
    factions = faction_rows()
    return feature_collection(
        [
            {
                "type": "Feature",
                "id": change.id,
                "geometry": point(towns[change.town_id].longitude, towns[change.town_id].latitude),
                "properties": change_properties(change, previous, town=towns[change.town_id], factions=factions),
            }
            for change, previous in pairs
        ]
    )


# 1e-6 degree is about 10 cm: finer than any boundary source, while the 15 decimals that overlay and
# Voronoi arithmetic leave behind only add bytes (RFC 7946 section 11.2 advises against them).
COORDINATE_PRECISION = 1e-6


def polygons(geometries) -> list[dict | None]:
    """GeoJSON geometries on a 1e-6 degree grid, exterior rings counter-clockwise and holes clockwise
    (RFC 7946 3.1.6).

    Snapping is GEOS's set_precision, which keeps the output valid (a ring that rounding would make
    cross itself is repaired, not written invalid); orientation is set after it, as snapping may
    rebuild rings. An empty geometry (an area whose boundary is not loaded) becomes null, as RFC 7946
    allows.
    """
    snapped = shapely.set_precision(geometries.to_numpy(), COORDINATE_PRECISION)
    oriented = shapely.orient_polygons(snapped, exterior_cw=False)
    return [None if geom is None or geom.is_empty else mapping(geom) for geom in oriented]


def provinces_feature_collection(*, on: dt.date) -> dict:
    """Governorates with their control on ``on``: dominant faction, town shares per faction, contested."""
    frame = territory.province_control_as_of(on=on)
    features = [
        {
            "type": "Feature",
            "id": int(row.area_id),
            "geometry": geometry,
            "properties": {
                "name": row.name,
                "name_ar": row.name_ar,
                "code": row.code,
                "slug": row.slug,
                "area_id": int(row.area_id),
                "towns": int(row.towns),
                "dominant_faction": row.dominant_faction,
                "shares": {slug: float(share) for slug, share in row.shares.items()},
                "population_shares": {slug: float(share) for slug, share in row.population_shares.items()},
                "contested": bool(row.contested),
            },
        }
        for row, geometry in zip(frame.itertuples(index=False), polygons(frame.geometry), strict=True)
    ]
    return feature_collection(features)


def control_areas_feature_collection(*, on: dt.date) -> dict:
    """The territory each faction (or the "contested" class) holds on ``on``, with its size in km²."""
    frame = territory.control_areas_as_of(on=on)
    features = [
        {
            "type": "Feature",
            "id": row.faction,
            "geometry": geometry,
            "properties": {
                "faction": row.faction,
                "faction_name": row.faction_name,
                "colour": row.colour,
                "area_km2": round(float(row.area_km2), 1),
                "towns": int(row.towns),
                "population": int(row.population),
            },
        }
        for row, geometry in zip(frame.itertuples(index=False), polygons(frame.geometry), strict=True)
    ]
    return feature_collection(features)
