"""Building and rendering the control map: towns as one GeoJSON layer against one Folium object per town."""

import folium

from bench.extra import timed
from geodata import maps

TOWNS = 10_000
PER_OBJECT_TOWNS = 2_000  # the per-object floor is slow; measured on fewer towns and scaled
PALETTE = [maps.PaletteEntry("a", "A", "#262626"), maps.PaletteEntry("b", "B", "#d7191c"),
           maps.PaletteEntry(maps.NO_RECORD, "No record", "#9e9e9e")]
ASSETS = maps.MapAssets(js=[("leaflet", "/static/vendor/leaflet/leaflet.js")])


def _towns(n: int) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36 + (i % 100) / 16, 32.5 + (i // 100) / 22]},
         "properties": {"name": f"Town {i}", "town_id": i, "faction": "ab"[i % 2], "status": "controlled"}}
        for i in range(n)
    ]}


def _one_layer(collection: dict) -> int:
    m = maps.control_map_build(palette=PALETTE, assets=ASSETS, settings={"tiles": "none"}, towns=collection)
    return len(maps.map_render_standalone(m, title="bench"))


def _per_object(collection: dict) -> int:
    m = folium.Map(location=(35, 38), tiles=None)
    for f in collection["features"]:
        lon, lat = f["geometry"]["coordinates"]
        folium.CircleMarker((lat, lon), radius=7, color="#fff", fill_color="#262626", fill_opacity=0.9,
                            tooltip=f["properties"]["name"]).add_to(m)
    return len(m.get_root().render())


def run(report) -> None:
    big = _towns(TOWNS)
    seconds, size = timed(_one_layer, big, repeat=2)
    small = _towns(PER_OBJECT_TOWNS)
    floor_small, _ = timed(_per_object, small, repeat=1)
    report(f"map with {TOWNS} towns as one GeoJSON layer, build+render", seconds,
           floor_small * TOWNS / PER_OBJECT_TOWNS)
    report(f"  its HTML ({TOWNS} towns embedded, as the download)", size / 1e6, unit="MB")
    report(f"  (floor: one Folium CircleMarker per town, {PER_OBJECT_TOWNS} towns measured)", floor_small)
    page_seconds, page_size = timed(_one_layer, None, repeat=3)
    report("map page skeleton (towns fetched by the page), build+render", page_seconds)
    report("  its HTML", page_size / 1e3, unit="kB")
