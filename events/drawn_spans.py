"""Control drawn as polygons as spans of days (``/api/control-spans.*?kind=drawn``), for QGIS's Temporal
Controller: one feature per theatre, faction and layer per drawing in force, ``valid_from`` its day,
``valid_to`` the day of the next published drawing of the same theatre, faction and layer (exclusive; null
while it is the latest). On a day D the features with valid_from <= D < valid_to are what the map draws for
D (``territory.latest_drawn``): the assessed areas as drawn (before the town rule is cut around them) and the
overlays."""

import datetime as dt
from collections.abc import Iterator

from geodata.models import Theatre

from .drawn_models import DrawnArea

BATCH = 50  # drawings read with their geometry at a time: a year of daily files is ~30 MB of it


def drawn_spans(
    *,
    theatre: Theatre | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[int, dt.date, dt.date | None]]:
    """(drawing id, valid_from, valid_to) of every published drawing in force on some day from ``start`` to
    ``end`` (each bound optional), in theatre, layer, faction and date order; one read, without geometry.
    Of several drawings of one day, the last entered holds it (as ``latest_drawn`` chooses)."""
    rows = DrawnArea.objects.filter(state=DrawnArea.State.PUBLISHED)
    if theatre is not None:
        rows = rows.filter(theatre=theatre)
    keys = rows.order_by("theatre_id", "layer", "faction_id", "drawn_on", "id").values_list(
        "theatre_id", "layer", "faction_id", "drawn_on", "id"
    )
    spans: list[tuple[int, dt.date, dt.date | None]] = []
    previous = None
    for theatre_id, layer, faction_id, drawn_on, pk in keys:
        key = (theatre_id, layer, faction_id)
        if previous is not None and previous[0] == key:
            if previous[1] == drawn_on:  # a later entry of the same day replaces the earlier one
                spans.pop()
            else:
                spans[-1] = (spans[-1][0], spans[-1][1], drawn_on)
        spans.append((pk, drawn_on, None))
        previous = (key, drawn_on)
    return [
        (pk, valid_from, valid_to)
        for pk, valid_from, valid_to in spans
        if (end is None or valid_from <= end) and (start is None or valid_to is None or valid_to > start)
    ]


def drawn_spans_features(
    *,
    theatre: Theatre | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Iterator[list[dict]]:
    """The spans as GeoJSON features (the drawing's polygon as imported), BATCH drawings a list."""
    spans = drawn_spans(theatre=theatre, start=start, end=end)
    for at in range(0, len(spans), BATCH):
        batch = spans[at : at + BATCH]
        areas = (
            DrawnArea.objects.select_related("faction", "theatre")
            .prefetch_related("sources")
            .in_bulk([pk for pk, _, _ in batch])
        )
        features = []
        for pk, valid_from, valid_to in batch:
            area = areas[pk]
            features.append(
                {
                    "type": "Feature",
                    "id": pk,
                    "geometry": area.geometry,
                    "properties": {
                        "theatre": area.theatre.slug,
                        "faction": area.faction.slug,
                        "faction_name": area.faction.name,
                        "colour": area.faction.colour,
                        "layer": str(area.layer),
                        "basis": "drawn",
                        "valid_from": valid_from,
                        "valid_to": valid_to,
                        "area_km2": area.area_km2,
                        "drawn_area_id": pk,
                        "sources": [
                            {"publisher": s.publisher, "title": s.title, "url": s.url} for s in area.sources.all()
                        ],
                    },
                }
            )
        yield features
