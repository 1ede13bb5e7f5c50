"""Read, validate and repair boundary files (GeoJSON, Shapefile plain or zipped, GeoPackage). No ORM.

``read_boundaries`` returns every area it could use, WGS84, with repairs and problems listed by
area name; a file that cannot be used at all raises ``BoundaryFileError`` with a one-line reason.
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.validation import explain_validity

from .boundary_checks import repair_change
from .presets import boundary_presets, iso3_to_iso2
from .spatial import WGS84, equal_area_crs, to_metric

# Field names of the usual sources, per admin level (name, code, Arabic name, parent code, "finer": fields
# only finer levels carry), with their credit lines: data in presets.json, read once.
PRESETS: dict[str, dict[int, dict[str, list[str]]]] = {name: p.levels for name, p in boundary_presets().items()}
OVERLAP_REPORT_KM2 = 0.01
# GADM codes and old geoBoundaries ids start with the ISO 3166-1 alpha-3 code (presets.json lists the
# countries it knows; anywhere else, --country).
ISO3_TO_ISO2 = iso3_to_iso2()
# Beyond this, a new area overlapping a stored one is a duplicate or a border dispute, not rounding.
STORED_OVERLAP_KM2 = 1.0
# The transliterations of the Arabic article: written, assimilated (ar-Raqqah, as-Suwayda) or left
# out at will by different sources, so names are matched without them.
ARTICLES = frozenset({
    "al", "el", "ad", "adh", "an", "ar", "as", "ash", "at", "ath", "az", "ed", "en", "er", "es", "esh", "et", "ez",
})
# Apostrophes and the signs for ayn and hamza: Dar`a, Dar'a, Darʿa and Dara are one name.
APOSTROPHES = re.compile("['`‘’ʻʼʾʿ´]")


class BoundaryFileError(Exception):
    """The file cannot be used at all; the message is one line naming the problem."""


@dataclass(frozen=True)
class FieldSpec:
    name: list[str]
    code: list[str]
    name_ar: list[str] = field(default_factory=list)
    parent: list[str] = field(default_factory=list)
    finer: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls, *, level: int, preset: str | None = None, name_field: str | None = None,
        code_field: str | None = None, parent_field: str | None = None, name_ar_field: str | None = None,
    ) -> "FieldSpec":
        if preset:
            if preset not in PRESETS:
                raise BoundaryFileError(f"unknown preset '{preset}'; choose one of {', '.join(sorted(PRESETS))}")
            if level not in PRESETS[preset]:
                raise BoundaryFileError(f"preset '{preset}' has no level {level}")
            base = PRESETS[preset][level]
        else:
            base = {"name": [], "code": [], "name_ar": [], "parent": [], "finer": []}
        spec = cls(
            name=[name_field] if name_field else base["name"],
            code=[code_field] if code_field else base["code"],
            name_ar=[name_ar_field] if name_ar_field else base["name_ar"],
            parent=[parent_field] if parent_field else base["parent"],
            finer=base["finer"],
        )
        if not spec.name or not spec.code:
            raise BoundaryFileError("give --preset, or --name-field and --code-field")
        if level == 2 and not spec.parent:
            raise BoundaryFileError("level 2 areas need a parent code field (--parent-field)")
        return spec


@dataclass
class BoundaryLayer:
    frame: gpd.GeoDataFrame  # code, name, name_ar, parent_code, geometry (WGS84)
    source_crs: str
    layer: str | None = None  # the layer read, when the file has several
    repairs: list[str] = field(default_factory=list)
    repair_changes: dict[str, float] = field(default_factory=dict)  # code -> share of its area the repair changed
    rejected: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)


def normalise_name(name: str) -> str:
    """The form names are matched in: Ḩamāh == hamah, Dayr Az Zawr == Dayr az-Zawr, As Suwayda' == As-Suwayda.

    Case, diacritics, apostrophes and the ayn/hamza signs, spaces, hyphens and the Arabic article
    are dropped (a name that is nothing but articles keeps them).
    """
    return "".join(name_words(name))


def name_words(name: str) -> list[str]:
    """The words of a name in the form ``normalise_name`` joins: "Tall al-Abyad" -> ["tall", "abyad"]."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = APOSTROPHES.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)).casefold())
    words = [w for w in re.split(r"[\W_]+", plain) if w]
    return [w for w in words if w not in ARTICLES] or words


def country_from_code(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 country an area code starts with (OCHA's P-codes, ISO 3166-2, GADM's ids), if it tells."""
    if code[:2].isalpha() and (len(code) == 2 or not code[2].isalpha()):
        return code[:2].upper()
    if code[:3].isalpha() and (len(code) == 3 or not code[3].isalpha()):
        return ISO3_TO_ISO2.get(code[:3].upper())
    return None


def _unreadable(path: Path, exc: Exception) -> BoundaryFileError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BoundaryFileError(f"{path.name}: cannot be read as a GeoJSON, Shapefile or GeoPackage ({reason})")


def _dataset(path: Path) -> str | Path:
    """What GDAL should open. GDAL reads shapefiles at a zip's root only; OCHA's zips may hold a folder."""
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        return path
    with zipfile.ZipFile(path) as archive:
        folders = {str(Path(n).parent) for n in archive.namelist() if n.lower().endswith(".shp")}
    if len(folders) == 1 and (folder := folders.pop()) != ".":
        return f"/vsizip/{path}/{folder}"
    return path


def _polygon_type(geometry_type: str | None) -> bool:
    return bool(geometry_type) and any(word in geometry_type.upper() for word in ("POLYGON", "SURFACE"))


def _choose_layer(source: str | Path, path: Path, spec: "FieldSpec", layer: str | None) -> str | None:
    """The layer to read: the one asked for, the only one, or the single polygon layer with the name field.

    Without this GDAL silently reads the first layer, which in OCHA and GADM files is the country.
    """
    try:
        layers = [(str(name), None if kind is None else str(kind)) for name, kind in pyogrio.list_layers(source)]
    except Exception as exc:  # pyogrio raises its own types plus OSError/ValueError for odd files
        raise _unreadable(path, exc) from exc
    listing = ", ".join(f"{name} ({kind or 'no geometry'})" for name, kind in layers)
    if layer is not None:
        if layer not in [name for name, _ in layers]:
            raise BoundaryFileError(f"{path.name}: has no layer '{layer}'; its layers: {listing}")
        return layer
    if len(layers) <= 1:
        return None  # one layer: read it, and a missing field is reported with the fields it has
    fields = {
        name: set(pyogrio.read_info(source, layer=name)["fields"]) for name, kind in layers if _polygon_type(kind)
    }
    fitting = [name for name, has in fields.items() if any(c in has for c in spec.name)]
    finest = [name for name in fitting if not any(c in fields[name] for c in spec.finer)]
    if len(fitting) > 1 and finest:
        fitting = finest
    if len(fitting) == 1:
        return fitting[0]
    wanted = f"polygons and the name field {' or '.join(spec.name)}"
    if not fitting:
        raise BoundaryFileError(f"{path.name}: no layer has {wanted}; give --layer, one of: {listing}")
    raise BoundaryFileError(
        f"{path.name}: {len(fitting)} layers have {wanted} ({', '.join(fitting)}); give --layer, one of: {listing}"
    )


def _read(path: Path, spec: "FieldSpec", layer: str | None) -> tuple[gpd.GeoDataFrame, str | None]:
    if not path.exists():
        raise BoundaryFileError(f"{path}: no such file")
    source = _dataset(path)
    layer = _choose_layer(source, path, spec, layer)
    try:
        frame = gpd.read_file(source, layer=layer)
    except Exception as exc:  # pyogrio raises its own types plus OSError/ValueError for odd files
        raise _unreadable(path, exc) from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        where = f"{path.name} layer {layer}" if layer else path.name
        raise BoundaryFileError(f"{where}: has no geometry; is it a boundary file?")
    return frame, layer


def _pick(frame: pd.DataFrame, candidates: list[str], what: str, where: str, required: bool) -> pd.Series | None:
    present = [c for c in candidates if c in frame.columns]
    if not present:
        if not required:
            return None
        fields = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise BoundaryFileError(
            f"{where}: the {what} field {' or '.join(candidates)} is missing; it has: {fields}"
        )
    values = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for column in reversed(present):  # the first candidate wins where it has a value
        col = frame[column].astype(object).where(frame[column].notna(), "")
        col = col.map(lambda v: str(v).strip())
        values = col.where(col != "", values)
    return values


def _to_wgs84(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, str]:
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise BoundaryFileError(f"{path.name}: has no CRS and its coordinates are not longitude/latitude")
        return frame.set_crs(WGS84), "none given (read as EPSG:4326)"
    crs = pyproj.CRS(frame.crs)
    source = crs.to_string()
    if crs.equals(pyproj.CRS(WGS84)):
        return frame, source
    try:
        out = frame.to_crs(WGS84)
    except Exception as exc:
        raise BoundaryFileError(f"{path.name}: cannot reproject from {source} to EPSG:4326 ({exc})") from exc
    return out, source


def _polygonal(geom):
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def read_boundaries(path: Path | str, spec: FieldSpec, *, layer: str | None = None) -> BoundaryLayer:
    path = Path(path)
    raw, layer = _read(path, spec, layer)
    where = f"{path.name} layer {layer}" if layer else path.name
    names = _pick(raw, spec.name, "name", where, required=True)
    codes = _pick(raw, spec.code, "code", where, required=True)
    names_ar = _pick(raw, spec.name_ar, "Arabic name", where, required=False)
    parents = _pick(raw, spec.parent, "parent code", where, required=bool(spec.parent))
    frame, source_crs = _to_wgs84(raw, path)

    out = BoundaryLayer(frame=None, source_crs=source_crs, layer=layer)  # type: ignore[arg-type]
    rows, seen = [], {}
    for i, geom in enumerate(frame.geometry):
        name, code = names.iloc[i], codes.iloc[i]
        label = f"feature {i + 1} ({name or 'no name'}{', ' + code if code else ''})"
        if not name or not code:
            out.rejected.append(f"{label}: the name or code is empty")
            continue
        if code in seen:
            out.rejected.append(f"{label}: code {code} repeats feature {seen[code]}")
            continue
        if geom is None or geom.is_empty:
            out.rejected.append(f"{label}: the geometry is empty")
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            out.rejected.append(f"{label}: a {geom.geom_type} is not an area")
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            repaired = _polygonal(shapely.make_valid(geom))
            if repaired is None or repaired.is_empty:
                out.rejected.append(f"{label}: invalid ({reason}) and nothing is left after repair")
                continue
            out.repair_changes[code] = repair_change(geom, repaired)
            out.repairs.append(f"{label}: repaired {reason}; its area changed by {out.repair_changes[code]:.1%}")
            geom = repaired
        seen[code] = i + 1
        rows.append({
            "code": code, "name": name, "name_ar": names_ar.iloc[i] if names_ar is not None else "",
            "parent_code": parents.iloc[i] if parents is not None else "", "geometry": geom,
        })
    out.frame = gpd.GeoDataFrame(
        rows, columns=["code", "name", "name_ar", "parent_code", "geometry"], geometry="geometry", crs=WGS84
    )
    out.overlaps = overlaps(out.frame)
    return out


def overlaps(frame: gpd.GeoDataFrame) -> list[str]:
    """Pairs of areas whose interiors overlap by more than OVERLAP_REPORT_KM2, with the km²."""
    if len(frame) < 2:
        return []
    metric = to_metric(frame.geometry, equal_area_crs(frame))
    left, right = metric.sindex.query(metric, predicate="intersects")
    found = []
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        km2 = shapely.intersection(metric.iloc[a], metric.iloc[b]).area / 1e6
        if km2 > OVERLAP_REPORT_KM2:
            found.append(f"{frame['name'].iloc[a]} and {frame['name'].iloc[b]} overlap by {km2:,.2f} km²")
    return found


def cross_overlaps(
    new: gpd.GeoSeries, stored: gpd.GeoSeries, *, min_km2: float = STORED_OVERLAP_KM2
) -> tuple[list[tuple[int, int, float]], list[float], list[float]]:
    """Where file areas overlap stored ones: (new position, stored position, km²) beyond ``min_km2``,
    and the km² of every new and every stored area (to tell the same area from a border that differs)."""
    if new.empty or stored.empty:
        return [], [0.0] * len(new), [0.0] * len(stored)
    crs = equal_area_crs(gpd.GeoDataFrame(geometry=pd.concat([new, stored], ignore_index=True), crs=WGS84))
    left, right = to_metric(new.reset_index(drop=True), crs), to_metric(stored.reset_index(drop=True), crs)
    found = []
    for a, b in zip(*right.sindex.query(left, predicate="intersects"), strict=True):
        km2 = shapely.intersection(left.iloc[a], right.iloc[b]).area / 1e6
        if km2 > min_km2:
            found.append((int(a), int(b), km2))
    return sorted(found), list(left.area / 1e6), list(right.area / 1e6)
