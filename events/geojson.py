"""GeoJSON feature collections (RFC 7946) built straight from rows, serialised with orjson.

Plain dicts in, plain dicts/bytes out: no request objects, so the API, the export command and the
map page (including its self-contained HTML download) share one definition of every layer.
Coordinates are [longitude, latitude] in WGS84; there is no ``crs`` member.
"""

import datetime as dt
import functools
import itertools
import math
from collections.abc import Callable, Iterator

import numpy as np
import orjson
import shapely
from django.utils import translation
from shapely.geometry import mapping

from geodata.models import Theatre
from geodata.theatres import theatre_credits

from . import territory
from .date_labels import date_label
from .export_rows import ChangeEvent, area_names, change_events, control_rows, province_of, sources_by_change
from .models import ControlChange
from .selectors import ChangeRow, FactionRow, TownRow, control_spans, days_since, faction_rows, last_confirmed
from .territory import drawn

GEOJSON_MEDIA_TYPE = "application/geo+json"


def dumps(collection: dict) -> bytes:
    """Compact UTF-8 JSON; dates become YYYY-MM-DD; numpy arrays of coordinates become nested lists."""
    return orjson.dumps(collection, option=orjson.OPT_SERIALIZE_NUMPY)


def feature_collection(features: list[dict], *, theatre: Theatre | None = None) -> dict:
    """A FeatureCollection crediting the boundaries its areas and province names come from: ``theatre``'s
    credit line, licence and source, or every theatre's when none is given (RFC 7946 allows members beyond
    "type" and "features"; GIS tools keep or ignore them)."""
    return {"type": "FeatureCollection", **theatre_credits(theatre), "features": features}


def point(longitude: float, latitude: float) -> dict:
    return {"type": "Point", "coordinates": [longitude, latitude]}


@functools.lru_cache(maxsize=65_536)
def kept_date_label(on: dt.date, precision: str, day_part: int, language: str) -> str:
    """A change's date in words, kept per process: a label depends on the date and the language, never
    on the data, and at ~80 µs a label a layer of 10,000 towns (or a month's changes, 200 dates) would
    spend much of its time on them."""
    return date_label(on=on, precision=precision, day_part=day_part)


def control_feature_collection(
    *, on: dt.date, faction_ids: set[int] | None = None, towns=None, theatre: Theatre | None = None,
) -> dict:
    """One Point per town with the published change in force on ``on`` (nulls where none is recorded).

    ``faction_ids`` keeps only towns controlled by one of those factions; ``towns`` (a queryset) reads
    only those towns' rows (a town's page: one row, not the country's slice); ``theatre`` one theatre's.
    """
    snapshot, sources = control_rows(on=on, towns=towns, theatre=theatre)
    factions, changes, language = snapshot.factions, snapshot.changes, translation.get_language()
    # The slice's last confirmations, one query, none where no confirmation is dated on or before ``on``
    # (selectors.confirmations); its controllers' as they stand.
    confirmed = last_confirmed(on=on, changes=changes.values(), theatre_id=None if theatre is None else theatre.pk)
    # Per governorate, per faction and per label rather than per town: each is looked up once. Each
    # feature is one dict literal (its properties in the file's order), not a dict merged into another:
    # this loop runs for every town after each write.
    provinces: dict[int | None, tuple[str | None, str | None]] = {}
    areas = area_names()
    features: list[dict] = []
    append = features.append
    for town in snapshot.towns:
        change = changes.get(town.id)
        if faction_ids is not None and (change is None or change.faction_id not in faction_ids):
            continue
        if (province := provinces.get(town.admin_area_id)) is None:
            province = provinces[town.admin_area_id] = province_of(town, areas)
        if change is None:
            properties = {
                "name": town.name, "town_id": town.id, "faction": None, "faction_name": None, "colour": None,
                "status": None, "contested_by": None, "since": None, "precision": None, "since_label": None,
                "confidence": None, "province": province[0], "province_code": province[1], "sources": [],
                "last_confirmed": None, "days_since_confirmed": None,
            }
        else:
            faction = factions[change.faction_id]
            properties = {
                "name": town.name, "town_id": town.id,
                "faction": faction.slug, "faction_name": faction.name, "colour": faction.colour,
                "status": change.status,
                "contested_by": factions[change.contested_by_id].slug if change.contested_by_id else None,
                "since": change.effective_date, "precision": change.date_precision,
                "since_label": kept_date_label(change.effective_date, change.date_precision, change.day_part,
                                               language),
                "confidence": change.confidence,
                "province": province[0], "province_code": province[1], "sources": sources[change.id],
                "last_confirmed": (last := confirmed[town.id]), "days_since_confirmed": days_since(on, last),
            }
        append({
            "type": "Feature", "id": town.id,
            "geometry": {"type": "Point", "coordinates": [town.longitude, town.latitude]},
            "properties": properties,
        })
    return feature_collection(features, theatre=theatre)


def change_properties(change: ChangeRow, previous: ChangeRow | None, *, town: TownRow,
                      factions: dict[int, FactionRow], label: str, note: str, sources: list[dict]) -> dict:
    """The columns of one change event, shared by the GeoJSON and CSV exports (``changes_csv``)."""
    return {
        "date": change.effective_date,
        "date_label": label,
        "town": town.name,
        "town_id": town.id,
        "from_faction": previous.faction_slug if previous else None,
        "to_faction": change.faction_slug,
        "status": change.status,
        "contested_by": factions[change.contested_by_id].slug if change.contested_by_id else None,
        "precision": change.date_precision,
        "day_part": ControlChange.DayPart(change.day_part).label.lower() if change.day_part else None,
        "confidence": change.confidence,
        "note": note,
        "sources": sources,
    }


def changes_features(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None = None, theatre: Theatre | None = None,
) -> Iterator[list[dict]]:
    """Published changes dated ``start``..``end`` as Point events, oldest first (QGIS/kepler.gl time),
    each with its sources and note: a list of features per batch of the log read (``change_events``)."""
    towns, batches = change_events(start=start, end=end, faction_ids=faction_ids, theatre=theatre)
    factions = faction_rows()
    language = translation.get_language()

    def label(on: dt.date, precision: str, part: int) -> str:
        return kept_date_label(on, precision, part, language)
    return (_change_features(batch, towns, factions, label) for batch in batches)


def _change_features(batch: list[ChangeEvent], towns: dict[int, TownRow], factions: dict[int, FactionRow],
                     label: Callable[..., str]) -> list[dict]:
    sources = sources_by_change(change_ids=[event.change.id for event in batch])
    return [
        {
            "type": "Feature",
            "id": change.id,
            "geometry": point(towns[change.town_id].longitude, towns[change.town_id].latitude),
            "properties": change_properties(change, previous, town=towns[change.town_id], factions=factions,
                                            label=label(change.effective_date, change.date_precision,
                                                        change.day_part),
                                            note=note, sources=sources[change.id]),
        }
        for change, previous, note in batch
    ]


def changes_geojson(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None = None, theatre: Theatre | None = None,
) -> Iterator[bytes]:
    """The changes layer's FeatureCollection as bytes, written a batch of features at a time.

    The same bytes as ``dumps`` of the whole collection: its other members as they are, and the
    "features" array written as each batch's compact JSON, comma-joined.
    """
    head, tail = dumps(feature_collection([], theatre=theatre)).rsplit(b'"features":[]', 1)
    return _streamed_collection(head + b'"features":[', changes_features(
        start=start, end=end, faction_ids=faction_ids, theatre=theatre), b"]" + tail)


def _streamed_collection(head: bytes, batches: Iterator[list[dict]], tail: bytes) -> Iterator[bytes]:
    yield head
    separator = b""
    for features in filter(None, batches):
        yield separator + dumps(features)[1:-1]  # the features without the list's brackets
        separator = b","
    yield tail


def spans_features(
    *, theatre: Theatre | None = None, start: dt.date | None = None, end: dt.date | None = None,
) -> Iterator[list[dict]]:
    """Every change in force as the span of days it holds its town (``selectors.control_spans``): a Point
    per town per span, ``valid_from`` inclusive, ``valid_to`` exclusive and null while current, for
    QGIS's Temporal Controller; a list of features per batch of the log read."""
    factions = faction_rows()
    for batch in control_spans(theatre=theatre, start=start, end=end):
        sources = sources_by_change(change_ids=[span.change.id for span in batch])
        features = []
        for change, valid_to, town_name, longitude, latitude in batch:
            faction = factions[change.faction_id]
            features.append({
                "type": "Feature", "id": change.id,
                "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
                "properties": {
                    "town": town_name, "town_id": change.town_id,
                    "valid_from": change.effective_date, "valid_to": valid_to,
                    "faction": faction.slug, "faction_name": faction.name, "colour": faction.colour,
                    "status": change.status,
                    "contested_by": factions[change.contested_by_id].slug if change.contested_by_id else None,
                    "precision": change.date_precision, "confidence": change.confidence,
                    "change_id": change.id, "sources": sources[change.id],
                },
            })
        yield features


def spans_geojson(
    *, theatre: Theatre | None = None, start: dt.date | None = None, end: dt.date | None = None,
) -> Iterator[bytes]:
    """The spans layer's FeatureCollection as bytes, a batch of features at a time."""
    head, tail = dumps(feature_collection([])).rsplit(b'"features":[]', 1)
    features = spans_features(theatre=theatre, start=start, end=end)
    return _streamed_collection(head + b'"features":[', features, b"]" + tail)


def collection_streamed(batches: Iterator[list[dict]], *, theatre: Theatre | None = None) -> Iterator[bytes]:
    """A FeatureCollection of ``batches``' features as bytes, a batch at a time (the drawn areas' spans)."""
    head, tail = dumps(feature_collection([], theatre=theatre)).rsplit(b'"features":[]', 1)
    return _streamed_collection(head + b'"features":[', batches, b"]" + tail)


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


def _gridded(geometries) -> list[dict | None]:
    """GeoJSON geometries of shapes that are already valid, on the grid and oriented (territory's
    control areas, see ``spatial.control_areas_from_cells``): only their coordinates are written,
    as arrays, where snapping and converting them point by point took seconds at 10,000 towns."""
    decimals = round(-math.log10(COORDINATE_PRECISION))
    written = []
    for geom in geometries:
        if geom is None or geom.is_empty:
            written.append(None)
            continue
        _, xy, offsets = shapely.to_ragged_array([geom])
        points = np.round(xy, decimals)  # written by orjson as the same lists, without a Python float each
        rings = [points[a:b] for a, b in itertools.pairwise(offsets[0])]
        polygons = [rings[a:b] for a, b in itertools.pairwise(offsets[1])]
        if geom.geom_type == "Polygon":
            written.append({"type": "Polygon", "coordinates": polygons[0]})
        else:
            written.append({"type": "MultiPolygon", "coordinates": polygons})
    return written


@functools.lru_cache(maxsize=territory.provinces.KEPT_VERSIONS)
def _area_shapes(areas: territory.LevelAreas) -> dict[int, dict | None]:
    """Each area's GeoJSON geometry (``polygons``), written once per version of the areas: snapping and
    writing the bench's first theatre's governorates point by point was ~15 ms of every request after a write."""
    return dict(zip(areas.frame["area_id"].tolist(), polygons(areas.frame.geometry), strict=True))


def provinces_feature_collection(*, on: dt.date, level: int = 1, frame=None, theatre: Theatre | None = None) -> dict:
    """Governorates (``level`` 1) or districts (2) with their control on ``on``: dominant faction, town
    shares per faction, contested (of ``theatre`` when given). ``frame``: rows already worked out
    (territory.area_control_as_of)."""
    if frame is None:
        areas = territory.level_areas(level=level, theatre=theatre)
        frame = territory.province_control_as_of(on=on, level=level, theatre=theatre, areas=areas)
        shapes = _area_shapes(areas)
        geometries = [shapes[area_id] for area_id in frame["area_id"].tolist()]
    else:
        geometries = polygons(frame.geometry)
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
        for row, geometry in zip(frame.itertuples(index=False), geometries, strict=True)
    ]
    return feature_collection(features, theatre=theatre)


def control_areas_feature_collection(*, on: dt.date, theatre: Theatre | None = None, layer: str = "assessed") -> dict:
    """The territory each faction (or the "contested" class) holds on ``on``, with its size in km².

    ``layer``: "assessed" (control: drawn areas where published, else the town rule, see
    ``territory.drawn``), one overlay layer (advance, claimed, counteroffensive), "overlays" (the three)
    or "all" (assessed and overlays, each feature saying its ``layer``: what the map draws; sum only
    ``layer == "assessed"``). A top-level "rule" member (RFC 7946 foreign member) states how the areas are
    drawn, the radius and (``drawn``) how drawn maps take part.
    """
    frames = []
    if layer in ("assessed", "all"):
        frames.append(drawn.with_drawn(territory.control_areas_as_of(on=on, theatre=theatre), on=on, theatre=theatre))
    if layer != "assessed":
        overlays = drawn.OVERLAYS if layer in ("overlays", "all") else [layer]
        frames.append(drawn.overlays_as_of(on=on, theatre=theatre, layers=overlays))
    features = []
    for frame in frames:
        features += [
            {
                "type": "Feature",
                # One id per feature: a faction's town-rule area keeps its slug; its drawn areas are apart
                # (every theatre at once, a faction drawn in one keeps its towns' land in the others).
                "id": row.faction if row.basis == "towns" else f"{row.faction}:{row.layer}:drawn",
                "geometry": geometry,
                "properties": {
                    "faction": row.faction,
                    "faction_name": row.faction_name,
                    "colour": row.colour,
                    "area_km2": round(float(row.area_km2), 1),
                    "towns": int(row.towns),
                    "population": int(row.population),
                    "layer": row.layer,
                    "basis": row.basis,
                    "drawn_on": None if row.drawn_on is None else row.drawn_on.isoformat(),
                    "days_old": None if row.days_old is None else int(row.days_old),
                    "sources": list(row.sources),
                },
            }
            for row, geometry in zip(frame.itertuples(index=False), _gridded(frame.geometry), strict=True)
        ]
    rule = {**territory.area_rule(), "drawn": drawn.DRAWN_RULE}
    return {**feature_collection(features, theatre=theatre), "rule": rule}
