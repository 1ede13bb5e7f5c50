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


def _source_rows(change: ControlChange) -> list[dict]:
    return [
        {
            "title": s.title,
            "url": s.url,
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
                "note": c.note,
                "sources": _source_rows(c),
            }
            for c in history
        ],
    }


def show_on_map_url(*, town: Town, on: dt.date | None) -> str:
    query = f"?date={on:%Y-%m-%d}&town={town.slug}" if on else f"?town={town.slug}"
    return reverse("home") + query
