"""The downloadable layers, one definition shared by the API and ``manage.py export_geojson``.

Parameters arrive as the strings a user typed (query string or command line) and are checked here,
so both interfaces reject the same input with the same message and serve the same bytes.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils import timezone

from . import geojson, selectors
from .export_rows import faction_with_members
from .models import EARLIEST_DATE

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ISO_DATE = "%Y-%m-%d"
ISO_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
CHANGE_CSV_COLUMNS = (
    "change_id", "date", "town", "town_id", "longitude", "latitude",
    "from_faction", "to_faction", "status", "contested_by", "precision", "confidence",
)


class ExportParameterError(ValueError):
    """A bad export parameter; ``parameter`` is its query-string name."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    filename: str


def parse_date(raw: str | None, *, parameter: str) -> dt.date | None:
    if raw is None or raw == "":
        return None
    try:
        # Only YYYY-MM-DD: fromisoformat alone would also take 20170903 and other ISO variants,
        # and strptime alone would take 2017-9-3.
        if not ISO_DATE_SHAPE.fullmatch(raw):
            raise ValueError(raw)
        return dt.datetime.strptime(raw, ISO_DATE).date()
    except ValueError:
        raise ExportParameterError(parameter, f"'{raw}' is not a date in YYYY-MM-DD form.") from None


def parse_faction(raw: str | None) -> set[int] | None:
    """The ids of the named faction and its members; the name may be a slug, name or alias."""
    if raw is None or raw == "":
        return None
    # The import's lookup: a name shared by several factions is refused, not read as the first one.
    faction, problem = selectors.faction_index().find(raw)
    if faction is None:
        raise ExportParameterError("faction", f"{problem[0].upper()}{problem[1:]}.")
    return faction_with_members(faction)


def _as_of(params: Mapping[str, str]) -> dt.date:
    # Without a date: the latest published change, i.e. control now.
    on = parse_date(params.get("date"), parameter="date")
    today = timezone.localdate()
    if on is not None and on > today:
        # Serving today's control under a future date would present it as a forecast.
        raise ExportParameterError("date", f"'{on}' is in the future; the latest day with a record is today ({today}).")
    return on or selectors.latest_change_date() or today


def _period(params: Mapping[str, str]) -> tuple[dt.date, dt.date]:
    start = parse_date(params.get("from"), parameter="from") or EARLIEST_DATE
    end = parse_date(params.get("to"), parameter="to") or timezone.localdate()
    if start > end:
        raise ExportParameterError("from", f"'from' ({start}) is after 'to' ({end}).")
    return start, end


def _control_params(params: Mapping[str, str]) -> dict:
    return {"on": _as_of(params), "faction_ids": parse_faction(params.get("faction"))}


def _changes_params(params: Mapping[str, str]) -> dict:
    start, end = _period(params)
    return {"start": start, "end": end, "faction_ids": parse_faction(params.get("faction"))}


def _control(*, on: dt.date, faction_ids: set[int] | None) -> Export:
    collection = geojson.control_feature_collection(on=on, faction_ids=faction_ids)
    return Export(geojson.dumps(collection), geojson.GEOJSON_MEDIA_TYPE, f"control-{on}.geojson")


def _provinces(*, on: dt.date) -> Export:
    collection = geojson.provinces_feature_collection(on=on)
    return Export(geojson.dumps(collection), geojson.GEOJSON_MEDIA_TYPE, f"provinces-{on}.geojson")


def _control_areas(*, on: dt.date) -> Export:
    collection = geojson.control_areas_feature_collection(on=on)
    return Export(geojson.dumps(collection), geojson.GEOJSON_MEDIA_TYPE, f"control-areas-{on}.geojson")


def _dated_params(params: Mapping[str, str]) -> dict:
    return {"on": _as_of(params)}


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
    """``parse`` checks the user's parameters (raising ExportParameterError); ``build`` makes the file."""

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
