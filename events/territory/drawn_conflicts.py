"""Towns against polygons (issue 22 item 4): a town inside a faction's drawn assessed area on a date but
recorded (the town rule, ``selectors.control_as_of``) for another side is a conflict. Reads only.

Towns with nothing recorded by the date are not conflicts (no side is recorded for them). The drawings
read are each faction's latest published assessed area on or before the date (``latest_drawn``), as the
map shows them; ``conflicts_in`` asks the same of given areas (drafts too), for proposing changes.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape

from geodata.models import Theatre

from .. import selectors
from ..drawn_models import DrawnArea
from ..selectors import ControlSnapshot
from .drawn import ASSESSED, latest_drawn


@dataclass(frozen=True)
class AreaConflict:
    """One town inside ``area`` (drawn for its faction) whose change in force names another faction."""

    town_id: int
    town_slug: str
    town_name: str
    recorded_faction_id: int
    recorded_faction_slug: str
    recorded_status: str
    recorded_since: dt.date
    recorded_change_id: int
    area: DrawnArea


def conflicts_in(*, areas: list[DrawnArea], snapshot: ControlSnapshot) -> list[AreaConflict]:
    """The towns of ``snapshot`` inside each of ``areas`` but recorded there for another faction."""
    if not areas or not snapshot.towns:
        return []
    lon = np.array([t.longitude for t in snapshot.towns], dtype=float)
    lat = np.array([t.latitude for t in snapshot.towns], dtype=float)
    found = []
    for area in areas:
        geom = shape(area.geometry)
        shapely.prepare(geom)
        inside = shapely.intersects_xy(geom, lon, lat)  # on the edge counts: the drawing's line is its own
        for i in np.flatnonzero(inside):
            town = snapshot.towns[i]
            change = snapshot.changes.get(town.id)
            if change is None or change.faction_id == area.faction_id:
                continue
            found.append(
                AreaConflict(
                    town_id=town.id,
                    town_slug=town.slug,
                    town_name=town.name,
                    recorded_faction_id=change.faction_id,
                    recorded_faction_slug=change.faction_slug,
                    recorded_status=change.status,
                    recorded_since=change.effective_date,
                    recorded_change_id=change.id,
                    area=area,
                )
            )
    found.sort(key=lambda c: (c.area.faction.slug, c.town_name, c.town_id))
    return found


def area_conflicts(*, on: dt.date, theatre: Theatre) -> list[AreaConflict]:
    """Towns of ``theatre`` inside a faction's published drawn assessed area in force on ``on`` but recorded
    for another side on ``on`` (published records only: what the public map shows)."""
    areas = latest_drawn(on=on, layers=[ASSESSED], theatre=theatre)
    if not areas:
        return []
    return conflicts_in(areas=areas, snapshot=selectors.control_as_of(on=on, theatre=theatre))
