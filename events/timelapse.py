"""A timelapse of a theatre's map: a frame on the first day, then one per change date (or per day) to the last.

One definition for ``manage.py timelapse`` and ``/timelapse.gif`` / ``.mp4``: parameters arrive as the
strings a user typed and are checked here (``TimelapseParameters.parse``), so both refuse the same input
with the same message. Each frame draws the rows the map's layers serve for its date: the slice
(``selectors.control_as_of``) for the towns and ``territory.control_areas_as_of`` for the control areas,
the theatre's governorates as outlines; ``geodata.frames`` draws and encodes them. The file is kept per
data revision, theatre, range, step, width and format.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from conflictmap.throttles import build_check
from geodata import frames, maps
from geodata.models import AdminArea, Theatre
from geodata.selectors import admin_areas_frame
from geodata.spatial import WGS84
from geodata.theatres import TheatreError, theatre_default, theatre_named

from . import colours, map_inputs, selectors, territory
from .date_labels import date_label
from .drawn_models import DrawnArea
from .models import ControlChange, Faction
from .params import ParameterError, given_date, whole_number

STEPS = ("changes", "days")
FORMATS = tuple(frames.ENCODERS)
DEFAULT_WIDTH = 800
MIN_WIDTH = 480  # narrower, the legend's and the heading's words no longer fit
AROUND_CHANGES = 10  # ``around=D``: this many change dates each side of D (the map menu's link)
CACHE_SECONDS = selectors.CACHE_SECONDS

Progress = Callable[[str, int, int], None]


def max_frames() -> int:
    return settings.TIMELAPSE_MAX_FRAMES


def max_width() -> int:
    return settings.TIMELAPSE_MAX_WIDTH


@dataclass(frozen=True)
class TimelapseParameters:
    theatre: Theatre
    start: dt.date
    end: dt.date
    step: str = "changes"
    width: int = DEFAULT_WIDTH
    fmt: str = "gif"

    @classmethod
    def parse(cls, params: Mapping[str, str], *, fmt: str) -> "TimelapseParameters":
        """``theatre``, ``from`` and ``to`` (or ``around``), ``step``, ``width``; ``fmt`` from the file name."""
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ParameterError("format", f"'{fmt}' is not a timelapse format; use {' or '.join(FORMATS)}.")
        theatre = _theatre(params.get("theatre"))
        step = params.get("step") or "changes"
        if step not in STEPS:
            raise ParameterError("step", f"'{step}' is not a step; use {' or '.join(STEPS)}.")
        width = _width(params.get("width"))
        today = timezone.localdate()
        around = given_date(params, "around")
        if around is not None:
            if params.get("from") or params.get("to"):
                raise ParameterError("around", "Give either 'around' or 'from' and 'to', not both.")
            _not_future(around, "around", today)
            start, end = _around(around, theatre)
        elif not params.get("from") and not params.get("to"):  # nothing asked: the theatre's latest changes
            latest = selectors.change_dates(theatre=theatre)
            if not latest:
                raise ParameterError("from", f"No change of control is recorded in {theatre.name}: nothing to show.")
            start, end = _around(latest[-1], theatre)
        else:
            start, end = _required_date(params, "from", today), _required_date(params, "to", today)
            if start >= end:
                raise ParameterError("from", f"The range is empty: 'from' ({start}) must be before 'to' ({end}).")
        return cls(theatre=theatre, start=start, end=end, step=step, width=width, fmt=fmt)

    @property
    def filename(self) -> str:
        return f"timelapse-{self.theatre.slug}-{self.start}-{self.end}.{self.fmt}"

    @property
    def media_type(self) -> str:
        return frames.ENCODERS[self.fmt][1]


def _theatre(raw: str | None) -> Theatre:
    """The theatre named; with none named, the default theatre (the one / shows)."""
    if raw == "":  # as the API refuses it: "every theatre" is said by leaving it out
        raise ParameterError("theatre", "'theatre' is empty; give a theatre's slug, or leave 'theatre' out.")
    if raw is None:
        shown = theatre_default()  # as the map at / (never made here: not on a GET)
        if shown is None:
            raise ParameterError("theatre", "No theatre is loaded yet: there is no map to draw.")
        return shown
    try:
        return theatre_named(raw, option="theatre")
    except TheatreError as exc:
        raise ParameterError("theatre", str(exc)) from None


def theatre_shown(theatre: Theatre | None) -> Theatre | None:
    """The theatre a map without ``theatre=`` draws a timelapse of: the only one, if there is one."""
    if theatre is not None:
        return theatre
    first_two = list(Theatre.objects.order_by("pk")[:2])
    return first_two[0] if len(first_two) == 1 else None


def _width(raw: str | None) -> int:
    if raw is None or raw == "":
        return min(DEFAULT_WIDTH, max_width())
    width = whole_number(raw) if len(raw) <= 6 else None  # int() refuses over 4,300 digits (a 500)
    if width is None:
        raise ParameterError("width", f"'{raw}' is not a width in pixels (a whole number).")
    if not MIN_WIDTH <= width <= max_width():
        raise ParameterError(
            "width", f"A width of {width} pixels is outside {MIN_WIDTH}-{max_width()} (TIMELAPSE_MAX_WIDTH)."
        )
    return width


def _required_date(params: Mapping[str, str], name: str, today: dt.date) -> dt.date:
    value = given_date(params, name)
    if value is None:
        which = "first" if name == "from" else "last"
        raise ParameterError(name, f"'{name}' is required: the {which} day of the timelapse, YYYY-MM-DD.")
    _not_future(value, name, today)
    return value


def _not_future(value: dt.date, name: str, today: dt.date) -> None:
    if value > today:
        raise ParameterError(name, f"'{value}' is in the future; a timelapse shows what was recorded, up to {today}.")


def _around(on: dt.date, theatre: Theatre) -> tuple[dt.date, dt.date]:
    """AROUND_CHANGES change dates before ``on`` (from the one in force on it) and as many after."""
    dates = selectors.change_dates(theatre=theatre)
    before = [d for d in dates if d <= on]
    after = [d for d in dates if d > on]
    start = before[-AROUND_CHANGES - 1] if len(before) > AROUND_CHANGES else (before[0] if before else on)
    end = after[AROUND_CHANGES - 1] if len(after) >= AROUND_CHANGES else (after[-1] if after else on)
    if start >= end:
        raise ParameterError(
            "around", f"No change of control is recorded around {on} in {theatre.name}: nothing to show over time."
        )
    return start, end


def frame_dates(p: TimelapseParameters) -> list[dt.date]:
    """The first day, then each change date (or each day) after it up to the last; checked against the bound."""
    if p.step == "days":
        count = (p.end - p.start).days + 1
        _bounded(count, p)
        return [p.start + dt.timedelta(days=i) for i in range(count)]
    changed = [d for d in selectors.change_dates(theatre=p.theatre) if p.start < d <= p.end]
    if not changed:
        raise ParameterError(
            "to",
            f"No change of control is recorded in {p.theatre.name} after {p.start} up to "
            f"{p.end}: a timelapse would show one map. Widen the range.",
        )
    _bounded(len(changed) + 1, p)
    return [p.start, *changed]


def _bounded(count: int, p: TimelapseParameters) -> None:
    if count > max_frames():
        raise ParameterError(
            "frames",
            f"{count} frames from {p.start} to {p.end} (one per {p.step[:-1]}) are more than the limit "
            f"of {max_frames()} (TIMELAPSE_MAX_FRAMES); shorten the range"
            + (" or step by changes." if p.step == "days" else "."),
        )


@dataclass(frozen=True)
class Timelapse:
    content: bytes
    media_type: str
    filename: str
    frames: int


def cache_key(p: TimelapseParameters, revision: str) -> str:
    radius_km = territory.area_rule()["radius_km"]  # a setting: areas drawn with another radius are another file
    return f"timelapse:{p.fmt}:{revision}:{p.theatre.pk}:{p.start}:{p.end}:{p.step}:{p.width}:{radius_km:g}"


def timelapse_build(
    p: TimelapseParameters,
    *,
    progress: Progress | None = None,
    revision: str | None = None,
    frames_at: list[dt.date] | None = None,
) -> Timelapse:
    """The timelapse file, kept per data revision (a write names a new key; nothing is deleted)."""
    dates = frames_at or frame_dates(p)  # checked before the cache: a bad range is refused, never served
    key = cache_key(p, revision or selectors.data_version())
    content = cache.get(key)
    if content is None:
        build_check()  # a miss builds: counted against an anonymous client's limit
        encode, _ = frames.ENCODERS[p.fmt]
        content = encode(timelapse_frames(p, dates, progress=progress))
        cache.set(key, content, CACHE_SECONDS)
    return Timelapse(content=content, media_type=p.media_type, filename=p.filename, frames=len(dates))


def timelapse_frames(
    p: TimelapseParameters, dates: list[dt.date], *, progress: Progress | None = None
) -> list[np.ndarray]:
    """Each date's frame, as RGB arrays."""
    canvas = timelapse_canvas(p)
    drawn = []
    for i, on in enumerate(dates):
        if progress is not None:
            progress("frames", i, len(dates))
        drawn.append(canvas.draw(frame_data(on=on, theatre=p.theatre)))
    if progress is not None:
        progress("frames", len(dates), len(dates))
    return drawn


def timelapse_canvas(p: TimelapseParameters) -> frames.FrameCanvas:
    """The theatre's extent, governorates and credits, ready for each date's layers."""
    checked = maps.map_settings_check(map_inputs.map_settings(**map_inputs.theatre_map_settings(p.theatre)))
    (south, west), (north, east) = checked["bounds"]
    rule = territory.area_rule()
    published = DrawnArea.objects.filter(theatre=p.theatre, state=DrawnArea.State.PUBLISHED)
    drawn = " (or a side's latest published drawn map, where it has one)" if published.exists() else ""
    credits = (
        f"{checked['boundaries_attribution']} · {checked['control_attribution']} · Shaded: the land "
        f"nearest each recorded town, up to {rule['radius_km']:g} km, within its governorate{drawn} · conflictmap"
    )
    outlines = admin_areas_frame(level=AdminArea.Level.PROVINCE, theatre=p.theatre.pk)
    # Every faction, the contested area and town, no record; and the theatre's drawn overlay layers.
    overlay_layers = (
        published.exclude(layer=DrawnArea.Layer.ASSESSED).values_list("layer", flat=True).distinct().count()
    )
    most = Faction.objects.count() + 3 + overlay_layers
    return frames.FrameCanvas(
        bounds=(west, south, east, north), outlines=outlines, credits=credits, width=p.width, legend_entries=most
    )


CONTESTED_AREA = "Contested (area)"
OVERLAY_NAMES = {"advance": "Advances", "claimed": "Claimed", "counteroffensive": "Counteroffensives"}
OVERLAY_EDGE = "#444444"  # the legend's hatch: the overlays themselves take their faction's colour
CONTESTED_TOWN = "Contested town: ring in the contesting side's colour"
TOWN_RING = "#ffffff"


def frame_data(*, on: dt.date, theatre: Theatre) -> frames.FrameData:
    """One date's layers, coloured as the live map colours them: the control areas; each town filled with
    its holder's colour, ringed in the contesting side's where contested; the factions shown."""
    snapshot = selectors.control_as_of(on=on, theatre=theatre)
    # As /api/control-areas.geojson?layer=all draws the date: drawn assessed areas over the town rule, and the
    # drawn overlays hatched apart (never in the areas).
    areas = territory.with_drawn(territory.control_areas_as_of(on=on, theatre=theatre), on=on, theatre=theatre)
    overlays = territory.overlays_as_of(on=on, theatre=theatre)
    contested = ControlChange.Status.CONTESTED
    names: dict[str, tuple[str, str]] = {}  # class -> (name, colour): the legend
    rows = []  # (recorded, fill, ring, longitude, latitude)
    for town in snapshot.towns:
        change = snapshot.changes.get(town.id)
        if change is None:
            names[maps.NO_RECORD] = (colours.NO_RECORD_NAME, colours.NO_RECORD_COLOUR)
            rows.append((False, colours.NO_RECORD_COLOUR, TOWN_RING, town.longitude, town.latitude))
            continue
        holder = snapshot.factions[change.faction_id]
        names[holder.slug] = (holder.name, holder.colour)
        ring = TOWN_RING
        if change.status == contested and change.contested_by_id in snapshot.factions:
            side = snapshot.factions[change.contested_by_id]
            names[side.slug] = (side.name, side.colour)
            names[CONTESTED_TOWN] = (CONTESTED_TOWN, TOWN_RING)
            ring = side.colour
        rows.append((True, holder.colour, ring, town.longitude, town.latitude))
    for row in areas.itertuples(index=False):
        name = CONTESTED_AREA if row.faction == territory.CONTESTED else row.faction_name
        names.setdefault(row.faction, (name, row.colour))
    rows.sort(key=lambda t: t[0])  # towns with no record under the others
    towns = gpd.GeoDataFrame(
        {"colour": [t[1] for t in rows], "ring": [t[2] for t in rows]},
        geometry=gpd.points_from_xy([t[3] for t in rows], [t[4] for t in rows]),
        crs=WGS84,
    )
    last = {territory.CONTESTED: 1, CONTESTED_TOWN: 2, maps.NO_RECORD: 3}  # the factions by name, then these
    legend = [
        frames.LegendEntry(name, colour, ring=klass == CONTESTED_TOWN)
        for klass, (name, colour) in sorted(names.items(), key=lambda kv: (last.get(kv[0], 0), kv[1][0]))
    ]
    legend += [
        frames.LegendEntry(f"{OVERLAY_NAMES.get(layer, layer)} (drawn, hatched)", OVERLAY_EDGE,
                           hatch=frames.OVERLAY_HATCH.get(layer, "xx"))
        for layer in sorted(set(overlays["layer"]))
    ]
    heading = f"{theatre.name}: control on {date_label(on=on, precision='day', day_part=0)}"
    return frames.FrameData(heading=heading, areas=areas, towns=towns, legend=legend, overlays=overlays)
