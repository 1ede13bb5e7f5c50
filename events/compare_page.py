"""What the compare page (/compare/) shows beside its swipe map: the two dates' diff (km² per faction, as
the what-changed page's table) and the towns that changed hands between them, placed, for the map to outline."""

import datetime as dt
from bisect import bisect_left

from geodata.models import Theatre, Town

from . import collector, selectors, territory

OUTLINED_MAX = 5000  # towns outlined on the map; the what-changed page and its CSV list every one


def date_before(on: dt.date, *, theatre: Theatre | None = None) -> dt.date | None:
    """The last change date before ``on`` (the compare page's default "from"), None when there is none."""
    dates = selectors.change_dates(theatre=theatre)
    at = bisect_left(dates, on)
    return dates[at - 1] if at > 0 else None


def compare_page(*, start: dt.date, end: dt.date, theatre: Theatre | None = None) -> dict:
    """Control at the end of ``start`` against the end of ``end``: the diff's km² per faction and the towns
    whose controller differs (the first OUTLINED_MAX, with their place and both sides' names)."""
    with collector.paused():  # two slices and a diff after a write, as on the what-changed page
        change = territory.territory_between(start=start, end=end, theatre=theatre)
        summary = territory.territory_change_summary(change)
    shown = change.handovers[:OUTLINED_MAX]
    places = {
        pk: (lat, lon)
        for pk, lat, lon in Town.objects.filter(pk__in=[h.town.pk for h in shown]).values_list(
            "pk", "latitude", "longitude"
        )
    }
    changed = [
        {
            "id": h.town.pk,
            "name": h.town.name,
            "slug": h.town.slug,
            "from": h.from_faction.name if h.from_faction else None,
            "to": h.to_faction.name,
            "lat": places[h.town.pk][0],
            "lon": places[h.town.pk][1],
        }
        for h in shown
        if h.town.pk in places
    ]
    return {"territory": summary, "changed": changed, "changed_total": len(change.handovers)}
