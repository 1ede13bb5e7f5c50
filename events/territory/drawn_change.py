"""km² gained and lost between two dates from the drawn polygons (issue 22 item 5). Reads only.

Per layer and faction, the latest published drawing on or before each date (``latest_drawn``) is compared
with the other: land inside the later drawing and not the earlier is *gained* (captured), split by whose
land it was at the start on the map (another side's drawn area, or its town-rule area: ``with_drawn``);
land inside the earlier and not the later is *lost*, split by whose it is at the end. A faction drawn for
the first time (nothing drawn at the start) is *newly drawn*, never a capture; one whose drawings stop is
*no longer drawn*. Per faction: before + gained − lost + newly − no longer = after. Every km² is measured
in one equal-area CRS (``geodata.spatial``). Overlays (advances, claims, counteroffensives) are their own
layers, never summed into assessed control, and not split by side.
"""

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely
from django.core.cache import cache

from conflictmap.throttles import build_check
from geodata import spatial
from geodata.models import Theatre

from ..colours import NO_RECORD_COLOUR
from ..drawn_models import DrawnArea
from ..models import Faction
from ..selectors import data_version
from .areas import control_areas_as_of
from .drawn import ASSESSED, DRAWN_RULE, _shapes, drawn_shape, latest_drawn, with_drawn
from .rule import CACHE_SECONDS, CONTESTED, CONTESTED_COLOUR, CONTESTED_NAME

LAYERS = [str(v) for v in DrawnArea.Layer]
LAYER_NAMES = dict(DrawnArea.Layer.choices)
DRAWN_CHANGE_RULE = (
    "From the drawn polygons: land inside a faction's later drawing and not its earlier one is gained "
    "(from whoever held it at the start, by their drawing or their towns); land it no longer covers is "
    "lost (to whoever holds it at the end). A faction drawn for the first time is newly drawn, not a "
    "capture. Each layer is measured apart, in an equal-area projection; overlays are never added to "
    "assessed control."
)


def drawn_between(*, start: dt.date, end: dt.date, theatre: Theatre | None = None) -> dict | None:
    """The drawn areas' change from the end of ``start`` to the end of ``end`` as plain data (the API's and
    the page's ``drawn``); None when no published drawing is in force on either date. Cached per data version."""
    if start > end:
        raise ValueError("start must not be after end")
    key = f"territory:drawn-between:v1:{start}:{end}:{data_version(theatre=theatre)}" + (
        "" if theatre is None else f":{theatre.pk}"
    )
    cached = cache.get(key)
    if cached is None:
        # Nothing drawn on or before the end is nothing drawn on or before the start either: a theatre with no
        # drawing (most) is settled by one read.
        after = latest_drawn(on=end, layers=LAYERS, theatre=theatre)
        before = latest_drawn(on=start, layers=LAYERS, theatre=theatre) if after else []
        if not before and not after:
            cached = {"none": True}
        else:
            build_check()
            cached = _drawn_between(start=start, end=end, theatre=theatre, before=before, after=after)
        cache.set(key, cached, CACHE_SECONDS)
    return None if cached.get("none") else cached


def _by_faction(areas: list[DrawnArea], layer: str) -> dict[str, tuple]:
    """{faction slug: (its shape (several theatres' united), the day it was drawn)} for one layer."""
    mine = [a for a in areas if a.layer == layer]
    out: dict[str, tuple] = {}
    for area, geom in zip(mine, _shapes(mine), strict=True):
        held = out.get(area.faction.slug)
        out[area.faction.slug] = (
            (geom, area.drawn_on) if held is None else (shapely.union(held[0], geom), min(held[1], area.drawn_on))
        )
    return out


class _Measure:
    """km² of many shapes in one equal-area CRS, centred on every drawing compared."""

    def __init__(self, shapes: list):
        frame = gpd.GeoDataFrame(geometry=gpd.GeoSeries(shapes, crs=spatial.WGS84))
        self.crs = spatial.equal_area_crs(frame)

    def __call__(self, shapes: list) -> np.ndarray:
        if not shapes:
            return np.zeros(0)
        series = gpd.GeoSeries(shapes, crs=spatial.WGS84)
        return np.round(spatial.area_km2(series, self.crs).fillna(0.0).to_numpy(dtype=float), 3)


def _drawn_between(*, start, end, theatre, before: list[DrawnArea], after: list[DrawnArea]) -> dict:
    measure = _Measure([drawn_shape(a.geometry) for a in [*before, *after]])
    names = {f.slug: (f.name, f.colour) for f in Faction.objects.all()}
    names[CONTESTED] = (CONTESTED_NAME, CONTESTED_COLOUR)

    def side(slug: str | None) -> dict:
        name, colour = names.get(slug, (slug, NO_RECORD_COLOUR)) if slug else ("No record", None)
        return {"faction": slug, "faction_name": name, "colour": colour}

    def map_on(day: dt.date, piece) -> gpd.GeoDataFrame:
        """The assessed map of ``day`` (drawn areas over the town rule) where ``piece`` lies: whose land it was
        or is. The town rule's areas inside the piece only (``window``), the drawings then cut out of them:
        the same land there ((T ∩ piece) − drawn = (T − drawn) ∩ piece) without dissolving and cutting every
        area of the theatre, so a year's diff of one front costs the few km² it moved."""
        return with_drawn(control_areas_as_of(on=day, theatre=theatre, window=piece), on=day, theatre=theatre)

    layers = []
    for layer in LAYERS:
        was, now = _by_faction(before, layer), _by_faction(after, layer)
        if not was and not now:
            continue
        rows = []
        for slug in sorted(set(was) | set(now)):
            old, new = was.get(slug), now.get(slug)
            km2_before = float(measure([old[0]])[0]) if old else 0.0
            km2_after = float(measure([new[0]])[0]) if new else 0.0
            row = {
                **side(slug),
                "drawn_before": None if old is None else old[1].isoformat(),
                "drawn_after": None if new is None else new[1].isoformat(),
                "before_km2": km2_before,
                "after_km2": km2_after,
                "gained_km2": 0.0,
                "lost_km2": 0.0,
                "newly_drawn_km2": km2_after if old is None else 0.0,
                "no_longer_drawn_km2": km2_before if new is None else 0.0,
                "gained_from": [],
                "lost_to": [],
            }
            if old is not None and new is not None:
                gained = shapely.difference(new[0], old[0])
                lost = shapely.difference(old[0], new[0])
                row["gained_km2"], row["lost_km2"] = (float(v) for v in measure([gained, lost]))
                if layer == ASSESSED:
                    row["gained_from"] = _split(gained, map_on(start, gained), slug, measure, side)
                    row["lost_to"] = _split(lost, map_on(end, lost), slug, measure, side)
            row["net_km2"] = round(km2_after - km2_before, 3)
            rows.append(row)
        rows.sort(key=lambda r: (-r["net_km2"], r["faction_name"] or ""))
        layers.append(
            {"layer": layer, "layer_name": LAYER_NAMES[layer], "overlay": layer != ASSESSED, "factions": rows}
        )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rule": DRAWN_CHANGE_RULE,
        "shown_rule": DRAWN_RULE,
        "layers": layers,
    }


def _split(piece, frame: gpd.GeoDataFrame, slug: str, measure: _Measure, side) -> list[dict]:
    """``piece`` (land one faction gained or lost) cut by the other sides' areas on ``frame``'s map (``map_on``:
    its town-rule rows inside the piece already): km² per side and basis (drawn or towns), and the rest as
    "no record"; pieces under 0.001 km² are left out."""
    others = frame[frame["faction"] != slug]
    if piece.is_empty:
        return []
    geoms = others.geometry.to_numpy()
    # The town rule's rows are inside the piece already (``map_on``'s window): only drawings are cut to it.
    drawn = (others["basis"] == "drawn").to_numpy()
    pieces = list(geoms)
    if drawn.any():
        for i, clipped in zip(np.flatnonzero(drawn), shapely.intersection(geoms[drawn], piece), strict=True):
            pieces[i] = clipped
    # The others' land within the piece, not all of it: a union of a theatre's areas costs seconds.
    rest = shapely.difference(piece, shapely.union_all(pieces)) if len(geoms) else piece
    km2 = measure([*pieces, rest])
    out = [
        {**side(f), "basis": basis, "km2": float(k)}
        for f, basis, k in zip(others["faction"], others["basis"], km2[:-1], strict=True)
        if k > 0
    ]
    if km2[-1] > 0:
        out.append({**side(None), "basis": None, "km2": float(km2[-1])})
    out.sort(key=lambda r: -r["km2"])
    return out
