"""The downloadable layers, one definition shared by the API and ``manage.py export_geojson``.

Parameters arrive as the strings a user typed (query string or command line) and are checked by
``events.params``, so both interfaces reject the same input with the same message and serve the
same bytes.
"""

import csv
import datetime as dt
import io
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.cache import cache

from . import geojson, selectors
from .params import ParameterError as ExportParameterError  # noqa: F401  (re-export: api/exceptions, export_geojson)
from .params import parse_as_of, parse_faction, parse_period

CACHE_SECONDS = selectors.CACHE_SECONDS
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CHANGE_CSV_COLUMNS = (
    "change_id", "date", "town", "town_id", "longitude", "latitude",
    "from_faction", "to_faction", "status", "contested_by", "precision", "confidence",
)


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    filename: str


def _control_params(params: Mapping[str, str]) -> dict:
    return {"on": parse_as_of(params), "faction_ids": parse_faction(params.get("faction"))}


def _changes_params(params: Mapping[str, str]) -> dict:
    start, end = parse_period(params)
    return {"start": start, "end": end, "faction_ids": parse_faction(params.get("faction"))}


def _kept(name: str, build: Callable[[], dict]) -> bytes:
    """A per-date layer's bytes, built once per data revision.

    A revision's layers never change (every write bumps it), so the file is kept under it, zlib
    compressed: GeoJSON shrinks about tenfold, so a worker's cache holding many dates stays small
    (4.5 MB of towns at 10,000 towns keep as about 0.5 MB), and inflating costs a few milliseconds.
    """
    key = f"exports:{name}:{selectors.data_version()}"
    kept = cache.get(key)
    if kept is not None:
        return zlib.decompress(kept)
    content = geojson.dumps(build())
    cache.set(key, zlib.compress(content, 1), CACHE_SECONDS)
    return content


def _control(*, on: dt.date, faction_ids: set[int] | None) -> Export:
    factions = ",".join(map(str, sorted(faction_ids))) if faction_ids is not None else "all"
    content = _kept(f"control:{on}:{factions}",
                    lambda: geojson.control_feature_collection(on=on, faction_ids=faction_ids))
    return Export(content, geojson.GEOJSON_MEDIA_TYPE, f"control-{on}.geojson")


def _provinces(*, on: dt.date) -> Export:
    content = _kept(f"provinces:{on}", lambda: geojson.provinces_feature_collection(on=on))
    return Export(content, geojson.GEOJSON_MEDIA_TYPE, f"provinces-{on}.geojson")


def _control_areas(*, on: dt.date) -> Export:
    content = _kept(f"control-areas:{on}", lambda: geojson.control_areas_feature_collection(on=on))
    return Export(content, geojson.GEOJSON_MEDIA_TYPE, f"control-areas-{on}.geojson")


def _dated_params(params: Mapping[str, str]) -> dict:
    return {"on": parse_as_of(params)}


def _changes(*, start: dt.date, end: dt.date, faction_ids: set[int] | None) -> Export:
    collection = geojson.changes_feature_collection(start=start, end=end, faction_ids=faction_ids)
    return Export(geojson.dumps(collection), geojson.GEOJSON_MEDIA_TYPE, f"changes-{start}-{end}.geojson")


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    """Quote free text that a spreadsheet would run as a formula (CSV injection)."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _changes_csv(*, start: dt.date, end: dt.date, faction_ids: set[int] | None) -> Export:
    """The rows of the changes layer, with longitude and latitude columns."""
    collection = geojson.changes_feature_collection(start=start, end=end, faction_ids=faction_ids)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CHANGE_CSV_COLUMNS)
    for feature in collection["features"]:
        props = feature["properties"]
        longitude, latitude = feature["geometry"]["coordinates"]
        writer.writerow(
            [
                feature["id"], props["date"].isoformat(), _spreadsheet_safe(props["town"]), props["town_id"],
                longitude, latitude,
                props["from_faction"] or "", props["to_faction"], props["status"], props["contested_by"] or "",
                props["precision"], props["confidence"],
            ]
        )
    return Export(out.getvalue().encode(), CSV_MEDIA_TYPE, f"changes-{start}-{end}.csv")


@dataclass(frozen=True)
class Layer:
    """``parse`` checks the user's parameters (raising params.ParameterError); ``build`` makes the file."""

    parse: Callable[[Mapping[str, str]], dict]
    build: Callable[..., Export]

    def export(self, params: Mapping[str, str]) -> Export:
        return self.build(**self.parse(params))


LAYERS: dict[str, Layer] = {
    "control": Layer(_control_params, _control),
    "provinces": Layer(_dated_params, _provinces),
    "areas": Layer(_dated_params, _control_areas),
    "changes": Layer(_changes_params, _changes),
    "changes-csv": Layer(_changes_params, _changes_csv),
}
