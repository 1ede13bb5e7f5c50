"""The rows of each kind of town file, as read: raw text per field and a point. Decoding and meaning: town_files."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import shapely

# The standard GeoNames dump columns (https://download.geonames.org/export/dump/readme.txt).
GEONAMES_COLUMNS = [
    "geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude", "feature class",
    "feature code", "country code", "cc2", "admin1 code", "admin2 code", "admin3 code", "admin4 code",
    "population", "elevation", "dem", "timezone", "modification date",
]


class TownFileError(Exception):
    """Every bad row of a town file; nothing has been written.

    ``report``: what the rest of the file would have done (a TownLoadReport), when the rows were read.
    """

    def __init__(self, errors: list[str], report=None):
        self.errors = errors
        self.report = report
        super().__init__("\n".join(errors))


@dataclass
class Row:
    """One row as read: raw text per field (str holding undecoded bytes as surrogates), and a point or why not."""

    number: int
    values: dict[str, object]
    point: tuple[float, float] | None = None  # (longitude, latitude)
    geometry_problem: str | None = None


def point_of(geometry) -> tuple[tuple[float, float] | None, str | None]:
    """(lon, lat) of a Point or a one-point MultiPoint (shapely), else why not."""
    if geometry is None or geometry.is_empty:
        return None, None
    if geometry.geom_type == "MultiPoint":
        if len(geometry.geoms) != 1:
            return None, f"a MultiPoint of {len(geometry.geoms)} points is not one town"
        geometry = geometry.geoms[0]
    if geometry.geom_type != "Point":
        return None, f"a {geometry.geom_type} is not a point"
    return (geometry.x, geometry.y), None


def geojson_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    text = path.read_bytes().decode("utf-8-sig", "surrogateescape")  # bad bytes: per value, per feature
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TownFileError([f"{path.name}: not JSON ({exc})"]) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise TownFileError([f"{path.name}: not a GeoJSON FeatureCollection"])
    features = [f if isinstance(f, dict) else {} for f in data.get("features") or []]
    columns = list(dict.fromkeys(k for f in features for k in (f.get("properties") or {})))

    def rows():
        for n, feature in enumerate(features, start=1):
            props = feature.get("properties") or {}
            values = {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in props.items()}
            try:
                geometry = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
            except Exception:  # shapely raises several types for malformed coordinates
                yield Row(n, values, None, "the geometry is not valid GeoJSON")
                continue
            point, problem = point_of(geometry)
            yield Row(n, values, point, problem)

    return columns, rows()


def csv_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.DictReader(handle)
    columns = [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in reader.fieldnames or []]

    def rows():
        with handle:
            for row in reader:
                yield Row(reader.line_num, dict(zip(columns, row.values(), strict=False)))

    return columns, rows()


def ogr_rows(path: Path, layer: str | None) -> tuple[list[str], Iterator[Row]]:
    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else path
    try:
        if layer is None:
            points = [str(n) for n, kind in pyogrio.list_layers(source) if kind and "POINT" in str(kind).upper()]
            layer = points[0] if len(points) == 1 else None
        # latin-1 maps every byte to one character: the text comes back undecoded, to decode per value.
        frame = pyogrio.read_dataframe(source, layer=layer, encoding="latin1")
    except Exception as exc:  # pyogrio raises its own types plus OSError/ValueError for odd files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TownFileError([f"{path.name}: cannot be read as a Shapefile or GeoPackage ({reason})"]) from exc
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    columns = [str(c) for c in frame.columns if c != "geometry"]
    raw = {c: [None if v is None else (v.encode("latin1").decode("utf-8", "surrogateescape") if isinstance(v, str)
                                       else v) for v in frame[c].tolist()] for c in columns}

    def rows():
        for i, geometry in enumerate(frame.geometry):
            point, problem = point_of(geometry)
            yield Row(i + 1, {c: raw[c][i] for c in columns}, point, problem)

    return columns, rows()


def geonames_rows(path: Path, errors: list[str]) -> tuple[list[str], Iterator[Row], list[int]]:
    skipped = [0]

    def rows():
        with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip() or text.startswith("#"):
                    continue
                cells = text.rstrip("\n").split("\t")
                if len(cells) != len(GEONAMES_COLUMNS):
                    errors.append(f"line {line}: {len(cells)} tab-separated fields, a GeoNames dump has 19")
                    continue
                row = dict(zip(GEONAMES_COLUMNS, cells, strict=True))
                if row["feature class"] != "P":  # mountains, wadis, regions: not towns
                    skipped[0] += 1
                    continue
                alt = row["alternatenames"].split(",") if row["alternatenames"] else []
                row["alternatenames"] = ";".join([row["asciiname"], *alt])
                yield Row(line, row)

    return GEONAMES_COLUMNS, rows(), skipped
