"""Read and check files of control drawn as polygons (DeepStateMap, ISW/CTP daily layers). No ORM writes.

GeoJSON, GeoPackage, zipped Shapefile and KML/KMZ are read through pyogrio (GDAL's KML driver reads
.kml, LIBKML .kmz). Every file is read and every feature checked before anything is written, and every
problem of every file is listed: a file over the size limit, unreadable, with no CRS and coordinates
that are not lon/lat; per feature an empty or non-polygon geometry, an invalid one whose repair moves
its area by more than ``REPAIR_MAX_CHANGE``, a date missing or in the future, a polygon mostly outside
the theatre. Geometry comes out in WGS84 (a projected file is reprojected, and said so), valid, as a
MultiPolygon. Names (faction, layer) are returned as the file gives them: events resolves them.
"""

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.geometry import MultiPolygon, shape

from . import spatial
from .boundaries import _dataset
from .boundary_checks import REPAIR_MAX_CHANGE, repair_change
from .models import AdminArea, Theatre

# A drawn area more than this share outside its theatre's areas is drawn for another place.
OUTSIDE_THEATRE_MAX_SHARE = 0.5
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".kml", ".kmz", ".shp")
Progress = Callable[[str, int, int], None]


@dataclass
class DrawnFeature:
    """One polygon feature of a file, checked: WGS84, valid, a MultiPolygon."""

    path: Path
    number: int  # 1-based, in the file's order (every layer of it, in turn)
    geometry: MultiPolygon
    drawn_on: dt.date | None
    faction: str | None  # the name the file (or --faction) gives; resolved by events
    layer: str | None  # likewise

    @property
    def where(self) -> str:
        return f"{self.path.name}: feature {self.number}"


@dataclass
class DrawnFiles:
    features: list[DrawnFeature] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # each names its file (and feature)
    notes: list[str] = field(default_factory=list)  # what was done without refusing: reprojected, repaired


@dataclass(frozen=True)
class ReadOptions:
    """Where each feature's date, faction and layer come from: a field of the feature, else the default."""

    drawn_on: dt.date | None = None
    faction: str | None = None
    layer: str | None = None
    date_field: str | None = None
    faction_field: str | None = None
    layer_field: str | None = None
    date_from_name: str | None = None  # a pattern with %Y %m %d (and * for anything), matched in the file name


def name_pattern(pattern: str) -> re.Pattern:
    """``deepstate_%Y%m%d*`` as a regular expression with groups Y, m and d, searched in a file name."""
    parts = {"%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})", "*": ".*"}
    pieces = re.split(r"(%Y|%m|%d|\*)", pattern)
    regex = "".join(parts.get(p, re.escape(p)) for p in pieces)
    if not all(code in pattern for code in ("%Y", "%m", "%d")):
        raise ValueError(f"--date-from-name '{pattern}' must hold %Y, %m and %d (e.g. deepstate_%Y%m%d or %Y-%m-%d)")
    return re.compile(regex)


def date_from_name(path: Path, pattern: re.Pattern) -> dt.date | None:
    found = pattern.search(path.name)
    if found is None:
        return None
    try:
        return dt.date(int(found["Y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        return None


def theatre_shape(theatre: Theatre):
    """The land a theatre's drawn areas must fall in: its governorates' union (else districts'), else its bbox."""
    from .theatres import theatre_bbox

    areas = AdminArea.objects.filter(theatre=theatre, geometry__isnull=False)
    level = min(areas.values_list("level", flat=True), default=None)
    if level is not None:
        return shapely.union_all([shape(g) for g in areas.filter(level=level).values_list("geometry", flat=True)])
    return shapely.box(*theatre_bbox(theatre))


def _date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _polygonal(geom):
    """Only the polygon parts, as a MultiPolygon (a repair can leave lines where a ring touched itself)."""
    parts = shapely.get_parts(geom)
    polygons = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    polygons += [q for p in parts if p.geom_type == "MultiPolygon" for q in p.geoms]
    return MultiPolygon(polygons)


def _read_layers(path: Path) -> gpd.GeoDataFrame:
    """Every layer of the file with polygons (a GeoPackage or KML can hold several), one frame in its own CRS."""
    source = _dataset(path)
    names: list[str | None] = [str(name) for name, _ in pyogrio.list_layers(source)]
    frames = []
    for name in names or [None]:
        frame = pyogrio.read_dataframe(source, layer=name)
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            frame["__layer_name__"] = name
            frames.append(frame)
    if not frames:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry")
    crs = frames[0].crs
    frames = [f if f.crs == crs or f.crs is None or crs is None else f.to_crs(crs) for f in frames]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def _lon_lat(frame: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = frame.geometry.total_bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def read_drawn_file(
    path: Path, *, options: ReadOptions, within, today: dt.date, max_bytes: int, pattern: re.Pattern | None = None
) -> DrawnFiles:
    """One file's checked features, its problems and notes (see the module's docstring)."""
    out = DrawnFiles()
    if not path.is_file():
        out.problems.append(f"{path}: no such file")
        return out
    size = path.stat().st_size
    if size > max_bytes:
        out.problems.append(f"{path.name}: {size:,} bytes, over the limit of {max_bytes:,} (DRAWN_FILE_MAX_BYTES)")
        return out
    if path.suffix.lower() not in SUFFIXES:
        out.problems.append(f"{path.name}: not a file this reads (one of {', '.join(SUFFIXES)})")
        return out
    try:
        frame = _read_layers(path)
    except Exception as exc:  # pyogrio raises its own types plus OSError/ValueError for odd files
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        out.problems.append(f"{path.name}: cannot be read: {why}")
        return out
    if frame.empty or frame.geometry.isna().all():
        out.problems.append(f"{path.name}: has no features with a geometry")
        return out
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.to_numpy()))  # KML carries heights
    # GeoJSON has no CRS member since RFC 7946: GDAL reads any as lon/lat, so metres show up as such.
    if frame.crs is None or pyproj.CRS(frame.crs).is_geographic:
        geoms = frame.geometry.to_numpy()
        if not _lon_lat(frame[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]):
            out.problems.append(
                f"{path.name}: has no CRS and its coordinates are not longitude/latitude; "
                "save it with its CRS (or in EPSG:4326)"
            )
            return out
        frame = frame.set_crs(spatial.WGS84) if frame.crs is None else frame
    elif not pyproj.CRS(frame.crs).equals(pyproj.CRS(spatial.WGS84)):
        out.notes.append(f"{path.name}: reprojected from {pyproj.CRS(frame.crs).to_string()} to EPSG:4326")
        frame = frame.to_crs(spatial.WGS84)
    name_date = date_from_name(path, pattern) if pattern is not None else None
    if pattern is not None and name_date is None:
        out.problems.append(f"{path.name}: its name holds no date matching --date-from-name")
    for number, row in enumerate(frame.to_dict("records"), start=1):
        _feature(out, path, number, row, options, name_date, within, today)
    return out


def _field(row: dict, name: str | None, default, where: str, problems: list[str], convert):
    if name is None:
        return default
    if name not in row:
        problems.append(f"{where}: has no field '{name}'")
        return None
    return convert(row[name])


def _feature(
    out: DrawnFiles, path: Path, number: int, row: dict, options: ReadOptions, name_date, within, today: dt.date
) -> None:
    where = f"{path.name}: feature {number}"
    problems: list[str] = []
    geom = row.get("geometry")
    drawn_on = _field(row, options.date_field, name_date or options.drawn_on, where, problems, _date)
    if options.date_field and options.date_field in row and drawn_on is None:
        problems.append(f"{where}: its {options.date_field} '{row[options.date_field]}' is not a date (YYYY-MM-DD)")
    elif drawn_on is None and not options.date_field and (options.date_from_name is None or name_date is not None):
        problems.append(f"{where}: no date (give --date, --date-field or --date-from-name)")
    elif drawn_on is not None and drawn_on > today:
        problems.append(f"{where}: its date {drawn_on} is in the future")
    faction = _field(row, options.faction_field, options.faction, where, problems, _text)
    if faction is None and (options.faction_field is None or options.faction_field in row):
        problems.append(f"{where}: no faction (give --faction or --faction-field)")
    layer = _field(row, options.layer_field, options.layer, where, problems, _text)
    if geom is None or geom.is_empty:
        problems.append(f"{where}: empty geometry")
    elif geom.geom_type not in ("Polygon", "MultiPolygon"):
        problems.append(f"{where}: a {geom.geom_type}, not a polygon")
    else:
        if not geom.is_valid:
            repaired = _polygonal(shapely.make_valid(geom))
            change = repair_change(geom, repaired) if not repaired.is_empty else float("inf")
            if change > REPAIR_MAX_CHANGE:
                moved = "all of it" if change == float("inf") else f"{change:.1%}"
                problems.append(
                    f"{where}: invalid geometry ({shapely.is_valid_reason(geom)}); repairing it moves "
                    f"its area by {moved}, over {REPAIR_MAX_CHANGE:.0%}: fix it in the source"
                )
            else:
                out.notes.append(
                    f"{where}: invalid geometry repaired ({shapely.is_valid_reason(geom)}; area moved {change:.2%})"
                )
                geom = repaired
        geom = _polygonal(geom)
        if geom.is_valid and not geom.is_empty and within is not None:
            outside = _outside_share(geom, within)
            if outside > OUTSIDE_THEATRE_MAX_SHARE:
                problems.append(
                    f"{where}: {outside:.0%} of the polygon is outside the theatre's areas "
                    "(wrong theatre, or coordinates swapped?)"
                )
    if problems:
        out.problems.extend(problems)
        return
    out.features.append(DrawnFeature(path, number, geom, drawn_on, faction, layer))


def _outside_share(geom, within) -> float:
    """The share of ``geom``'s area outside ``within``, measured in an equal-area CRS centred on it."""
    if shapely.contains_properly(within, geom):  # the usual case, at the cost of a predicate (``within`` prepared)
        return 0.0
    frame = gpd.GeoSeries([geom, shapely.difference(geom, within)], crs=spatial.WGS84)
    whole, outside = spatial.area_km2(frame).tolist()
    return outside / whole if whole > 0 else 1.0


def read_drawn_files(
    paths: Sequence[Path],
    *,
    options: ReadOptions,
    within,
    today: dt.date,
    max_bytes: int,
    progress: Progress | None = None,
) -> DrawnFiles:
    """Every file read and checked (``read_drawn_file``), in the order given; a folder reads its files."""
    pattern = name_pattern(options.date_from_name) if options.date_from_name else None
    if within is not None:
        shapely.prepare(within)  # tested against every file's polygons
    files: list[Path] = []
    for path in map(Path, paths):
        files += sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES) if path.is_dir() else [path]
    result = DrawnFiles()
    for done, path in enumerate(files):
        if progress is not None:
            progress("reading files", done, len(files))
        one = read_drawn_file(path, options=options, within=within, today=today, max_bytes=max_bytes, pattern=pattern)
        result.features += one.features
        result.problems += one.problems
        result.notes += one.notes
    if progress is not None:
        progress("reading files", len(files), len(files))
    if not files:
        result.problems.append("no files to read")
    return result
