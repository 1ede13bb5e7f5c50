"""Towns against polygons as plain data, a page at a time: what /areas-conflicts/ and
/api/area-conflicts.json show (``territory.area_conflicts``, issue 22 item 4)."""

import datetime as dt
import math

from django.utils import timezone

from geodata.models import Theatre

from . import selectors, territory
from .models import Faction

PER_PAGE = 200  # a page of conflicts stays far under 1 MB (a row is ~600 bytes as JSON, ~400 as HTML)
CONFLICT_RULE = (
    "A town is listed when it lies inside a faction's latest published drawn assessed area on or before "
    "the date, but its change of control in force on that date names another faction. Towns with nothing "
    "recorded are not listed."
)


def default_date(theatre: Theatre) -> dt.date:
    """The latest day with a drawing or a change in ``theatre`` (not after today), else today."""
    today = timezone.localdate()
    # The last change date found by walking the date index back: reading every change date of the theatre
    # for its last cost the page's first request after a write 370-690 ms at 1,000,000 changes.
    days = [territory.latest_drawn_date(on=today, theatre_id=theatre.pk), selectors.latest_change_date(theatre=theatre)]
    return max((d for d in days if d is not None and d <= today), default=today)


def area_conflicts_page(*, on: dt.date, theatre: Theatre, page: int = 1) -> dict:
    """The conflicts of ``theatre`` on ``on``, PER_PAGE a page (a page past the last is empty, and says so)."""
    found = territory.area_conflicts(on=on, theatre=theatre)
    pages = max(1, math.ceil(len(found) / PER_PAGE))
    shown = found[(page - 1) * PER_PAGE : page * PER_PAGE]
    factions = Faction.objects.in_bulk({c.recorded_faction_id for c in shown} | {c.area.faction_id for c in shown})
    rows = []
    for c in shown:
        recorded, area = factions[c.recorded_faction_id], c.area
        rows.append(
            {
                "town": {"id": c.town_id, "name": c.town_name, "slug": c.town_slug},
                "recorded": {
                    "faction": recorded.slug,
                    "faction_name": recorded.name,
                    "colour": recorded.colour,
                    "status": c.recorded_status,
                    "since": c.recorded_since.isoformat(),
                    "change_id": c.recorded_change_id,
                },
                "drawn": {
                    "faction": area.faction.slug,
                    "faction_name": area.faction.name,
                    "colour": area.faction.colour,
                    "drawn_on": area.drawn_on.isoformat(),
                    "days_old": (on - area.drawn_on).days,
                    "area_id": area.pk,
                    "layer": str(area.layer),
                    "sources": [{"publisher": s.publisher, "title": s.title, "url": s.url} for s in area.sources.all()],
                },
            }
        )
    return {
        "theatre": theatre.slug,
        "date": on.isoformat(),
        "rule": CONFLICT_RULE,
        "count": len(found),
        "page": page,
        "pages": pages,
        "per_page": PER_PAGE,
        "results": rows,
    }
