"""The control map's settings: one checked dict (tiles, bounds, zoom, styles), with its defaults."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

# The map's extent when it is given none (south-west, north-east corners as latitude, longitude): the
# inhabited world. A theatre's map opens on the theatre's extent (events.map_inputs.theatre_map_settings).
WORLD_BOUNDS = ((-56.0, -170.0), (72.0, 180.0))

TILE_PRESETS = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    ),
}

CONTROL_ATTRIBUTION = "Control: conflictmap editors, from cited sources"

# Every setting the map reads, with its default. Checked as a whole by map_settings_check.
MAP_SETTINGS_DEFAULTS: dict[str, Any] = {
    "tiles": "osm",  # "osm", "none", or a {z}/{x}/{y} URL template
    "tiles_attribution": "",  # required with a custom tile URL
    # Credit for the boundary layers, shown beside the tiles' (a theatre's boundaries credit and source).
    "boundaries_attribution": "",
    "boundaries_url": "",
    # Credit for the towns' gazetteer (a theatre's), shown after the boundaries'.
    "gazetteer_attribution": "",
    # The country or region the map shows, named in its title (a theatre's name; empty: none named).
    "region_name": "",
    # Credit for the control data, shown beside the boundaries' (who recorded who holds what).
    "control_attribution": CONTROL_ATTRIBUTION,
    "bounds": WORLD_BOUNDS,
    "min_zoom": 4,
    "max_zoom": 14,
    "town_radius": 7,
    "contested_ring_weight": 4,
    "area_fill_opacity": 0.35,
    "province_weight": 1.2,
    "height": "100%",
}


class MapSettingsError(ValueError):
    """A map setting is missing, unknown or of the wrong kind; the message names it."""


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise MapSettingsError(f"Map setting '{name}' must be a number from {low} to {high}, not {value!r}.")


def map_settings_check(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The defaults with ``overrides`` applied, every value checked; raises MapSettingsError."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(MAP_SETTINGS_DEFAULTS))
    if unknown:
        raise MapSettingsError(f"Unknown map setting(s): {', '.join(unknown)}.")
    checked = {**MAP_SETTINGS_DEFAULTS, **overrides}

    tiles = checked["tiles"]
    if not isinstance(tiles, str) or not tiles.strip():
        raise MapSettingsError("Map setting 'tiles' must be 'osm', 'none' or a tile URL template.")
    tiles = tiles.strip()
    if tiles not in TILE_PRESETS and tiles != "none":
        if not re.match(r"^https?://", tiles) or not all(p in tiles for p in ("{z}", "{x}", "{y}")):
            raise MapSettingsError(
                f"Map setting 'tiles' is {tiles!r}: use 'osm', 'none' or an http(s) URL with {{z}}, {{x}}, {{y}}."
            )
        if not str(checked["tiles_attribution"]).strip():
            raise MapSettingsError("A custom tile URL needs 'tiles_attribution' (MAP_TILES_ATTRIBUTION).")
    checked["tiles"] = tiles
    for name in ("boundaries_attribution", "boundaries_url", "gazetteer_attribution", "control_attribution"):
        if not isinstance(checked[name], str):
            raise MapSettingsError(f"Map setting '{name}' must be text, not {checked[name]!r}.")
    if not isinstance(checked["region_name"], str):
        raise MapSettingsError(f"Map setting 'region_name' must be a name, not {checked['region_name']!r}.")
    if checked["boundaries_url"] and not re.match(r"^https?://", checked["boundaries_url"]):
        raise MapSettingsError(
            f"Map setting 'boundaries_url' must be an http(s) URL, not {checked['boundaries_url']!r}."
        )

    try:
        (south, west), (north, east) = checked["bounds"]
        for v in (south, west, north, east):
            _check_number("bounds", v, -180, 180)
    except (TypeError, ValueError) as exc:
        raise MapSettingsError("Map setting 'bounds' must be ((south, west), (north, east)).") from exc
    if not (-90 <= south < north <= 90 and west < east):
        raise MapSettingsError("Map setting 'bounds' must have south < north and west < east.")
    checked["bounds"] = ((south, west), (north, east))

    _check_number("min_zoom", checked["min_zoom"], 0, 20)
    _check_number("max_zoom", checked["max_zoom"], checked["min_zoom"], 20)
    _check_number("town_radius", checked["town_radius"], 2, 30)
    _check_number("contested_ring_weight", checked["contested_ring_weight"], 1, 10)
    _check_number("area_fill_opacity", checked["area_fill_opacity"], 0, 1)
    _check_number("province_weight", checked["province_weight"], 0, 10)
    if not isinstance(checked["height"], str) or not re.match(r"^\d+(\.\d+)?(px|%|vh)$", checked["height"]):
        raise MapSettingsError("Map setting 'height' must be a CSS length such as '100%' or '320px'.")
    return checked


def map_tiles(checked: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The tile URL template and attribution for settings from map_settings_check; (None, None) for 'none'."""
    if checked["tiles"] in TILE_PRESETS:
        return TILE_PRESETS[checked["tiles"]]
    if checked["tiles"] != "none":
        return checked["tiles"], checked["tiles_attribution"]
    return None, None


def boundaries_attribution_html(checked: Mapping[str, Any]) -> str:
    """The boundary credit as the attribution control shows it (HTML: escaped text, a link to the source),
    then the gazetteer's."""
    text = html.escape(checked["boundaries_attribution"])
    if text and checked["boundaries_url"]:
        text = f'<a href="{html.escape(checked["boundaries_url"])}">{text}</a>'
    gazetteer = html.escape(checked["gazetteer_attribution"])
    return " · ".join(t for t in (text, gazetteer) if t)


def control_attribution_html(checked: Mapping[str, Any]) -> str:
    """The control data's credit as the attribution control shows it (escaped text)."""
    return html.escape(checked["control_attribution"])
