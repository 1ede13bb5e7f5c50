"""Territory: control_as_of combined with geometry. Reads only; this is the package's public surface.

- ``rule``: AREA_RULE (how towns speak for land) and the class a change paints land with.
- ``provinces``: control per admin area on a date (the slice counted by the database).
- ``cells``: the recorded towns' Voronoi cells, cached per sites and geometry (never per date).
- ``areas``: territory per faction on a date (classes painted on the cells, dissolved).
- ``over_time``: territory and shares over time, summed per step by the database.
- ``one_area``: control of one admin area on a date, from its own towns' rows.
- ``change``: what changed between two dates (a diff reads two slices).
- ``drawn``: control drawn as polygons shown with the town rule (DRAWN_RULE), and the overlay layers.
- ``drawn_change``: km² gained and lost between two dates from the drawn polygons, per layer and faction.
- ``drawn_conflicts``: towns inside a faction's drawn area but recorded for another side.

Geometry is WGS84; areas are km² in an equal-area CRS (see ``geodata.spatial``). Callers outside the
package use the names below, never a module's private ones.
"""

from .areas import control_areas_as_of, town_classes, unknown_km2
from .cells import cell_areas, cell_shapes
from .change import Flow, Handover, TerritoryChange, territory_between, territory_change_summary
from .drawn import DRAWN_RULE, latest_drawn, latest_drawn_date, overlays_as_of, with_drawn
from .drawn_change import drawn_between
from .drawn_conflicts import AreaConflict, area_conflicts, conflicts_in
from .one_area import area_control_as_of, area_shares_as_of, area_towns
from .over_time import (
    AreaOverTime,
    OverTime,
    area_over_time,
    area_shares_over_time,
    point_words,
    step_for,
    territory_over_time,
)
from .provinces import LevelAreas, level_area_ids, level_areas, province_control_as_of
from .rule import AREA_RULE, CACHE_SECONDS, CONTESTED, CONTESTED_COLOUR, CONTESTED_NAME, area_rule, town_class

__all__ = [
    "AREA_RULE", "CACHE_SECONDS", "DRAWN_RULE", "latest_drawn", "latest_drawn_date", "overlays_as_of",
    "with_drawn", "drawn_between", "AreaConflict", "area_conflicts", "conflicts_in",
    "CONTESTED", "CONTESTED_COLOUR", "CONTESTED_NAME", "Flow", "Handover", "OverTime",
    "TerritoryChange", "AreaOverTime", "area_control_as_of", "area_shares_as_of", "area_over_time",
    "area_rule", "area_shares_over_time", "area_towns", "cell_areas",
    "cell_shapes", "control_areas_as_of",
    "LevelAreas", "level_area_ids", "level_areas", "point_words", "province_control_as_of", "step_for",
    "territory_between",
    "territory_change_summary", "territory_over_time", "town_class", "town_classes", "unknown_km2",
]
