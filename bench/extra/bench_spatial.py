"""Town → governorate join and control areas: the seed scenario and 10,000 synthetic towns.

Floors are the bare shapely work the step cannot avoid: a point-in-polygon test of every town
against every area (join) and one Voronoi diagram of all towns (control areas).
"""

import datetime as dt

import numpy as np
import shapely
from django.core.cache import cache
from django.db import transaction

from bench.extra import timed
from events import page_data, territory
from events.models import ControlChange, Faction
from events.seeding import seed_scenario_load
from geodata import selectors as places
from geodata import spatial
from geodata.models import AdminArea, Town
from geodata.services import towns_assign_admin_areas

SYNTHETIC_TOWNS = 10_000
ON = dt.date(2017, 9, 3)


def _join_floor(towns, areas) -> int:
    xy = shapely.get_coordinates(towns.geometry.to_numpy())
    return sum(int(shapely.contains_xy(area, xy[:, 0], xy[:, 1]).sum()) for area in areas.geometry)


def _voronoi_floor(towns) -> object:
    metric = towns.to_crs(spatial.equal_area_crs(towns))
    return shapely.voronoi_polygons(shapely.multipoints(shapely.get_coordinates(metric.geometry.to_numpy())))


def _synthetic_towns() -> None:
    """Towns spread over Syria; control by region (west government, north-east SDF...) with 5% noise."""
    rng = np.random.default_rng(2017)
    country = shapely.union_all(places.admin_areas_frame(level=1).geometry.to_numpy())
    minx, miny, maxx, maxy = country.bounds
    xs, ys = [], []
    while len(xs) < SYNTHETIC_TOWNS:
        x, y = rng.uniform(minx, maxx, 4_000), rng.uniform(miny, maxy, 4_000)
        keep = shapely.contains_xy(country, x, y)
        xs.extend(x[keep]), ys.extend(y[keep])
    factions = {f.slug: f for f in Faction.objects.all()}
    slugs = sorted(factions)
    towns = Town.objects.bulk_create(
        Town(name=f"Synthetic {i}", slug=f"synthetic-{i}", latitude=float(y), longitude=float(x),
             population=int(rng.integers(100, 50_000)))
        for i, (x, y) in enumerate(zip(xs[:SYNTHETIC_TOWNS], ys[:SYNTHETIC_TOWNS], strict=True))
    )

    def owner(town) -> str:
        if rng.random() < 0.05:
            return slugs[int(rng.integers(len(slugs)))]
        if town.longitude > 39.5 and town.latitude > 35.5:
            return "sdf"
        if town.longitude > 38.5:
            return "islamic-state"
        if town.latitude > 35.6 and town.longitude < 37.0:
            return "opposition"
        return "pro-government"

    ControlChange.objects.bulk_create(
        (
            ControlChange(town=t, faction=factions[owner(t)], state="published", effective_date=dt.date(2017, 1, 1))
            for t in towns
        ),
        batch_size=2_000,
    )


def _measure(report, label: str) -> None:
    towns, areas = places.towns_frame(), places.admin_areas_frame(level=1)
    n = len(towns)
    figure, _ = timed(spatial.towns_join_areas, towns, areas)
    floor, _ = timed(_join_floor, towns, areas)
    report(f"join {n} towns to 14 governorates (sjoin + nearest), {label}", figure, floor)
    figure, _ = timed(towns_assign_admin_areas, repeat=1)
    report(f"towns_assign_admin_areas (DB read + join + write), {label}", figure)

    def fresh():
        cache.clear()
        return territory.control_areas_as_of(on=ON)

    figure, result = timed(fresh)
    floor, _ = timed(_voronoi_floor, towns)
    # Known land plus the land of towns with no record on ON is the whole country.
    unknown = territory.unknown_km2(on=ON) if hasattr(territory, "unknown_km2") else 0.0
    assert abs((result["area_km2"].sum() + unknown) / spatial.area_km2(areas.geometry).sum() - 1) < 0.005
    report(f"control_areas_as_of uncached ({len(result)} classes), {label}", figure, floor)
    figure, _ = timed(territory.control_areas_as_of, on=ON - dt.timedelta(days=1), repeat=1)
    report(f"control_areas_as_of, another date (first time), {label}", figure)
    figure, _ = timed(territory.control_areas_as_of, on=ON)
    report(f"control_areas_as_of cached, {label}", figure)
    figure, _ = timed(territory.province_control_as_of, on=ON)
    report(f"province_control_as_of, {label}", figure)
    _pages(report, label)


def _pages(report, label: str) -> None:
    """The two pages with a timeline: cold, warm, and just after one edit (a new data version)."""
    hama = AdminArea.objects.get(slug="hama")
    figure, _ = timed(page_data.area_page, area=hama, on=ON)
    report(f"governorate page data (Hama), {label}", figure)
    cache.clear()
    figure, _ = timed(page_data.factions_page, repeat=1)
    report(f"factions page data, cold cache, {label}", figure)
    figure, _ = timed(page_data.factions_page)
    report(f"factions page data, warm cache, {label}", figure)
    edit = ControlChange.objects.create(
        town=Town.objects.get(slug="palmyra"), faction=Faction.objects.get(slug="islamic-state"),
        state="published", effective_date=ON, day_part=ControlChange.DayPart.EVENING,
    )
    figure, _ = timed(page_data.factions_page, repeat=1)
    report(f"factions page data, just after one edit, {label}", figure)
    edit.delete()


def run(report) -> None:
    with transaction.atomic():
        # Start from the seed alone, whatever earlier bench modules left; roll everything back after.
        ControlChange.objects.all().delete()
        Town.objects.all().delete()
        seed_scenario_load()
        _measure(report, f"seed ({Town.objects.count()} towns)")
        _synthetic_towns()
        _measure(report, f"seed + {SYNTHETIC_TOWNS} synthetic towns")
        transaction.set_rollback(True)
