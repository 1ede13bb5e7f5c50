"""Folium only: build the control map from plain data (GeoJSON dicts, text or GeoDataFrames + a palette).

One builder serves the live page (layers start empty; the page's script fills them from the GeoJSON
endpoints when the date changes) and the downloadable file (layers carry their data). Styling,
popups and tooltips live in one script, ``static/js/controlmap.js``, which both load, so a town
looks the same everywhere and every name reaches the page as text, never as markup.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from .map_assets import MapAssets, _use_assets
from .map_render import RenderedMap, map_render_parts, map_render_standalone
from .map_settings import (
    MAP_SETTINGS_DEFAULTS,
    TILE_PRESETS,
    WORLD_BOUNDS,
    MapSettingsError,
    boundaries_attribution_html,
    control_attribution_html,
    map_settings_check,
    map_tiles,
)
from .map_verbatim import Verbatim
from .spatial import CONTESTED

# The builder's public names, wherever they are defined (callers import them from geodata.maps).
__all__ = [
    "CONTESTED", "NO_RECORD", "EMPTY_COLLECTION", "HIDDEN_AT_START", "LAYERS", "MAP_SETTINGS_DEFAULTS", "WORLD_BOUNDS",
    "TILE_PRESETS", "MapAssets", "MapCaption", "MapSettingsError", "PaletteEntry", "RenderedMap",
    "boundaries_attribution_html", "control_map_build", "control_map_parts", "map_render_parts",
    "map_render_standalone", "map_settings_check", "map_tiles",
]

# The palette's class for towns with no control recorded. The palette is the map's only source of
# colour for data: every faction, the contested class and this one; the script holds none of its own.
NO_RECORD = "no-record"

EMPTY_COLLECTION: dict = {"type": "FeatureCollection", "features": []}

# Layer keys the page's script addresses (see static/js/controlmap.js), in drawing order.
LAYERS = (
    ("areas", "Control areas"),
    ("provinces", "Governorates"),
    ("districts", "Districts"),
    ("towns", "Towns"),
)
# Districts start hidden (governorates are the page's unit); a reader may show either or both.
HIDDEN_AT_START = {"districts"}


@dataclass(frozen=True)
class PaletteEntry:
    slug: str
    name: str
    colour: str


@functools.cache
def _script_template(template: str) -> Template:
    """A snippet's Jinja template, compiled once per process: snippets are this module's constants."""
    return Template("{% macro script(this, kwargs) %}" + template + "{% endmacro %}")


class _Element(MacroElement):
    """A script snippet rendered at its place in the map's script (after the map exists)."""

    def __init__(self, template: str, **context: Any):
        super().__init__()
        self._name = "ControlMapElement"
        self._template = _script_template(template)
        for key, value in context.items():
            setattr(self, key, value)


# Jinja's tojson makes JSON safe inside <script> so: these four characters occur in JSON text only inside
# strings, where their escapes read the same.
_SCRIPT_SAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), (b"'", b"\\u0027"))
_COLLECTION_START = b'{"type":"FeatureCollection"'


def _script_safe_json(text: bytes) -> str:
    """GeoJSON text as it is, made safe to write inside <script> (as Jinja's tojson would)."""
    if not text.startswith(_COLLECTION_START):
        raise ValueError("Layer data must be a GeoJSON FeatureCollection.")
    for raw, escaped in _SCRIPT_SAFE:
        text = text.replace(raw, escaped)
    return text.decode()


class _GeoJsonText(folium.GeoJson):
    """folium.GeoJson whose data is GeoJSON text (the bytes the API serves), written into the map's script
    as it is: Folium would dump a dict again (json.dumps with sorted keys, tens of ms a megabyte), after the
    caller had parsed it (the downloadable map's layers, megabytes at 10,000 towns)."""

    _PLACEHOLDER = json.dumps(EMPTY_COLLECTION, sort_keys=True)  # what tojson writes for the empty data

    def __init__(self, text: bytes, **kwargs: Any):
        super().__init__(dict(EMPTY_COLLECTION), **kwargs)
        self._text = _script_safe_json(text)

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as folium.GeoJson.render, None
        super().render(**kwargs)
        figure = self.get_root()
        assert isinstance(figure, Figure), "a layer is rendered inside its map's figure"
        part = figure.script._children[self.get_name()]  # map_verbatim: the rendered snippet
        assert isinstance(part, Verbatim), "map_verbatim writes each snippet as a Verbatim element"
        assert part.text.count(self._PLACEHOLDER) == 1, "the layer's data is written once in its snippet"
        part.text = part.text.replace(self._PLACEHOLDER, self._text)


def _feature_collection(data: Any) -> dict:
    """GeoJSON FeatureCollection from a dict, a GeoDataFrame (WGS84) or None."""
    if data is None:
        return EMPTY_COLLECTION
    if isinstance(data, Mapping):
        if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
            raise ValueError("Layer data must be a GeoJSON FeatureCollection.")
        return dict(data)
    if hasattr(data, "to_crs") and hasattr(data, "__geo_interface__"):
        if data.crs is None:
            raise ValueError("A GeoDataFrame for the map must have a CRS.")
        # to_json turns numpy numbers into plain JSON ones, which Folium's serialiser needs.
        return json.loads(data.to_crs("EPSG:4326").to_json())
    raise TypeError(f"Cannot use {type(data).__name__} as map layer data.")


def _palette_json(palette: Sequence[PaletteEntry]) -> dict[str, dict[str, str]]:
    for entry in palette:
        if not re.match(r"^#[0-9a-fA-F]{6}$", entry.colour):
            raise ValueError(f"Faction '{entry.slug}' has colour {entry.colour!r}, not a #rrggbb value.")
    colours = {e.slug: {"name": e.name, "colour": e.colour.lower()} for e in palette}
    if NO_RECORD not in colours:
        raise ValueError(f"The palette has no '{NO_RECORD}' entry: the colour of towns with no record.")
    return colours


@dataclass(frozen=True)
class MapCaption:
    """What a map saved as a file says about itself, with no page around it: its date and the live map."""

    heading: str  # e.g. "Control on 3 September 2017"
    live_url: str  # the live map on that date, an absolute URL
    live_text: str = "Live map, sources and history"


# A box under the zoom buttons, built from text (never parsed as markup).
CAPTION_JS = """
(function (map, c) {
  var box = L.DomUtil.create("div", "cm-caption");
  box.style.cssText = "background:#fff;padding:4px 8px;border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.4);"
    + "font:13px/1.4 system-ui,sans-serif";
  L.DomUtil.create("strong", "", box).textContent = c.heading;
  L.DomUtil.create("br", "", box);
  var link = L.DomUtil.create("a", "", box);
  link.href = c.live_url;
  link.textContent = c.live_text;
  var control = L.control({position: "topleft"});
  control.onAdd = function () { return box; };
  control.addTo(map);
})({{ this.map.get_name() }}, {{ this.caption|tojson }});
"""


def control_map_build(
    *,
    palette: Sequence[PaletteEntry],
    assets: MapAssets,
    settings: Mapping[str, Any] | None = None,
    towns: Any = None,
    provinces: Any = None,
    districts: Any = None,
    areas: Any = None,
    links: Mapping[str, str] | None = None,
    legend: bool = True,
    caption: MapCaption | None = None,
    area_rule: str | None = None,
    stale_after_days: int | None = None,
) -> folium.Map:
    """The control map: areas, governorate and district outlines, towns: one GeoJSON layer each.

    Layers without data start empty for the page's script to fill. ``links`` are URL patterns
    the popups use (``town``: ``/towns/{slug}/``, ``area``: ``/areas/{slug}/``).
    """
    conf = map_settings_check(settings)
    colours = _palette_json(palette)
    (south, west), (north, east) = conf["bounds"]
    tiles, attribution = map_tiles(conf)

    m = folium.Map(
        location=((south + north) / 2, (west + east) / 2),
        zoom_start=6,
        tiles=tiles,
        attr=attribution,
        min_zoom=conf["min_zoom"],
        max_zoom=conf["max_zoom"],
        control_scale=True,
        zoom_snap=0.25,
        height=conf["height"],
        width="100%",
    )
    _use_assets(m, assets)

    # Must run before the layers: their style functions read the palette and the panes.
    _Element(
        "conflictmap.configure({{ this.map.get_name() }}, {{ this.config|tojson }});",
        map=m,
        config={
            "palette": {slug: entry for slug, entry in colours.items() if slug != NO_RECORD},
            # The legend's order (JSON objects get sorted by key); "no record" has rows of its own.
            "order": [e.slug for e in palette if e.slug != NO_RECORD],
            "no_record": colours[NO_RECORD],
            "style": {k: conf[k] for k in ("town_radius", "contested_ring_weight", "area_fill_opacity",
                                           "province_weight")},
            "links": dict(links or {}),
            "legend": legend,
            # The palette's class for contested areas: the legend shows it as an area, never a town.
            "contested_class": CONTESTED,
            "attribution": boundaries_attribution_html(conf),
            "control_attribution": control_attribution_html(conf),
            # How the painted areas follow from the towns (the legend states it, as the exports do).
            "area_rule": area_rule,
            # Towns not confirmed for this many days fade when the reader ticks the legend's toggle.
            "stale_after_days": stale_after_days if stale_after_days is not None else stale_setting(),
        },
    ).add_to(m)

    if caption is not None:
        _Element(CAPTION_JS, map=m, caption={"heading": caption.heading, "live_url": caption.live_url,
                                             "live_text": caption.live_text}).add_to(m)

    data = {"areas": areas, "provinces": provinces, "districts": districts, "towns": towns}
    layers = {}
    for key, label in LAYERS:
        options: dict[str, Any] = {
            "name": label,
            "on_each_feature": JsCode(f"conflictmap.layers.{key}.onEachFeature"),
            "style": JsCode(f"conflictmap.layers.{key}.style"),
            "pointToLayer": JsCode(f"conflictmap.layers.{key}.pointToLayer"),
            "pane": f"cm-{key}",
            "show": key not in HIDDEN_AT_START,
        }
        given = data[key]
        if isinstance(given, bytes):  # GeoJSON text: written as it is
            layers[key] = _GeoJsonText(given, **options).add_to(m)
        else:
            layers[key] = folium.GeoJson(_feature_collection(given), **options).add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    # Not animated: a first view that zooms while the towns are drawn shows them mis-sized.
    _Element(
        "{{ this.map.get_name() }}.fitBounds({{ this.bounds|tojson }}, {animate: false});",
        map=m,
        bounds=[[south, west], [north, east]],
    ).add_to(m)
    _Element(
        "conflictmap.register({{ this.map.get_name() }}, { "
        "{% for key, layer in this.layers.items() %}{{ key|tojson }}: {{ layer.get_name() }},{% endfor %}"
        "});",
        map=m,
        layers=layers,
    ).add_to(m)
    return m


def stale_setting() -> int | None:
    """settings.STALE_AFTER_DAYS: the days after which the map can fade a town not confirmed since."""
    from django.conf import settings as django_settings

    return getattr(django_settings, "STALE_AFTER_DAYS", None)


_PARTS_KEPT: dict[str, RenderedMap] = {}  # control_map_parts' renders, by their inputs


def control_map_parts(
    *, palette: Sequence[PaletteEntry], assets: MapAssets, settings: Mapping[str, Any] | None = None,
    links: Mapping[str, str] | None = None, legend: bool = True, area_rule: str | None = None,
) -> RenderedMap:
    """A map whose layers the page's script fills, rendered once per process for the same inputs.

    Rendering takes tens of milliseconds (branca compiles each rendered snippet as a Jinja template)
    and, without layer data, depends on these small inputs alone: the parts are kept under their repr.
    """
    inputs: dict[str, Any] = {"palette": list(palette), "assets": assets, "settings": dict(settings or {}),
              "links": dict(links or {}), "legend": legend, "area_rule": area_rule,
              "stale_after_days": stale_setting()}
    key = repr(inputs)
    parts = _PARTS_KEPT.get(key)
    if parts is None:
        parts = map_render_parts(control_map_build(**inputs))
        if len(_PARTS_KEPT) >= 8:
            _PARTS_KEPT.clear()  # inputs change rarely (a faction's colour, a setting): start over
        _PARTS_KEPT[key] = parts
    return parts
