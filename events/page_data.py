"""Reads that assemble what each public page shows, as plain data (no HTML, no Folium).

The map layers come from the same functions as the GeoJSON API, so a page, a downloaded map
and an export never disagree.
"""

import datetime as dt
import json

from django.urls import reverse

from geodata.models import Town

from . import geojson, selectors
from .models import ControlChange


def _plain(collection: dict) -> dict:
    """The collection exactly as the API serialises it (dates as ISO strings)."""
    return json.loads(geojson.dumps(collection))


def safe_href(url: str) -> str | None:
    """The URL if it is an http(s) link; anything else (javascript:, data:) is shown as text only."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _source_rows(change: ControlChange) -> list[dict]:
    return [
        {
            "title": s.title,
            "url": safe_href(s.url),
            "publisher": s.publisher,
            "date": s.published.isoformat() if s.published else None,
        }
        for s in change.sources.all()
    ]


def town_panel(*, town: Town) -> dict:
    """A town's names and control history with sources, for the map's side panel."""
    history = selectors.town_history(town=town)
    return {
        "id": town.pk,
        "slug": town.slug,
        "name": town.name,
        "alt_names": list(town.alt_names),
        "url": town.get_absolute_url(),
        "history": [
            {
                "date": c.effective_date.isoformat(),
                "precision": c.date_precision,
                "faction": c.faction.slug,
                "faction_name": c.faction.name,
                "colour": c.faction.colour,
                "status": c.status,
                "contested_by": c.contested_by.slug if c.contested_by else None,
                "contested_by_name": c.contested_by.name if c.contested_by else None,
                "confidence": c.confidence,
                "day_part": c.get_day_part_display() if c.day_part else None,
                "note": c.note,
                "sources": _source_rows(c),
            }
            for c in history
        ],
    }


def show_on_map_url(*, town: Town, on: dt.date | None) -> str:
    query = f"?date={on:%Y-%m-%d}&town={town.slug}" if on else f"?town={town.slug}"
    return reverse("home") + query


def map_layers(*, on: dt.date) -> dict[str, dict]:
    """The three map layers for a date, as the API serves them (for the downloadable map)."""
    return {"towns": _plain(geojson.control_feature_collection(on=on))}


def _area_collection(areas) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.pk,
                "geometry": a.geometry,
                "properties": {"name": a.name, "slug": a.slug, "code": a.code},
            }
            for a in areas
            if a.geometry
        ],
    }


def town_page(*, town: Town) -> dict:
    """History, a small map (the town and its governorate) and a link to the main map."""
    history = town_panel(town=town)["history"]
    on = dt.date.fromisoformat(history[-1]["date"]) if history else selectors.latest_change_date()
    towns = {"type": "FeatureCollection", "features": []}
    if on:
        towns = _plain(geojson.control_feature_collection(on=on))
        towns["features"] = [f for f in towns["features"] if f["properties"]["town_id"] == town.pk]
    pad = 0.6
    return {
        "town": town,
        "history": history,
        "on": on,
        "show_on_map_url": show_on_map_url(town=town, on=on),
        "bounds": ((town.latitude - pad, town.longitude - pad), (town.latitude + pad, town.longitude + pad)),
        "layers": {
            "towns": towns,
            "provinces": _area_collection([town.admin_area] if town.admin_area_id else []),
        },
    }
