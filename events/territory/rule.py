"""The rule that turns towns into land, stated once, and the class a town's change paints it with."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from geodata import spatial

from ..models import ControlChange
from ..selectors import ChangeRow, ControlSnapshot

CONTESTED = spatial.CONTESTED
CONTESTED_NAME = "Contested"
# The one place the contested colour is set (map legend, GeoJSON, charts read it from here). Blue:
# no seed faction uses it, and at the map's 35% fill it stays apart from IS's near-black, which the
# grey it replaces did not (CIEDE2000 7.9 against IS; this one is 13.5, tested).
CONTESTED_COLOUR = "#1f78b4"
CACHE_SECONDS = 24 * 3600  # the key holds the data version, so stale entries are never read
# How control areas are drawn, stated once: the map, the areas GeoJSON, the diff page and the API
# show this text, and every km² follows it (see area_rule for the radius).
AREA_RULE = (
    "Each town with a published record speaks for the land nearer to it than to any other recorded "
    "town, up to {radius_km:g} km from it and only inside its governorate. Land beyond is left "
    "unpainted: no record. So is the land of a town whose first record is later than the date shown. "
    "Areas are measured in km² in an equal-area projection."
)


def area_rule() -> dict:
    """The rule in words and its radius in km (settings.CONTROL_AREA_RADIUS_KM)."""
    radius_km = float(settings.CONTROL_AREA_RADIUS_KM)
    if not radius_km > 0:
        raise ImproperlyConfigured(f"CONTROL_AREA_RADIUS_KM must be a positive number of km, not {radius_km:g}.")
    return {"text": AREA_RULE.format(radius_km=radius_km), "radius_km": radius_km}



def town_class(change: ChangeRow | None) -> str | None:
    """The class a town's change in force paints its land with: its faction's slug, or "contested"."""
    if change is None:
        return None
    return CONTESTED if change.status == ControlChange.Status.CONTESTED else change.faction_slug


def recorded_classes(snapshot: ControlSnapshot) -> dict[int, str]:
    """town_class of each of the slice's towns with a change in force, by town id (a town with nothing
    recorded is left out; so is a coarse town the public may not see placed: it has a change but no row).
    The rule written inline: a call of town_class per town cost as much as the slice step at 10,000 towns."""
    contested, changes = ControlChange.Status.CONTESTED, snapshot.changes
    return {town.id: CONTESTED if c.status == contested else c.faction_slug
            for town in snapshot.towns if (c := changes.get(town.id)) is not None}
