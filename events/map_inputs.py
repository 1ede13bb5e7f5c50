"""The plain data geodata.maps builds a map from: palette, settings, static assets, popup links."""

from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from geodata.maps import NO_RECORD, MapAssets, PaletteEntry
from geodata.models import Theatre
from geodata.theatres import theatre_bbox

from . import colours, selectors, territory

# What the map needs, all from this app's static files (XStatic packages + our own); no CDN,
# no jQuery/Bootstrap/awesome-markers, which Folium would add by default but this map never uses.
MAP_JS = (
    ("leaflet", "vendor/leaflet/leaflet.js"), ("controlmap", "js/controlmap.js"), ("mapoutlines", "js/mapoutlines.js"),
    ("maplegend", "js/maplegend.js"),
)
MAP_CSS = (("leaflet_css", "vendor/leaflet/leaflet.css"), ("controlmap_css", "css/controlmap.css"))
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png")


def faction_palette() -> list[PaletteEntry]:
    """The map's one palette: every faction's colour, the contested class the control areas use and
    the grey of towns with no record; the map's script and legend draw only these."""
    factions = [PaletteEntry(slug=f.slug, name=f.name, colour=f.colour) for f in selectors.factions_by_name()]
    return [
        *factions,
        PaletteEntry(territory.CONTESTED, territory.CONTESTED_NAME, territory.CONTESTED_COLOUR),
        PaletteEntry(NO_RECORD, colours.NO_RECORD_NAME, colours.NO_RECORD_COLOUR),
    ]


def map_settings(**overrides) -> dict:
    """Map settings from Django settings (tiles) plus per-page overrides such as a height."""
    credit = getattr(settings, "MAP_CONTROL_ATTRIBUTION", "")  # the control data's credit, if not the default
    return {"tiles": settings.MAP_TILES, "tiles_attribution": settings.MAP_TILES_ATTRIBUTION,
            **({"control_attribution": credit} if credit else {}), **overrides}


def theatre_map_settings(theatre: Theatre, *, bbox: list[float] | None = None) -> dict:
    """A theatre's overrides of the map settings: its name, its extent (``bbox`` when known, else worked out),
    its credit lines."""
    west, south, east, north = bbox or theatre_bbox(theatre)
    pad = 0.1  # a theatre of one town (or one row of towns) still opens on a box around it
    if east - west < pad:
        west, east = west - pad, east + pad
    if north - south < pad:
        south, north = south - pad, north + pad
    return {**theatre_credit_settings(theatre), "bounds": ((south, west), (north, east))}


def theatre_credit_settings(theatre: Theatre) -> dict:
    """A theatre's name and credit lines as map settings (its boundaries', linked to their source; its
    gazetteer's; its control data's, else the installation's MAP_CONTROL_ATTRIBUTION or the default line)."""
    overrides: dict = {
        "region_name": theatre.name, "boundaries_attribution": theatre.boundaries_credit,
        "boundaries_url": theatre.boundaries_url, "gazetteer_attribution": theatre.gazetteer_credit,
    }
    if theatre.control_credit:
        overrides["control_attribution"] = theatre.control_credit
    return overrides


def map_links(theatre: Theatre | None = None) -> dict[str, str]:
    """The popups' links to a town's and an area's page ("{slug}" in its place); a theatre's map keeps it."""
    marker = "__slug__"
    mine = "" if theatre is None else f"?{urlencode({'theatre': theatre.slug})}"
    return {
        "town": reverse("town-detail", kwargs={"slug": marker}).replace(marker, "{slug}") + mine,
        "area": reverse("area-detail", kwargs={"slug": marker}).replace(marker, "{slug}") + mine,
    }


def map_assets_linked() -> MapAssets:
    return MapAssets(js=[(n, static(p)) for n, p in MAP_JS], css=[(n, static(p)) for n, p in MAP_CSS])


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"Static file {path} is missing; is XStatic-Leaflet installed?")
    return Path(found).read_bytes()


def map_assets_inline() -> MapAssets:
    """The same files' contents, for a map file that works with no server and no network."""
    return MapAssets(
        js=[(n, _read_static(p).decode()) for n, p in MAP_JS],
        css=[(n, _read_static(p).decode()) for n, p in MAP_CSS],
        inline=True,
        css_images={name: _read_static(f"vendor/leaflet/images/{name}") for name in LEAFLET_IMAGES},
    )


def map_endpoints(theatre: Theatre | None = None) -> dict[str, str]:
    """Where the page's script fetches each layer for a date (the GeoJSON API); a theatre's map asks for its
    towns and areas only."""
    mine = {} if theatre is None else {"theatre": theatre.slug}

    def url(name: str, **query) -> str:
        query |= mine
        return reverse(name) + (f"?{urlencode(query)}" if query else "")

    return {
        # Assessed areas and the drawn overlays in one file, each feature saying its layer (hatched).
        "areas": url("api:control-areas-geojson", layer="all"),
        "provinces": url("api:provinces-geojson"),
        "districts": url("api:provinces-geojson", level=2),
        "towns": url("api:control-geojson"),
    }
