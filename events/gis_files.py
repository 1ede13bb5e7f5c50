"""GeoPackage and KML files written from a layer's GeoJSON features (QGIS, Google Earth).

Plain feature dicts in (the GeoJSON layers' own, ``events.geojson``), bytes out: a GeoPackage and a
KML file of a layer hold the same rows and attributes as its GeoJSON. Features arrive in batches, so a
long layer (a period's changes, the whole history's spans) is written with one batch in memory.

- GeoPackage: GDAL's GPKG driver through pyogrio, into a temporary file that is then read out and
  removed. Dates become DateTime fields (QGIS's Temporal Controller reads them; pyogrio writes a Date
  field only through Arrow, which this project does not install); lists and objects (a change's
  sources, a governorate's shares) are written as JSON text, since a GeoPackage field holds one value.
- KML: written here as text, every name and value escaped by the standard library
  (``xml.sax.saxutils``). GDAL's KML drivers write attributes but no per-feature style through pyogrio, and
  Google Earth needs a style to colour a town by its controller: each faction's colour is a shared
  ``<Style>``. A dated event is a ``<TimeStamp>``, a span a ``<TimeSpan>`` (Google Earth's time slider).
"""

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import shape

GPKG_MEDIA_TYPE = "application/geopackage+sqlite3"
KML_MEDIA_TYPE = "application/vnd.google-earth.kml+xml"
MEDIA_TYPES = {"gpkg": GPKG_MEDIA_TYPE, "kml": KML_MEDIA_TYPE}
FORMATS = tuple(MEDIA_TYPES)

JSON_FIELDS = frozenset({"sources", "shares", "population_shares"})
DATE_FIELDS = frozenset({"since", "date", "valid_from", "valid_to", "last_confirmed"})
INT_FIELDS = frozenset(
    {"town_id", "area_id", "towns", "population", "change_id", "drawn_area_id", "days_since_confirmed"}
)
FLOAT_FIELDS = frozenset({"area_km2"})
BOOL_FIELDS = frozenset({"contested"})
READ_CHUNK = 1024 * 1024
GPKG_WRITE_ROWS = 20_000  # features per write: a few MB of dicts, a handful of writes per 100,000 rows


@dataclass(frozen=True)
class Kind:
    """What a layer's file needs to know beyond its features: its fields in order (a file with no
    features still has them), the field named in KML, the one coloured by (a colour or a faction slug),
    and the dates a KML placemark is placed in time by."""

    layer: str
    fields: tuple[str, ...]
    geometry_type: str
    name_field: str
    colour_field: str = "colour"
    colour_is_faction: bool = False  # the field holds a faction's slug, not its colour
    id_field: str | None = None  # the feature's id, when its properties do not hold it already
    when: str | None = None  # KML <TimeStamp>
    span: tuple[str, str] | None = None  # KML <TimeSpan> (begin, end)


def write(
    fmt: str, batches: Iterable[list[dict]], kind: Kind, *, title: str, colours: dict[str, str]
) -> Iterator[bytes]:
    """The file in ``fmt`` ("gpkg" or "kml"), a chunk at a time. ``colours``: faction slug (and
    "contested") to "#rrggbb"."""
    if fmt == "gpkg":
        return _gpkg(batches, kind)
    if fmt == "kml":
        return _kml(batches, kind, title=title, colours=colours)
    raise ValueError(f"unknown format {fmt!r}")  # pragma: no cover - the layers name only FORMATS


# GeoPackage


def frame(features: list[dict], kind: Kind) -> gpd.GeoDataFrame:
    """The features as a GeoDataFrame in EPSG:4326, one typed column per field of ``kind``."""
    properties = [f["properties"] for f in features]
    columns: dict[str, object] = {}
    if kind.id_field:
        columns[kind.id_field] = pd.array([f.get("id") for f in features], dtype="Int64")
    for name in kind.fields:
        columns[name] = _column(name, [p.get(name) for p in properties])
    return gpd.GeoDataFrame(columns, geometry=_geometries(features), crs="EPSG:4326")


def _column(name: str, values: list):
    if name in JSON_FIELDS:
        return pd.Series([None if v is None else orjson.dumps(v).decode() for v in values], dtype=object)
    if name in DATE_FIELDS:
        return pd.to_datetime(pd.Series(values, dtype=object).map(_iso), format="%Y-%m-%d").astype("datetime64[ms]")
    if name in INT_FIELDS:
        return pd.array(values, dtype="Int64")
    if name in FLOAT_FIELDS:
        return pd.array(values, dtype="Float64")
    if name in BOOL_FIELDS:
        return pd.array(values, dtype="boolean")
    return pd.Series([None if v is None else str(v) for v in values], dtype=object)


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def _geometries(features: list[dict]) -> gpd.GeoSeries:
    geometries = [f["geometry"] for f in features]
    if geometries and all(g is not None and g["type"] == "Point" for g in geometries):
        # Points at the size of the whole log: made in one call, not one shapely object at a time.
        xy = np.array([g["coordinates"] for g in geometries], dtype=float)
        return gpd.GeoSeries(shapely.points(xy), crs="EPSG:4326")
    return gpd.GeoSeries([None if g is None else shape(g) for g in geometries], crs="EPSG:4326")


def _gathered(batches: Iterable[list[dict]], rows: int) -> Iterator[list[dict]]:
    """The batches' features in lists of about ``rows``: each write opens the file and starts a
    transaction, so a long layer is written in a few large writes, not one per batch read."""
    gathered: list[dict] = []
    for features in batches:
        gathered += features
        if len(gathered) >= rows:
            yield gathered
            gathered = []
    if gathered:
        yield gathered


def _gpkg(batches: Iterable[list[dict]], kind: Kind) -> Iterator[bytes]:
    handle, path = tempfile.mkstemp(suffix=".gpkg", prefix="conflictmap-")
    os.close(handle)
    os.unlink(path)  # GDAL creates the file; an empty one is not a GeoPackage it can open
    try:
        written = False
        for features in _gathered(batches, GPKG_WRITE_ROWS):
            pyogrio.write_dataframe(
                frame(features, kind),
                path,
                layer=kind.layer,
                driver="GPKG",
                geometry_type=kind.geometry_type,
                promote_to_multi=None,
                append=written,
            )
            written = True
        if not written:  # no features: the layer still exists, with its fields
            pyogrio.write_dataframe(
                frame([], kind), path, layer=kind.layer, driver="GPKG", geometry_type=kind.geometry_type
            )
        with open(path, "rb") as file:
            while chunk := file.read(READ_CHUNK):
                yield chunk
    finally:
        for leftover in (path, f"{path}-journal", f"{path}-wal", f"{path}-shm"):
            if os.path.exists(leftover):
                os.unlink(leftover)


# KML

KML_NS = "http://www.opengis.net/kml/2.2"
NO_COLOUR = "#888888"
# Characters XML 1.0 cannot hold at all, even escaped (control characters other than tab and newlines).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def kml_colour(colour: str, alpha: str = "ff") -> str:
    """A "#rrggbb" colour as KML's aabbggrr."""
    return f"{alpha}{colour[5:7]}{colour[3:5]}{colour[1:3]}".lower()


def _text(value) -> str:
    """Any value as XML character data: escaped (&, <, >), and characters XML cannot hold replaced."""
    if isinstance(value, bool):  # xsd:boolean, as JSON writes it
        return "true" if value else "false"
    if isinstance(value, list | dict):
        value = orjson.dumps(value).decode()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def _style_id(colour: str) -> str:
    return "c" + colour[1:].lower()


def _kml(batches: Iterable[list[dict]], kind: Kind, *, title: str, colours: dict[str, str]) -> Iterator[bytes]:
    """Written as text: every value goes through ``_text`` (the standard library's escape), every
    attribute through ``quoteattr``; a placemark is a few joined strings, not a call per element."""
    styled = {c.lower() for c in [*colours.values(), NO_COLOUR] if _HEX.match(c or "")}
    head = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<kml xmlns={quoteattr(KML_NS)}><Document>',
        f"<name>{_text(title)}</name>",
    ]
    for colour in sorted(styled):
        line, fill = kml_colour(colour), kml_colour(colour, "80")
        head.append(
            f"<Style id={quoteattr(_style_id(colour))}><IconStyle><color>{line}</color></IconStyle>"
            f"<LineStyle><color>{line}</color><width>1</width></LineStyle>"
            f"<PolyStyle><color>{fill}</color></PolyStyle></Style>"
        )
    yield "\n".join(head).encode()
    names = [(key, f"<Data name={quoteattr(key)}><value>") for key in kind.fields]
    for features in batches:
        yield "".join(_placemark(feature, kind, colours, styled, names) for feature in features).encode()
    yield b"\n</Document></kml>\n"


def _placemark(
    feature: dict, kind: Kind, colours: dict[str, str], styled: set[str], names: list[tuple[str, str]]
) -> str:
    properties = feature["properties"]
    out = ["\n<Placemark>"]
    name = properties.get(kind.name_field)
    if name is not None:
        out.append(f"<name>{_text(name)}</name>")
    colour = properties.get(kind.colour_field)
    if kind.colour_is_faction:
        colour = colours.get(colour) if colour is not None else None
    colour = (colour or NO_COLOUR).lower()
    out.append(f"<styleUrl>#{_style_id(colour if colour in styled else NO_COLOUR)}</styleUrl>")
    if kind.when and properties.get(kind.when) is not None:
        out.append(f"<TimeStamp><when>{_text(properties[kind.when])}</when></TimeStamp>")
    if kind.span:
        begin, end = (properties.get(f) for f in kind.span)
        out.append("<TimeSpan>")
        if begin is not None:
            out.append(f"<begin>{_text(begin)}</begin>")
        if end is not None:
            out.append(f"<end>{_text(end)}</end>")
        out.append("</TimeSpan>")
    out.append("<ExtendedData>")
    if kind.id_field:
        out.append(_data(f"<Data name={quoteattr(kind.id_field)}><value>", feature.get("id")))
    for key, opening in names:
        out.append(_data(opening, properties.get(key)))
    out.append("</ExtendedData>")
    if feature.get("geometry") is not None:
        _geometry(out, feature["geometry"])
    out.append("</Placemark>")
    return "".join(out)


def _data(opening: str, value) -> str:
    return f"{opening}{'' if value is None else _text(value)}</value></Data>"


def _coordinates(points) -> str:
    return " ".join(f"{x},{y}" for x, y, *_ in points)


def _geometry(out: list[str], geometry: dict) -> None:
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        out.append(f"<Point><coordinates>{_coordinates([coordinates])}</coordinates></Point>")
    elif kind == "Polygon":
        _polygon(out, coordinates)
    elif kind == "MultiPolygon":
        out.append("<MultiGeometry>")
        for polygon in coordinates:
            _polygon(out, polygon)
        out.append("</MultiGeometry>")
    else:  # pragma: no cover - the layers hold points and (multi)polygons only
        raise ValueError(f"no KML for a {kind}")


def _polygon(out: list[str], rings: list) -> None:
    out.append("<Polygon>")
    for i, ring in enumerate(rings):
        boundary = "outerBoundaryIs" if i == 0 else "innerBoundaryIs"
        out.append(f"<{boundary}><LinearRing><coordinates>{_coordinates(ring)}</coordinates></LinearRing></{boundary}>")
    out.append("</Polygon>")


# The layers' kinds: their fields are the GeoJSON properties, in the GeoJSON's order.
CONTROL = Kind(
    "control",
    (
        "name",
        "town_id",
        "faction",
        "faction_name",
        "colour",
        "status",
        "contested_by",
        "since",
        "precision",
        "since_label",
        "confidence",
        "province",
        "province_code",
        "sources",
        "last_confirmed",
        "days_since_confirmed",
    ),
    "Point",
    name_field="name",
)
PROVINCES = Kind(
    "provinces",
    (
        "name",
        "name_ar",
        "code",
        "slug",
        "area_id",
        "towns",
        "dominant_faction",
        "shares",
        "population_shares",
        "contested",
    ),
    "MultiPolygon",
    name_field="name",
    colour_field="dominant_faction",
    colour_is_faction=True,
)
CONTROL_AREAS = Kind(
    "control_areas",
    # basis: "drawn" (a published drawn map of drawn_on) or "towns" (the town rule); layer: assessed or an overlay
    ("faction", "faction_name", "colour", "area_km2", "towns", "population", "layer", "basis", "drawn_on",
     "days_old", "sources"),
    "MultiPolygon",
    name_field="faction_name",
)
CHANGES = Kind(
    "changes",
    (
        "date",
        "date_label",
        "town",
        "town_id",
        "from_faction",
        "to_faction",
        "status",
        "contested_by",
        "precision",
        "day_part",
        "confidence",
        "note",
        "sources",
    ),
    "Point",
    name_field="town",
    colour_field="to_faction",
    colour_is_faction=True,
    id_field="change_id",
    when="date",
)
SPANS = Kind(
    "control_spans",
    (
        "town",
        "town_id",
        "valid_from",
        "valid_to",
        "faction",
        "faction_name",
        "colour",
        "status",
        "contested_by",
        "precision",
        "confidence",
        "change_id",
        "sources",
    ),
    "Point",
    name_field="town",
    span=("valid_from", "valid_to"),
)
# The drawn areas' spans (/api/control-spans.*?kind=drawn, events.drawn_spans): a polygon per drawing in force.
DRAWN_SPANS = Kind(
    "drawn_spans",
    ("theatre", "faction", "faction_name", "colour", "layer", "basis", "valid_from", "valid_to", "area_km2",
     "drawn_area_id", "sources"),
    "MultiPolygon",
    name_field="faction_name",
    span=("valid_from", "valid_to"),
)
