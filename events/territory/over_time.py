"""Territory and shares over many dates: the log walked once, km² as sums of cached cell areas."""

import datetime as dt
import hashlib

import pandas as pd
from django.core.cache import cache

from geodata import spatial
from geodata.models import AdminArea, Town

from .. import selectors
from ..selectors import data_version
from .cells import cell_areas
from .rule import CACHE_SECONDS, area_rule, town_class


def territory_over_time(*, dates: list[dt.date], published_only: bool = True) -> pd.DataFrame:
    """Per date and class (faction slug or "contested"): towns, population and area_km2.

    The same figures as control_areas_as_of on each date, without its geometry: one query over the
    log walked once in Python, and km² as sums of the cached Voronoi cell areas by controller.
    Unknown land is in no row, as on the map. Cached per dates and data version.
    """
    key = f"territory:over-time:{hashlib.sha256(repr(sorted(dates)).encode()).hexdigest()[:16]}:" \
          f"{int(published_only)}:{data_version(published_only=published_only)}:{area_rule()['radius_km']:g}"
    cached = cache.get(key)
    if cached is None:
        cached = _territory_over_time(dates=dates, published_only=published_only)
        cache.set(key, cached, CACHE_SECONDS)
    return cached.copy()


def _territory_over_time(*, dates: list[dt.date], published_only: bool) -> pd.DataFrame:
    cells, town_sites = cell_areas(published_only=published_only)
    population = dict(Town.objects.values_list("pk", "population"))
    rows = []
    timelines = selectors.town_timelines(published_only=published_only)
    for date, state in selectors.in_force_on_dates(timelines, dates):
        town_klass = pd.Series({t: town_class(held) for t, held in state.items()}, dtype=object)
        km2 = spatial.class_km2(cells, spatial.site_classes(town_klass, town_sites))
        counts = town_klass.value_counts()
        pops = pd.Series([population.get(t) or 0 for t in town_klass.index], index=town_klass.to_numpy())
        pops = pops.groupby(level=0).sum() if len(pops) else pops
        for klass in set(km2.index) | set(counts.index):
            rows.append({"date": date, "klass": klass, "towns": int(counts.get(klass, 0)),
                         "population": int(pops.get(klass, 0)), "area_km2": float(km2.get(klass, 0.0))})
    return pd.DataFrame(rows, columns=["date", "klass", "towns", "population", "area_km2"])


def area_shares_over_time(*, area: AdminArea, published_only: bool = True) -> list[tuple[dt.date, dict[str, float]]]:
    """An admin area's town shares (as province_control_as_of computes them) at each date one of its towns changed.

    Towns in its sub-areas count, as they do in province_control_as_of. One query for the area's
    towns, one for their log; no geometry.
    """
    children: dict[int | None, list[int]] = {}
    for pk, parent in AdminArea.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    inside, todo = set(), [area.pk]
    while todo:
        pk = todo.pop()
        inside.add(pk)
        todo.extend(children.get(pk, []))
    towns = Town.objects.filter(admin_area_id__in=inside).values("pk")
    timelines = selectors.town_timelines(town_ids=towns, published_only=published_only)
    dates = sorted({row.effective_date for timeline in timelines.values() for row in timeline})
    timeline = []
    for date, state in selectors.in_force_on_dates(timelines, dates):
        # A contested town counts for the faction holding it, as in spatial.area_control.
        held = pd.Series([row.faction_slug for row in state.values()], dtype=object)
        counts = held.value_counts()
        timeline.append((date, {slug: float(n / len(held)) for slug, n in sorted(counts.items())}))
    return timeline
