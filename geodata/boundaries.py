"""Read, validate and repair boundary files (GeoJSON, Shapefile plain or zipped, GeoPackage). No ORM.

``read_boundaries`` returns every area it could use, WGS84, with repairs and problems listed by
area name; a file that cannot be used at all raises ``BoundaryFileError`` with a one-line reason.
"""

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
import shapely
from shapely.validation import explain_validity

from .spatial import WGS84, equal_area_crs, to_metric

# Field names of the usual sources, per admin level: name, code (first non-empty wins), Arabic
# name, parent code.
PRESETS: dict[str, dict[int, dict[str, list[str]]]] = {
    "ocha": {
        1: {"name": ["ADM1_EN"], "code": ["ADM1_PCODE"], "name_ar": ["ADM1_AR"], "parent": []},
        2: {"name": ["ADM2_EN"], "code": ["ADM2_PCODE"], "name_ar": ["ADM2_AR"], "parent": ["ADM1_PCODE"]},
    },
    "geoboundaries": {
        level: {"name": ["shapeName"], "code": ["shapeISO", "shapeID"], "name_ar": [], "parent": []}
        for level in (1, 2)
    },
    "gadm": {
        1: {"name": ["NAME_1"], "code": ["GID_1"], "name_ar": [], "parent": []},
        2: {"name": ["NAME_2"], "code": ["GID_2"], "name_ar": [], "parent": ["GID_1"]},
    },
    "naturalearth": {
        1: {"name": ["name"], "code": ["adm1_code"], "name_ar": ["name_ar"], "parent": []},
    },
}
OVERLAP_REPORT_KM2 = 0.01


class BoundaryFileError(Exception):
    """The file cannot be used at all; the message is one line naming the problem."""


@dataclass(frozen=True)
class FieldSpec:
    name: list[str]
    code: list[str]
    name_ar: list[str] = field(default_factory=list)
    parent: list[str] = field(default_factory=list)

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
            base = {"name": [], "code": [], "name_ar": [], "parent": []}
        spec = cls(
            name=[name_field] if name_field else base["name"],
            code=[code_field] if code_field else base["code"],
            name_ar=[name_ar_field] if name_ar_field else base["name_ar"],
            parent=[parent_field] if parent_field else base["parent"],
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
    repairs: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)


def normalise_name(name: str) -> str:
    """Case- and diacritic-insensitive form for matching names (Ḩamāh == hamah)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise BoundaryFileError(f"{path}: no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own types plus OSError/ValueError for odd files
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BoundaryFileError(
            f"{path.name}: cannot be read as a GeoJSON, Shapefile or GeoPackage ({reason})"
        ) from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise BoundaryFileError(f"{path.name}: has no geometry; is it a boundary file?")
    return frame


def _pick(frame: pd.DataFrame, candidates: list[str], what: str, path: Path, required: bool) -> pd.Series | None:
    present = [c for c in candidates if c in frame.columns]
    if not present:
        if not required:
            return None
        fields = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise BoundaryFileError(
            f"{path.name}: the {what} field {' or '.join(candidates)} is missing; the file has: {fields}"
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


def read_boundaries(path: Path | str, spec: FieldSpec) -> BoundaryLayer:
    path = Path(path)
    raw = _read(path)
    names = _pick(raw, spec.name, "name", path, required=True)
    codes = _pick(raw, spec.code, "code", path, required=True)
    names_ar = _pick(raw, spec.name_ar, "Arabic name", path, required=False)
    parents = _pick(raw, spec.parent, "parent code", path, required=bool(spec.parent))
    frame, source_crs = _to_wgs84(raw, path)

    layer = BoundaryLayer(frame=None, source_crs=source_crs)  # type: ignore[arg-type]
    rows, seen = [], {}
    for i, geom in enumerate(frame.geometry):
        name, code = names.iloc[i], codes.iloc[i]
        label = f"feature {i + 1} ({name or 'no name'}{', ' + code if code else ''})"
        if not name or not code:
            layer.rejected.append(f"{label}: the name or code is empty")
            continue
        if code in seen:
            layer.rejected.append(f"{label}: code {code} repeats feature {seen[code]}")
            continue
        if geom is None or geom.is_empty:
            layer.rejected.append(f"{label}: the geometry is empty")
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            layer.rejected.append(f"{label}: a {geom.geom_type} is not an area")
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            repaired = _polygonal(shapely.make_valid(geom))
            if repaired is None or repaired.is_empty:
                layer.rejected.append(f"{label}: invalid ({reason}) and nothing is left after repair")
                continue
            layer.repairs.append(f"{label}: repaired {reason}")
            geom = repaired
        seen[code] = i + 1
        rows.append({
            "code": code, "name": name, "name_ar": names_ar.iloc[i] if names_ar is not None else "",
            "parent_code": parents.iloc[i] if parents is not None else "", "geometry": geom,
        })
    layer.frame = gpd.GeoDataFrame(
        rows, columns=["code", "name", "name_ar", "parent_code", "geometry"], geometry="geometry", crs=WGS84
    )
    layer.overlaps = overlaps(layer.frame)
    return layer


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
