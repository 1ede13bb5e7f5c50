"""Folium only: build the control map from plain data (GeoJSON dicts or GeoDataFrames + a palette).

One builder serves the live page (layers start empty; the page's script fills them from the GeoJSON
endpoints when the date changes) and the downloadable file (layers carry their data). Styling,
popups and tooltips live in one script, ``static/js/controlmap.js``, which both load, so a town
looks the same everywhere and every name reaches the page as text, never as markup.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from .sources import OCHA_ATTRIBUTION, OCHA_SOURCE_URL
from .spatial import CONTESTED

# Syria's extent (south-west, north-east corners as latitude, longitude), padded a little.
SYRIA_BOUNDS = ((32.2, 35.5), (37.4, 42.5))

TILE_PRESETS = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    ),
}

# Every setting the map reads, with its default. Checked as a whole by map_settings_check.
MAP_SETTINGS_DEFAULTS: dict[str, Any] = {
    "tiles": "osm",  # "osm", "none", or a {z}/{x}/{y} URL template
    "tiles_attribution": "",  # required with a custom tile URL
    # Credit for the boundary layers, shown beside the tiles' (the shipped boundaries are OCHA's).
    "boundaries_attribution": OCHA_ATTRIBUTION,
    "boundaries_url": OCHA_SOURCE_URL,
    "bounds": SYRIA_BOUNDS,
    "min_zoom": 4,
    "max_zoom": 14,
    "town_radius": 7,
    "contested_ring_weight": 4,
    "area_fill_opacity": 0.35,
    "province_weight": 1.2,
    "height": "100%",
}

EMPTY_COLLECTION: dict = {"type": "FeatureCollection", "features": []}

# Layer keys the page's script addresses (see static/js/controlmap.js), in drawing order.
LAYERS = (
    ("areas", "Control areas"),
    ("provinces", "Governorates"),
    ("districts", "Districts"),
    ("towns", "Towns"),
)
# Governorates or districts: one outline layer at a time (the page's script switches them).
HIDDEN_AT_START = {"districts"}


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
    for name in ("boundaries_attribution", "boundaries_url"):
        if not isinstance(checked[name], str):
            raise MapSettingsError(f"Map setting '{name}' must be text, not {checked[name]!r}.")
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


@dataclass(frozen=True)
class PaletteEntry:
    slug: str
    name: str
    colour: str


@dataclass(frozen=True)
class MapAssets:
    """The JS/CSS the map needs, as this app's URLs (page) or as file contents (download)."""

    js: Sequence[tuple[str, str]] = ()
    css: Sequence[tuple[str, str]] = ()
    inline: bool = False
    # For inline CSS: image name -> bytes, so url(images/x.png) references still resolve.
    css_images: Mapping[str, bytes] = field(default_factory=dict)


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


def boundaries_attribution_html(checked: Mapping[str, Any]) -> str:
    """The boundary credit as the attribution control shows it (HTML: escaped text, a link to the source)."""
    text = html.escape(checked["boundaries_attribution"])
    if text and checked["boundaries_url"]:
        return f'<a href="{html.escape(checked["boundaries_url"])}">{text}</a>'
    return text


def _palette_json(palette: Sequence[PaletteEntry]) -> dict[str, dict[str, str]]:
    for entry in palette:
        if not re.match(r"^#[0-9a-fA-F]{6}$", entry.colour):
            raise ValueError(f"Faction '{entry.slug}' has colour {entry.colour!r}, not a #rrggbb value.")
    return {e.slug: {"name": e.name, "colour": e.colour.lower()} for e in palette}


def _inline_css(text: str, images: Mapping[str, bytes]) -> str:
    def data_uri(match: re.Match) -> str:
        name = match.group(1)
        if name not in images:
            return match.group(0)
        mime = "image/svg+xml" if name.endswith(".svg") else "image/png"
        return f"url(data:{mime};base64,{base64.b64encode(images[name]).decode()})"

    return re.sub(r"url\(\s*['\"]?images/([\w.-]+)['\"]?\s*\)", data_uri, text)


def _use_assets(m: folium.Map, assets: MapAssets) -> None:
    """Replace Folium's CDN links with this app's files (or their contents, for a standalone file)."""
    if not assets.inline:
        # Instance attributes: Folium's class-level CDN defaults stay untouched for other code.
        m.default_js = list(assets.js)
        m.default_css = list(assets.css)
        return
    m.default_js, m.default_css = [], []
    header = m.get_root().header
    for name, text in assets.css:
        header.add_child(Element(f"<style>{_inline_css(text, assets.css_images)}</style>"), name=name)
    for name, text in assets.js:
        # A script body ends at the first "</script"; escaping "</" keeps the code intact.
        header.add_child(Element("<script>" + text.replace("</", "<\\/") + "</script>"), name=name)


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
) -> folium.Map:
    """The control map: areas, governorate and district outlines, towns: one GeoJSON layer each.

    Layers without data start empty for the page's script to fill. ``links`` are URL patterns
    the popups use (``town``: ``/towns/{slug}/``, ``area``: ``/areas/{slug}/``).
    """
    conf = map_settings_check(settings)
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
            "palette": _palette_json(palette),
            "order": [e.slug for e in palette],  # the legend's order (JSON objects get sorted by key)
            "style": {k: conf[k] for k in ("town_radius", "contested_ring_weight", "area_fill_opacity",
                                           "province_weight")},
            "links": dict(links or {}),
            "legend": legend,
            # The palette's class for contested areas: the legend shows it as an area, never a town.
            "contested_class": CONTESTED,
            "attribution": boundaries_attribution_html(conf),
            # How the painted areas follow from the towns (the legend states it, as the exports do).
            "area_rule": area_rule,
        },
    ).add_to(m)

    if caption is not None:
        _Element(CAPTION_JS, map=m, caption={"heading": caption.heading, "live_url": caption.live_url,
                                             "live_text": caption.live_text}).add_to(m)

    data = {"areas": areas, "provinces": provinces, "districts": districts, "towns": towns}
    layers = {}
    for key, label in LAYERS:
        layers[key] = folium.GeoJson(
            _feature_collection(data[key]),
            name=label,
            on_each_feature=JsCode(f"conflictmap.layers.{key}.onEachFeature"),
            style=JsCode(f"conflictmap.layers.{key}.style"),
            pointToLayer=JsCode(f"conflictmap.layers.{key}.pointToLayer"),
            pane=f"cm-{key}",
            show=key not in HIDDEN_AT_START,
        ).add_to(m)

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


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a Folium figure for a Django template: head tags, the map's div, its script."""

    header: str
    html: str
    script: str
    script_hashes: tuple[str, ...] = ()
    style_hashes: tuple[str, ...] = ()

    @property
    def csp_update(self) -> dict[str, list[str]]:
        """What a page showing this map adds to its Content-Security-Policy (django-csp's update)."""
        return {"script-src": list(self.script_hashes), "style-src": list(self.style_hashes)}


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def map_render_parts(m: folium.Map) -> RenderedMap:
    """The figure's parts, with the Content-Security-Policy hashes of their inline code.

    Folium writes inline <script> and <style> blocks (in the header) and the map's script (which the
    page puts in a <script> tag of its own, exactly as given). A page serving them adds
    ``script_hashes`` to its policy's script-src and ``style_hashes`` to its style-src: the browser
    runs exactly this code and nothing injected beside it, and no template needs to change.
    """
    figure = m.get_root()
    figure.render()
    header, script = figure.header.render(), figure.script.render()
    blocks = re.findall(r"<(script|style)>(.*?)</\1>", header, flags=re.DOTALL)
    return RenderedMap(
        header=header,
        html=figure.html.render(),
        script=script,
        script_hashes=tuple(dict.fromkeys(
            [_csp_hash(body) for tag, body in blocks if tag == "script"] + [_csp_hash(script)]
        )),
        style_hashes=tuple(dict.fromkeys(_csp_hash(body) for tag, body in blocks if tag == "style")),
    )


_PARTS_KEPT: dict[str, RenderedMap] = {}  # control_map_parts' renders, by their inputs


def control_map_parts(
    *, palette: Sequence[PaletteEntry], assets: MapAssets, settings: Mapping[str, Any] | None = None,
    links: Mapping[str, str] | None = None, legend: bool = True, area_rule: str | None = None,
) -> RenderedMap:
    """A map whose layers the page's script fills, rendered once per process for the same inputs.

    Rendering takes tens of milliseconds (branca compiles each rendered snippet as a Jinja template)
    and, without layer data, depends on these small inputs alone: the parts are kept under their repr.
    """
    inputs = {"palette": list(palette), "assets": assets, "settings": dict(settings or {}),
              "links": dict(links or {}), "legend": legend, "area_rule": area_rule}
    key = repr(inputs)
    parts = _PARTS_KEPT.get(key)
    if parts is None:
        parts = map_render_parts(control_map_build(**inputs))
        if len(_PARTS_KEPT) >= 8:
            _PARTS_KEPT.clear()  # inputs change rarely (a faction's colour, a setting): start over
        _PARTS_KEPT[key] = parts
    return parts


def map_render_standalone(m: folium.Map, *, title: str) -> str:
    """One self-contained HTML document (Folium's own output)."""
    figure = m.get_root()
    figure.title = title
    return figure.render()
