"""Control drawn as polygons at DeepStateMap's size (issue 22 item 6), in the bench's country.

- A year of daily files (``write_archive``): like a DeepStateMap archive, each a FeatureCollection with
  one MultiPolygon and no properties, ~3,000 vertices, ~80 KB, inside theatre 1; a front that moves a
  little every day (harmonics on a random walk, seeded), so each day gains land somewhere and loses some
  elsewhere.
- The import: ``import_control_areas <files> --theatre --faction --date-from-name --commit --publish``
  through ``call_command``, as the README shows it (published at once: a reviewer's import with its source),
  beside a floor measured in the same run: the files read by pyogrio and the same rows bulk-inserted.
- The control-areas layer for new dates inside that year (cells cached, as the ``control_areas`` figure),
  and again cached, beside that figure's floor plus reading the drawn area's geometry.
- ``/api/territory-change.json`` from the year's first day to its last, cold (after a revision bump, as
  after an editor's write) and warm, beside the floor of both dates' control areas and their drawings.

Everything happens in one transaction rolled back at the end, so the cached country keeps its counts.
"""

import datetime as dt
import io
import json
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pyogrio
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from shapely.geometry import mapping, shape

from bench import floors

FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 365
VERTICES = 3_000
ENCLAVE_VERTICES = 300  # a second, small polygon: DeepState's files hold several
PATTERN = "deepstatemap_data_%Y%m%d"
FACTION = "sdf"
SEED = 22
HARMONICS = np.arange(1, 9)


def file_name(day: dt.date) -> str:
    return f"deepstatemap_data_{day:%Y%m%d}.geojson"


def _ring(centre, radius: float, theta: np.ndarray, amp: np.ndarray, phase: np.ndarray, rough: np.ndarray) -> list:
    """A star-shaped ring (so always simple and valid) around ``centre``, counter-clockwise, closed."""
    wobble = (amp[:, None] * np.sin(HARMONICS[:, None] * theta + phase[:, None])).sum(axis=0)
    r = radius * (1 + wobble + rough)
    xy = np.round(np.column_stack([centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)]), 7)
    return [*xy.tolist(), xy[0].tolist()]


def write_archive(
    folder: Path, *, within, days: int = DAYS, first: dt.date = FIRST_DAY, seed: int = SEED
) -> list[Path]:
    """``days`` daily files in ``folder``, centred on ``within`` (the theatre's land); their paths in date order."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = within.bounds
    centre = within.centroid.coords[0]
    radius = 0.15 * min(maxx - minx, maxy - miny)
    enclave_centre = (centre[0] + 1.75 * radius, centre[1])
    limit = 0.12 / HARMONICS  # the wobble stays within 0.41 of the radius: every ring keeps r > 0
    main_theta = np.linspace(0, 2 * np.pi, VERTICES - ENCLAVE_VERTICES, endpoint=False)
    small_theta = np.linspace(0, 2 * np.pi, ENCLAVE_VERTICES, endpoint=False)
    amp, phase = rng.uniform(-limit, limit), rng.uniform(0, 2 * np.pi, len(HARMONICS))
    small_amp = rng.uniform(-limit, limit) / 2
    rough = rng.normal(0, 0.004, len(main_theta))  # a hand-drawn line's jags, the same from day to day
    small_rough = rng.normal(0, 0.004, len(small_theta))
    paths = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        if i:  # the front moves a little: some harmonics grow (gains there), others shrink (losses)
            amp = np.clip(amp + rng.normal(0, 0.004, len(HARMONICS)) / HARMONICS, -limit, limit)
            small_amp = np.clip(small_amp + rng.normal(0, 0.002, len(HARMONICS)) / HARMONICS, -limit / 2, limit / 2)
        coordinates = [
            [_ring(centre, radius, main_theta, amp, phase, rough)],
            [_ring(enclave_centre, 0.12 * radius, small_theta, small_amp, phase, small_rough)],
        ]
        document = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": coordinates}}
            ],
        }
        path = folder / file_name(day)
        path.write_text(json.dumps(document))
        paths.append(path)
    return paths


def _rolled_back(fn):
    """``fn()``'s result and its wall time, inside a savepoint rolled back afterwards."""
    with transaction.atomic():
        start = time.perf_counter()
        try:
            result = fn()
        finally:
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
    return elapsed, result


def import_floor(paths: list[Path], *, theatre, faction) -> float:
    """The files read by pyogrio and the same rows bulk-inserted (no check, no audit), rolled back."""
    from events.drawn_models import DrawnArea

    def once():
        rows = []
        for path in paths:
            geometry = pyogrio.read_dataframe(path).geometry.iloc[0]
            rows.append(
                DrawnArea(
                    theatre=theatre,
                    faction=faction,
                    drawn_on=dt.datetime.strptime(path.stem, PATTERN).date(),
                    geometry=mapping(geometry),
                    area_km2=0.0,
                    state="published",
                )
            )
        DrawnArea.objects.bulk_create(rows, batch_size=100)

    return _rolled_back(once)[0]


def import_archive(paths: list[Path], *, theatre) -> tuple[float, str]:
    """The import as the README shows it (published, with its source): its wall time and its last line."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    call_command(
        "import_control_areas",
        *map(str, paths),
        theatre=theatre.slug,
        faction=FACTION,
        date_from_name=PATTERN,
        source_title="DeepStateMap (bench archive)",
        source_publisher="bench",
        source_url="https://example.org/bench-deepstate",
        commit=True,
        publish=True,
        stdout=out,
        stderr=err,
    )
    elapsed = time.perf_counter() - start
    return elapsed, out.getvalue().strip().splitlines()[-1]


def _drawn_geometry(theatre_id: int, faction_id: int, on: dt.date):
    """The floor's read of a drawing: the latest published assessed area on or before ``on``, as a shape."""
    from events.drawn_models import DrawnArea

    table = DrawnArea._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT geometry FROM {table} WHERE theatre_id = %s AND layer = 'assessed'
            AND state = 'published' AND faction_id = %s AND drawn_on <= %s ORDER BY drawn_on DESC, id DESC LIMIT 1""",
            [theatre_id, faction_id, on],
        )
        (text,) = cursor.fetchone()
    return shape(orjson.loads(text) if isinstance(text, str | bytes) else text)


def run(bench, *, days: int = DAYS) -> None:
    """The step ``drawn`` of ``bench.figures.Bench``: adds its figures to ``bench``; writes nothing that stays."""
    from bench.figures import _get, median, timed
    from events import territory
    from events.drawn_models import DrawnArea
    from events.models import ControlChange, Faction, Source
    from geodata.drawn_files import theatre_shape
    from geodata.models import Theatre
    from geodata.services.revision import revision_bump

    theatre = Theatre.objects.order_by("pk").first()
    faction = Faction.objects.get(slug=FACTION)
    counts = (DrawnArea.objects.count(), Source.objects.count(), ControlChange.objects.count())
    last = FIRST_DAY + dt.timedelta(days=days - 1)
    with tempfile.TemporaryDirectory(prefix="bench-drawn-") as folder:
        paths = write_archive(Path(folder), within=theatre_shape(theatre), days=days)
        size = sum(p.stat().st_size for p in paths) / len(paths)
        with transaction.atomic():
            try:
                floor = import_floor(paths, theatre=theatre, faction=faction)
                project, said = import_archive(paths, theatre=theatre)
                assert DrawnArea.objects.filter(state="published").count() == counts[0] + days, said
                bench.add(
                    f"drawn: import {days} daily files",
                    project,
                    floor,
                    note=f"{size / 1000:.0f} KB, {VERTICES:,} vertices each; floor: pyogrio read + bulk insert",
                )
                _layer(bench, theatre, faction, last, days, _get, median, territory)
                _change(bench, theatre, faction, last, _get, timed, revision_bump)
            finally:
                transaction.set_rollback(True)
    cache.clear()  # nothing of the rolled-back year stays cached; the cells filled again, as control_areas leaves them
    _get(bench.client, f"/api/control-areas.geojson?date={FIRST_DAY - dt.timedelta(days=30)}")
    after = (DrawnArea.objects.count(), Source.objects.count(), ControlChange.objects.count())
    assert after == counts, f"the drawn step left rows behind: {counts} -> {after}"


def _layer(bench, theatre, faction, last: dt.date, days: int, _get, median, territory) -> None:
    """/api/control-areas.geojson for new dates of the drawn year (cells cached), then cached, beside floors."""
    cache.clear()
    _get(bench.client, f"/api/control-areas.geojson?date={FIRST_DAY - dt.timedelta(days=30)}")  # fills the cells
    step = max(1, min(7, days // (bench.runs + 1)))
    dates = [last - dt.timedelta(days=step * k) for k in range(bench.runs)]
    queue = iter(dates)
    project, response = median(lambda: _get(bench.client, f"/api/control-areas.geojson?date={next(queue)}"), bench.runs)
    body = response.content
    assert b'"basis":"drawn"' in body.replace(b" ", b""), "the layer shows no drawn area"
    cells, town_sites = territory.cell_shapes()
    variant = floors.fastest_variant()
    dumps, _ = median(lambda: floors.dumps_same_bytes(body), bench.runs)
    queue = iter(dates)

    def floor_once():
        on = next(queue)
        return floors.dissolve(cells, town_sites, floors.time_slice(on, variant)), _drawn_geometry(
            theatre.pk, faction.pk, on
        )

    floor = median(floor_once, bench.runs)[0] + dumps
    bench.add(
        "drawn: control areas, new date",
        project,
        floor,
        note="a date of the drawn year, cells cached; floor: dissolve + the drawing read",
    )
    url = f"/api/control-areas.geojson?date={dates[0]}"
    warm, _ = median(lambda: _get(bench.client, url), bench.runs)
    bench.add("drawn: control areas, cached", warm, bench.round_trip(), note="floor: bare request")


def _change(bench, theatre, faction, last: dt.date, _get, timed, revision_bump) -> None:
    """/api/territory-change.json over the whole drawn year, and its drawn km² alone (``drawn_between``): each
    cold (the revision moved, as after an editor's write; rolled back), the request also warm."""
    from events import territory
    from geodata import spatial

    url = f"/api/territory-change.json?theatre={theatre.slug}&from={FIRST_DAY}&to={last}"

    def cold(fn) -> float:
        times = [_rolled_back(lambda: (revision_bump(theatres=[theatre.pk]), fn()))[0] for _ in range(bench.runs)]
        return sorted(times)[len(times) // 2]

    project = cold(lambda: _get(bench.client, url))
    response = _get(bench.client, url)
    data = orjson.loads(response.content)
    assert data.get("drawn"), "the year's diff has no drawn km²"
    assessed = next(layer for layer in data["drawn"]["layers"] if layer["layer"] == "assessed")
    row = next(r for r in assessed["factions"] if r["faction"] == FACTION)
    assert row["gained_km2"] > 0 and row["lost_km2"] > 0, row
    warm, _, _ = timed(lambda: _get(bench.client, url), bench.runs)
    dumps, _, _ = timed(lambda: floors.dumps_same_bytes(response.content), bench.runs)

    def floor_once():
        return (
            floors.control_areas(FIRST_DAY),
            floors.control_areas(last),
            _drawn_geometry(theatre.pk, faction.pk, FIRST_DAY),
            _drawn_geometry(theatre.pk, faction.pk, last),
        )

    floor = timed(floor_once, bench.runs)[0] + dumps
    bench.add(
        "drawn: territory change over the year",
        project,
        floor,
        note=f"{FIRST_DAY} to {last}, cold; warm {warm * 1000:.1f} ms; floor: both dates' areas + drawings",
    )

    def diff_once() -> float:
        """drawn_between as the request runs it: after territory_between in the same (new) revision."""
        with transaction.atomic():
            revision_bump(theatres=[theatre.pk])
            territory.territory_between(start=FIRST_DAY, end=last, theatre=theatre)
            start = time.perf_counter()
            territory.drawn_between(start=FIRST_DAY, end=last, theatre=theatre)
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
        return elapsed

    diffs = sorted(diff_once() for _ in range(bench.runs))
    diff = diffs[len(diffs) // 2]

    def bare_diff():
        old, new = _drawn_geometry(theatre.pk, faction.pk, FIRST_DAY), _drawn_geometry(theatre.pk, faction.pk, last)
        return spatial.area_km2(gpd.GeoSeries([old, new, new.difference(old), old.difference(new)], crs=spatial.WGS84))

    bench.add(
        "drawn: km² diff over the year (drawn_between)",
        diff,
        timed(bare_diff, bench.runs)[0],
        note=f"{FACTION} gained {row['gained_km2']:,.0f} km², lost {row['lost_km2']:,.0f}, split by side; "
        "cold, after the request's town-rule diff; floor: the two drawings read, diffed both ways, measured",
    )
