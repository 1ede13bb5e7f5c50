"""Read town files (GeoNames dump, CSV, GeoJSON, Shapefile, GeoPackage) into checked records. No writes.

Every reader yields the file's rows as raw text per field plus a point; ``_record`` then reads the
fields a ``TownFields`` names (a preset such as OCHA's, or the user's options). Text is decoded per
value (``town_text``): UTF-8, UTF-8 cut mid-letter, or the ``encoding`` given, else a row error naming
the row, the field and the byte. A row with a problem is still read as far as it can be, so that the
loader's later checks (a town outside every area) report its other problems in the same run.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

from conflictmap.text_checks import NUL_MESSAGE

from .boundaries import normalise_name
from .presets import town_presets
from .town_matching import SAME_PLACE_M, NameMatcher, dedupe_records, distance_m
from .town_readers import (
    GEONAMES_COLUMNS,
    Row,
    TownFileError,
    csv_rows,
    geojson_rows,
    geonames_rows,
    ogr_rows,
)
from .town_text import ValueDecoder

__all__ = [
    "FORMATS", "PRESETS", "SAME_PLACE_M", "NameMatcher", "TownFields", "TownFileError", "TownRecord",
    "GEONAMES_COLUMNS", "TownFile", "dedupe_records", "distance_m", "guess_format", "read_towns", "town_file_read",
]

# "ogr": Shapefile (plain or zipped) and GeoPackage, read through pyogrio.
FORMATS = ("geonames", "csv", "geojson", "ogr")


@dataclass(frozen=True)
class TownFields:
    """Which fields of a file hold what; each a list of candidates, matched ignoring case.

    ``alt_names``: every listed field present is read (values split on ";"). ``admin_codes``: the
    fields of the admin codes the file gives, coarsest first (level 1, 2, 3).
    """

    name: tuple[str, ...] = ("name",)
    alt_names: tuple[str, ...] = ("alt_names", "alternate names", "alternate_names", "alternatenames")
    latitude: tuple[str, ...] = ("latitude", "lat")
    longitude: tuple[str, ...] = ("longitude", "lon", "lng")
    population: tuple[str, ...] = ("population",)
    geonames_id: tuple[str, ...] = ("geonames_id", "geonameid")
    slug: tuple[str, ...] = ("slug",)
    external_id: tuple[str, ...] = ()
    id_scheme: str | None = None  # the key the external id is stored under in Town.external_ids
    admin_codes: tuple[str, ...] = ()

    @classmethod
    def build(
        cls, *, preset: str | None = None, name_field: str | None = None, alt_name_fields: list[str] | None = None,
        id_field: str | None = None, id_scheme: str | None = None, lat_field: str | None = None,
        lon_field: str | None = None,
    ) -> "TownFields":
        if preset is not None and preset not in PRESETS:
            raise TownFileError([f"unknown preset '{preset}'; choose one of {', '.join(sorted(PRESETS))}"])
        spec = PRESETS[preset] if preset else cls()
        changes: dict[str, object] = {}
        if name_field:
            changes["name"] = (name_field,)
        if alt_name_fields is not None:
            changes["alt_names"] = tuple(f for f in alt_name_fields if f)
        if lat_field:
            changes["latitude"] = (lat_field,)
        if lon_field:
            changes["longitude"] = (lon_field,)
        if id_field:
            changes["external_id"] = (id_field,)
        scheme = id_scheme or (id_field.lower() if id_field and not spec.id_scheme else spec.id_scheme)
        changes["id_scheme"] = scheme
        return replace(spec, **changes)


# The usual sources' field names (OCHA's populated places, a GeoNames dump), with their credit lines:
# data in presets.json, read once.
PRESETS: dict[str, TownFields] = {name: TownFields(**p.fields) for name, p in town_presets().items()}


@dataclass
class TownRecord:
    line: int
    name: str
    latitude: float
    longitude: float
    alt_names: list[str] = field(default_factory=list)
    population: int | None = None
    geonames_id: int | None = None
    slug: str | None = None  # the name other files (a seed's changes) use for the town
    kind: str = "line"  # a CSV's or a dump's rows are lines; a GeoJSON's, Shapefile's or GeoPackage's features
    external_ids: dict[str, str] = field(default_factory=dict)
    admin_codes: dict[int, str] = field(default_factory=dict)  # level -> the code the file gives
    admin_fields: dict[int, str] = field(default_factory=dict)  # level -> the field that gave it
    decoded: list[str] = field(default_factory=list)  # fields read in the fallback encoding
    cut_letters: list[str] = field(default_factory=list)  # fields whose letter cut at the end was dropped

    @property
    def where(self) -> str:
        return f"{self.kind} {self.line}"

    @property
    def label(self) -> str:
        return f"{self.where} ({self.name})"

    @property
    def names(self) -> set[str]:
        return {normalise_name(n) for n in [self.name, *self.alt_names] if n.strip()}


def _number(text: str, kind, where: str, column: str, errors: list[str], required: bool = False):
    text = text.strip()
    if text == "":
        if required:
            errors.append(f"{where}, {column}: a value is required")
        return None
    try:
        return kind(text)
    except ValueError:
        if kind is int:
            try:
                number = float(text)
                if number.is_integer():
                    return int(number)
            except ValueError:
                pass
        errors.append(f"{where}, {column}: '{text}' is not a number")
        return None


class _Fields:
    """The file's columns that each of the spec's roles reads, found ignoring case."""

    def __init__(self, spec: TownFields, columns: list[str], *, has_geometry: bool, where: str):
        lower = {c.strip().lower(): c for c in columns}

        def pick(candidates):
            return next((lower[c.lower()] for c in candidates if c.lower() in lower), None)

        self.spec, self.columns, self.has_geometry = spec, columns, has_geometry
        self.name, self.lat, self.lon = pick(spec.name), pick(spec.latitude), pick(spec.longitude)
        self.alt = [lower[c.lower()] for c in spec.alt_names if c.lower() in lower]
        self.population, self.geonames_id = pick(spec.population), pick(spec.geonames_id)
        self.slug, self.external_id = pick(spec.slug), pick(spec.external_id)
        self.admin = {
            level: lower[c.lower()] for level, c in enumerate(spec.admin_codes, start=1) if c.lower() in lower
        }
        wanted = [("name", self.name, spec.name)]
        if not has_geometry:
            wanted += [("latitude", self.lat, spec.latitude), ("longitude", self.lon, spec.longitude)]
        wanted += [("id", self.external_id, spec.external_id)] if spec.external_id else []
        default = TownFields()
        missing = [
            role if candidates == getattr(default, role, None) else f"{role} ({' or '.join(candidates)})"
            for role, found, candidates in wanted if found is None
        ]
        if missing:
            has = ", ".join(c for c in columns if c) or "none"
            kind = "field(s)" if has_geometry else "column(s)"
            raise TownFileError([f"{where}: missing {kind} {', '.join(missing)}; the file has {has}; give "
                                 "--preset or the field options (--name-field, --lat-field, --lon-field, ...)"])


def _record(row: Row, fields: _Fields, kind: str, decoder: ValueDecoder, errors: list[str]) -> TownRecord | None:
    """The row as a record, or None if it cannot be checked further (no name, no point, a NUL).

    Its problems go to ``errors``; a row with a value that could not be decoded or a number that is
    not one is still returned (that value read as well as it can be, or left out), so that the loader
    checks its place too and every problem of the file is named in one run.
    """
    where = f"{kind} {row.number}"
    notes: list[str] = []
    cuts: list[str] = []
    label = where  # "feature 3 (Aqirbat)" once the name is known: what names a row in every problem
    fatal = False

    def text(column: str | None) -> str:
        if column is None:
            return ""
        return decoder.text(row.values.get(column), label, column, errors, notes, cuts).strip()

    name = text(fields.name)
    label = f"{where} ({name})" if name else where
    alt_names = [a for col in fields.alt for a in text(col).split(";")]
    if row.geometry_problem:
        errors.append(f"{label}: {row.geometry_problem}")
    elif row.point is None and fields.has_geometry and fields.lat is None:
        errors.append(f"{label}: no point geometry, and no latitude and longitude fields")
    if not name:
        errors.append(f"{where}, name: a name is required")
        fatal = True
    if row.point is not None:
        lon, lat = row.point
    else:
        wanted = not row.geometry_problem and fields.lat is not None
        lat = _number(text(fields.lat), float, label, "latitude", errors, required=wanted)
        lon = _number(text(fields.lon), float, label, "longitude", errors, required=wanted)
    if lat is not None and not -90 <= lat <= 90:
        errors.append(f"{label}, latitude: {lat} is not between -90 and 90")
        fatal = True
    if lon is not None and not -180 <= lon <= 180:
        errors.append(f"{label}, longitude: {lon} is not between -180 and 180")
        fatal = True
    population = _number(text(fields.population), int, label, "population", errors)
    geonames_id = _number(text(fields.geonames_id), int, label, "geonames_id", errors)
    slug, external = text(fields.slug), text(fields.external_id)
    admin = {level: text(column) for level, column in fields.admin.items()}
    for column, value in (("name", name), ("alt_names", ";".join(alt_names)), ("slug", slug), ("id", external)):
        if "\x00" in value:  # PostgreSQL cannot store it; SQLite would, and every export would carry it
            errors.append(f"{where}, {column}: {NUL_MESSAGE}")
            fatal = True
    if fatal or lat is None or lon is None:
        return None
    alt = [a for a in dict.fromkeys(a.strip() for a in alt_names) if a and a != name]
    return TownRecord(
        row.number, name, lat, lon, alt, population or None, geonames_id, slug or None, kind,
        external_ids={fields.spec.id_scheme: external} if external and fields.spec.id_scheme else {},
        admin_codes={level: code for level, code in admin.items() if code},
        admin_fields={level: fields.admin[level] for level, code in admin.items() if code},
        decoded=notes, cut_letters=cuts,
    )


GEONAMES_FIELDS = TownFields(alt_names=("alternatenames",), slug=())


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".csv":
        return "csv"
    if suffix in (".shp", ".gpkg", ".zip"):
        return "ogr"
    return "geonames"


@dataclass
class TownFile:
    """A town file as read: the records that can be checked further, the rows skipped, every problem."""

    records: list[TownRecord]
    skipped: int  # rows that are not populated places (a GeoNames dump's mountains)
    errors: list[str]


def town_file_read(
    path: Path | str, file_format: str | None = None, *, fields: TownFields | None = None,
    encoding: str | None = None, layer: str | None = None, drop_cut_letters: bool = False,
) -> TownFile:
    """Read every row, its problems listed rather than raised; TownFileError only when the file itself
    cannot be read (no such file, not JSON, a field the spec needs missing).

    ``drop_cut_letters``: a value that is UTF-8 cut off inside its last letter (a field-length limit)
    keeps what precedes the letter, noted in the record's ``cut_letters``; otherwise it is a problem.
    """
    path = Path(path)
    if not path.is_file():
        raise TownFileError([f"{path}: no such file"])
    file_format = file_format or guess_format(path)
    if file_format not in FORMATS:
        raise TownFileError([f"unknown format '{file_format}'; choose one of {', '.join(FORMATS)}"])
    try:
        decoder = ValueDecoder(encoding, drop_cut_letters=drop_cut_letters)
    except LookupError as exc:
        raise TownFileError([f"unknown encoding '{encoding}'"]) from exc
    errors: list[str] = []
    skipped = [0]
    if file_format == "geonames":
        columns, rows, skipped = geonames_rows(path, errors)
        fields, kind = fields or GEONAMES_FIELDS, "line"
    elif file_format == "csv":
        (columns, rows), kind = csv_rows(path), "line"
    elif file_format == "geojson":
        (columns, rows), kind = geojson_rows(path), "feature"
    else:
        (columns, rows), kind = ogr_rows(path, layer), "feature"
    has_geometry = file_format in ("geojson", "ogr")
    where = "line 1" if file_format == "csv" else path.name
    found = _Fields(fields or TownFields(), columns, has_geometry=has_geometry, where=where)
    records = [r for r in (_record(row, found, kind, decoder, errors) for row in rows) if r]
    return TownFile(records, skipped[0], errors)


def read_towns(
    path: Path | str, file_format: str | None = None, *, fields: TownFields | None = None,
    encoding: str | None = None, layer: str | None = None, drop_cut_letters: bool = False,
) -> tuple[list[TownRecord], int]:
    """Records and the number of rows skipped as not populated places; TownFileError lists every bad row."""
    read = town_file_read(path, file_format, fields=fields, encoding=encoding, layer=layer,
                          drop_cut_letters=drop_cut_letters)
    if read.errors:
        raise TownFileError(read.errors)
    return read.records, read.skipped
