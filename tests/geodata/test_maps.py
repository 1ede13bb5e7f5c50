"""geodata.maps: one checked settings dict, three GeoJSON layers, no CDN links."""

import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geodata import maps

PALETTE = [maps.PaletteEntry("islamic-state", "Islamic State", "#262626"),
           maps.PaletteEntry("pro-government", "Syrian government", "#d7191c"),
           maps.PaletteEntry(maps.NO_RECORD, "No control recorded", "#9e9e9e")]
ASSETS = maps.MapAssets(js=[("leaflet", "/static/vendor/leaflet/leaflet.js")],
                        css=[("leaflet_css", "/static/vendor/leaflet/leaflet.css")])


def _towns(n: int) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [37.0 + i / n, 35.0]},
         "properties": {"name": f"Town {i}", "faction": "islamic-state"}} for i in range(n)
    ]}


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"tiles": "https://example.org/{z}/{x}/{y}.png"}, "tiles_attribution"),
        ({"tiles": "ftp://tiles"}, "tiles"),
        ({"zoom": 3}, "zoom"),
        ({"town_radius": "7"}, "town_radius"),
        ({"bounds": ((37, 35), (32, 42))}, "bounds"),
        ({"area_fill_opacity": 2}, "area_fill_opacity"),
        ({"height": "tall"}, "height"),
    ],
)
def test_bad_settings_name_the_setting(overrides, named):
    with pytest.raises(maps.MapSettingsError, match=named):
        maps.map_settings_check(overrides)


def test_custom_tiles_need_and_get_attribution():
    checked = maps.map_settings_check({"tiles": "https://t.example.org/{z}/{x}/{y}.png", "tiles_attribution": "T"})
    html = maps.map_render_parts(maps.control_map_build(palette=PALETTE, assets=ASSETS, settings=checked)).script
    assert "https://t.example.org/{z}/{x}/{y}.png" in html


def test_no_tiles_and_no_cdn():
    m = maps.control_map_build(palette=PALETTE, assets=ASSETS, settings={"tiles": "none"})
    parts = maps.map_render_parts(m)
    assert "L.tileLayer" not in parts.script
    assert not re.search(r"(src|href)=\"?https?:", parts.header)  # Folium's default CDN links are gone
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in parts.header
    # Folium's class defaults are left alone for other code.
    assert any("cdn" in url for _, url in maps.folium.Map.default_js)


def test_towns_are_one_geojson_layer_whatever_their_number():
    m = maps.control_map_build(palette=PALETTE, assets=ASSETS, settings={"tiles": "none"}, towns=_towns(500))
    script = maps.map_render_parts(m).script
    assert script.count("L.geoJson(") == 4  # areas, governorate and district outlines, towns
    assert "L.circleMarker(" not in script and "L.marker(" not in script
    assert script.count('"Town 499"') == 1
    assert "L.control.scale()" in script and "L.control.layers(" in script
    assert ".fitBounds([[-56.0, -170.0], [72.0, 180.0]]" in script  # no theatre's extent given: the world


def test_geodataframe_layers_are_reprojected_to_wgs84():
    frame = gpd.GeoDataFrame({"name": ["A"]}, geometry=[Point(37.46, 35.04)], crs="EPSG:4326").to_crs(3857)
    m = maps.control_map_build(palette=PALETTE, assets=ASSETS, settings={"tiles": "none"}, towns=frame)
    script = maps.map_render_parts(m).script
    lon, lat = map(float, re.search(r'"coordinates": \[([-\d.]+), ([-\d.]+)\]', script).groups())
    assert lon == pytest.approx(37.46) and lat == pytest.approx(35.04)


def test_names_cannot_break_out_of_the_script():
    palette = [maps.PaletteEntry("x", "</script><script>alert(1)</script>", "#000000"), PALETTE[-1]]
    towns = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "</script>"},
                                                        "geometry": {"type": "Point", "coordinates": [37, 35]}}]}
    script = maps.map_render_parts(
        maps.control_map_build(palette=palette, assets=ASSETS, settings={"tiles": "none"}, towns=towns)
    ).script
    assert "</script>" not in script


def test_bad_palette_colour_and_bad_layer_data_are_refused():
    with pytest.raises(ValueError, match="colour"):
        maps.control_map_build(palette=[maps.PaletteEntry("x", "X", "red")], assets=ASSETS,
                               settings={"tiles": "none"})
    with pytest.raises(ValueError, match="no record"):  # the script has no grey of its own to fall back on
        maps.control_map_build(palette=PALETTE[:2], assets=ASSETS, settings={"tiles": "none"})
    with pytest.raises(ValueError, match="FeatureCollection"):
        maps.control_map_build(palette=PALETTE, assets=ASSETS, settings={"tiles": "none"}, towns={"type": "Point"})


def test_standalone_inlines_assets_and_images():
    assets = maps.MapAssets(js=[("a", "var a = '</script>';")], css=[("c", ".x{background:url(images/layers.png)}")],
                            inline=True, css_images={"layers.png": b"\x89PNG"})
    html = maps.map_render_standalone(
        maps.control_map_build(palette=PALETTE, assets=assets, settings={"tiles": "none"}, towns=_towns(2)),
        title="Control on 2017-09-02",
    )
    assert "var a = '<\\/script>';" in html
    assert "url(data:image/png;base64," in html
    assert "<title>Control on 2017-09-02</title>" in html


def test_a_page_map_is_rendered_once_for_the_same_inputs_and_afresh_for_new_ones(monkeypatch):
    renders = []
    render = maps.map_render_parts
    monkeypatch.setattr(maps, "map_render_parts", lambda m: renders.append(m) or render(m))
    monkeypatch.setattr(maps, "_PARTS_KEPT", {})
    settings = {"tiles": "none"}
    first = maps.control_map_parts(palette=PALETTE, assets=ASSETS, settings=settings, area_rule="cells")
    again = maps.control_map_parts(palette=list(PALETTE), assets=ASSETS, settings=dict(settings), area_rule="cells")
    assert again is first and len(renders) == 1
    # Another colour, setting or rule is another map: the page never shows a stale palette.
    recoloured = [PALETTE[0], maps.PaletteEntry("pro-government", "Syrian government", "#1f78b4"), PALETTE[2]]
    changed = maps.control_map_parts(palette=recoloured, assets=ASSETS, settings=settings, area_rule="cells")
    assert len(renders) == 2 and "#1f78b4" in changed.script and "#d7191c" not in changed.script
    osm = maps.control_map_parts(palette=PALETTE, assets=ASSETS, settings={"tiles": "osm"}, area_rule="cells")
    assert len(renders) == 3 and "L.tileLayer" in osm.script and "L.tileLayer" not in first.script
    # The kept parts are exactly what building and rendering them now gives (element names aside).
    fresh = render(maps.control_map_build(palette=PALETTE, assets=ASSETS, settings=settings, area_rule="cells"))
    assert _unnamed(first.script) == _unnamed(fresh.script) and _unnamed(first.html) == _unnamed(fresh.html)


def _unnamed(text: str) -> str:
    """Folium's element names (a random hex id each) made alike."""
    return re.sub(r"_[0-9a-f]{32}", "_ID", text)


JINJA_NAMES = ["{{ 7*7 }}", "{# a comment? #} after", "{% if x %} unbalanced", "{{ (dict(popen=1)|list)[0] }}"]


@pytest.mark.parametrize("name", JINJA_NAMES)
def test_names_are_never_read_as_templates(name):
    """A name an editor typed is data: branca would compile a layer's script as a Jinja template
    (a town called {{ 7*7 }} drawn as 49, an unbalanced {% a 500); the map writes it as it is."""
    palette = [maps.PaletteEntry("x", name, "#000000"), PALETTE[-1]]
    towns = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": name},
                                                        "geometry": {"type": "Point", "coordinates": [37, 35]}}]}
    caption = maps.MapCaption(heading=name, live_url="https://example.org/")
    for build in (
        lambda: maps.map_render_parts(maps.control_map_build(palette=palette, assets=ASSETS,
                                                             settings={"tiles": "none"}, towns=towns)).script,
        lambda: maps.map_render_standalone(maps.control_map_build(
            palette=palette, assets=maps.MapAssets(js=[("a", "var a = '{{ 7*7 }}';")], inline=True),
            settings={"tiles": "none"}, towns=towns, caption=caption), title="t"),
    ):
        out = build()
        # Written as typed (an evaluated or stripped name would have lost its braces).
        assert name in out, name
    assert "var a = '{{ 7*7 }}';" in out  # inlined code, too
