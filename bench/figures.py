"""Each figure: the project's way (through Django's test Client where a user would ask over HTTP,
so middleware counts) beside its floor, both medians of the same number of runs in the same process."""

import datetime as dt
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.test import Client

from bench import floors
from bench.progress import progress
from events import selectors
from events.models import ControlChange

MB = 1024 * 1024


@dataclass
class Figure:
    name: str
    project: float  # seconds (or bytes / MiB for sizes, see unit)
    floor: float | None
    unit: str = "s"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.project / self.floor if self.floor else None


def timed(fn: Callable, runs: int, before: Callable | None = None,
          budget: float | None = None) -> tuple[float, int, object]:
    """Median wall time of up to ``runs`` calls (``before`` runs untimed ahead of each; fewer once
    ``budget`` seconds are spent, at least one), how many ran, and the last result."""
    times: list[float] = []
    result = None
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if budget is not None and sum(times) > budget:
            break
    return statistics.median(times), len(times), result


def median(fn: Callable, runs: int, before: Callable | None = None) -> tuple[float, object]:
    """Median wall time of ``runs`` calls (``before`` runs untimed ahead of each), and the last result."""
    value, _, result = timed(fn, runs, before)
    return value, result


def _get(client: Client, url: str, status: int = 200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    return response


def _best_floor(fn_by_variant: Callable[[str], Callable], runs: int) -> float:
    return min(median(fn_by_variant(v), runs)[0] for v in floors.slice_variants())


class Bench:
    def __init__(self, *, on: dt.date, runs: int, reviewer):
        self.on, self.runs, self.reviewer = on, runs, reviewer
        self.route_runs = runs
        self.log_routes = False
        self.client = Client()
        self.admin_client = Client()
        self.admin_client.force_login(reviewer)
        self.figures: list[Figure] = []
        self.drawn_days = 365  # the drawn step's daily files (bench.drawn)
        self.extra: dict[str, object] = {}

    def add(self, *args, **kwargs) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure

    def round_trip(self) -> float:
        """A request through every middleware that reads nothing: the floor of a 304 and of the page."""
        return median(lambda: _get(self.client, "/api/bench-floor-not-a-page", 404), self.runs)[0]

    def run_all(self, only: list[str] | None = None) -> list[Figure]:
        """Every figure (or the steps named in ``only``), in order."""
        steps = [self.time_slice, self.control_layer, self.not_modified, self.provinces, self.map_page,
                 self.control_areas, self.admin_lists, self.drawn, self.release]
        if only is not None:
            steps = [s for s in steps if s.__name__ in only or (s == self.not_modified and "control_layer" in only)]
        for step in progress(steps, desc="figures"):
            step()
        return self.figures

    def params(self):
        """The routes' real objects (the town with most changes...), picked once."""
        from bench.route_figures import Params

        if "params" not in self.extra:
            if "release" not in self.extra:  # the release routes serve one (--only routes: made untimed)
                self.extra["release"] = bench_release(self.on)
            self.extra["params"] = Params.pick(self.on)
        return self.extra["params"]

    def routes(self, only: list[str] | None = None) -> list:
        """A figure per reader route of the URL configuration (``bench.route_figures``)."""
        from bench.route_figures import FIGURES, figure_keys, route_figure
        from bench.routes import reader_routes

        params = self.params()
        keys = figure_keys([r.key for r in reader_routes()], only)
        out = []
        for key in progress(keys, desc="reader routes"):
            out.append(route_figure(key=key, spec=FIGURES[key], params=params, client=self.client,
                                    reviewer=self.reviewer, runs=self.route_runs, round_trip=self.round_trip))
            if self.log_routes:  # a long run keeps its figures even if a later step fails
                f = out[-1]
                print(f"route {key}: cold {f.cold} warm {f.warm} floor {f.floor} bytes {f.bytes} runs {f.runs} "
                      f"{f.problems}", file=sys.stderr, flush=True)
        return out

    def writes(self) -> list[tuple[str, float, int]]:
        """Create, edit, publish, reject, retract through the API and the admin (``bench.writes``)."""
        from bench.writes import write_figures

        return write_figures(params=self.params(), client=self.admin_client, reviewer=self.reviewer,
                             runs=self.route_runs)

    def time_slice(self) -> None:
        # Cleared first: a slice this worker kept (selectors.nearby) would be no read at all.
        project, snapshot = median(lambda: selectors.control_as_of(on=self.on), self.runs, before=cache.clear)
        rows = floors.time_slice(self.on, floors.slice_variants()[0])
        assert len(rows) == len(snapshot.towns)
        assert {r[9] for r in rows if r[9]} == {c.id for c in snapshot.changes.values()}, "slice differs from floor"
        floor = _best_floor(lambda v: lambda: floors.time_slice(self.on, v), self.runs)
        self.add("time slice (control_as_of)", project, floor)

    def control_layer(self) -> None:
        url = f"/api/control.geojson?date={self.on}"
        project, response = median(lambda: _get(self.client, url), self.runs, before=cache.clear)
        body = response.content
        self.etag = response.get("ETag")
        self.control_url = url
        dumps, _ = median(lambda: floors.dumps_same_bytes(body), self.runs)
        floor = _best_floor(lambda v: lambda: floors.control_layer(self.on, v), self.runs) + dumps
        self.add(f"/api/control.geojson ({len(body) / MB:.1f} MiB)", project, floor,
                 note=f"{len(gzip.compress(body)) / MB:.2f} MiB gzipped")
        self.extra["control_bytes"] = len(body)

    def not_modified(self) -> None:
        assert self.etag, "the control layer sent no ETag"
        project, _ = median(lambda: _get(self.client, self.control_url, 304, HTTP_IF_NONE_MATCH=self.etag), self.runs)
        self.add("a 304 (If-None-Match) for that URL", project, self.round_trip(), note="floor: bare request")

    def provinces(self) -> None:
        url = f"/api/provinces.geojson?date={self.on}"
        project, response = median(lambda: _get(self.client, url), self.runs, before=cache.clear)
        body = response.content
        dumps, _ = median(lambda: floors.dumps_same_bytes(body), self.runs)
        floor = median(lambda: floors.provinces(self.on), self.runs)[0] + dumps
        self.add("/api/provinces.geojson", project, floor)

    def map_page(self) -> None:
        url = f"/?date={self.on}"
        project, response = median(lambda: _get(self.client, url), self.runs, before=cache.clear)
        floor = self.round_trip()
        self.add("map page /?date= (server time)", project, floor, note="floor: bare request; caches cleared")
        warm, _ = median(lambda: _get(self.client, url), self.runs)
        self.add("map page /?date=, warm (same revision)", warm, floor, note="no target; caches kept")
        self.add("map page /?date= (bytes)", len(response.content), None, unit="B")

    def control_areas(self) -> None:
        from events import territory

        cache.clear()
        _get(self.client, "/api/control-areas.geojson?date=2013-01-01")  # fills the cells cache
        dates = iter(self.on - dt.timedelta(days=7 * k) for k in range(1, 1000))
        project, response = median(lambda: _get(self.client, f"/api/control-areas.geojson?date={next(dates)}"),
                                   self.runs)
        body = response.content
        cells, town_sites = territory.cell_shapes()  # the cached cells: the floor starts from the same cache
        dumps, _ = median(lambda: floors.dumps_same_bytes(body), self.runs)
        variant = floors.fastest_variant()

        def floor_once():
            return floors.dissolve(cells, town_sites, floors.time_slice(self.on, variant))

        floor = median(floor_once, self.runs)[0] + dumps
        self.add("control areas, new date (cells cached)", project, floor)
        url = f"/api/control-areas.geojson?date={self.on}"
        _get(self.client, url)
        project, _ = median(lambda: _get(self.client, url), self.runs)
        self.add("control areas, cached", project, self.round_trip(), note="floor: bare request")

    def drawn(self) -> None:
        """A year of DeepStateMap-sized daily files imported, shown and diffed, rolled back (``bench.drawn``)."""
        from bench import drawn

        drawn.run(self, days=self.drawn_days)

    def release(self) -> None:
        """``manage.py release`` at full size, once (minutes at a million changes); its size beside the data's."""
        start = time.perf_counter()
        made = bench_release(self.on)
        project = time.perf_counter() - start
        floor, _ = median(lambda: floors.release(self.on), 1)
        self.extra["release"] = made
        self.add(f"release ({made.counts['changes']:,} changes, 4 files)", project, floor,
                 note="floor: the rows read in batches, CSV gzipped, the three layers' rows; one run")
        data = _database_bytes()
        size = sum(made.sizes.values())
        self.add("release size (% of the database)", 100 * size / data, None, unit="%",
                 note=f"{size / MB:.1f} MiB of files, {data / MB:.0f} MiB of database; the CSV gzipped")

    def admin_lists(self) -> None:
        for name, url, floor_fn in (
            ("admin change list", "/admin/events/controlchange/", floors.admin_change_list),
            ("admin review queue", "/admin/events/controlchangeforreview/", floors.review_queue),
        ):
            project, _ = median(lambda url=url: _get(self.admin_client, url), self.runs)
            floor, _ = median(floor_fn, self.runs)
            self.add(f"{name} (reviewer, first page)", project, floor)
        # The stale-towns list reads the whole slice and its last confirmations: held to its floor, as the layers.
        url = f"/admin/events/confirmation/stale/?date={self.on}"
        project, _ = median(lambda: _get(self.admin_client, url), self.runs)
        floor, _ = median(lambda: floors.stale_towns(self.on), self.runs)
        self.add("admin stale towns (reviewer, first page)", project, floor + self.round_trip(),
                 note="floor: the slice, the last confirmations, the areas, a bare request")


def bench_release(on: dt.date, theatre=None):
    """Release 1 of the bench's theatre (or ``theatre``), made afresh (the bench's own releases and their files
    are removed first, so a rebuilt country never meets an older run's files). The files go to the bench's own
    RELEASES_DIR (set by bench.__main__ per size and database; never the installation's var/releases)."""
    import shutil

    from events.release_models import Release
    from events.services.releases import release_create, releases_dir
    from geodata.models import Theatre

    Release.objects.all().delete()
    shutil.rmtree(releases_dir(), ignore_errors=True)
    return release_create(theatre=theatre or Theatre.objects.order_by("pk").first(), on=on)


def _database_bytes() -> int:
    if connection.vendor == "sqlite":
        import os

        return os.path.getsize(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def pick_date() -> dt.date:
    """Three quarters through the log: a date a reader slides to, with most towns recorded."""
    first = ControlChange.objects.order_by("effective_date").values_list("effective_date", flat=True).first()
    last = ControlChange.objects.order_by("-effective_date").values_list("effective_date", flat=True).first()
    return first + (last - first) * 3 // 4


def explain(on: dt.date) -> str:
    """The plans of the project's own slice query (as control_as_of sends it) and of the floor's forms."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        selectors.control_as_of(on=on)
    slice_sql = max((q["sql"] for q in queries.captured_queries), key=len)  # the slice, not the factions
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + slice_sql)
        rows = cursor.fetchall()
    plan = "\n".join(f"{r[0]:>3} {r[1]:>3} {r[3]}" if connection.vendor == "sqlite" else r[0] for r in rows)
    parts = [f"-- {connection.vendor}, control_as_of's own query:\n{slice_sql}\n\n{plan}"]
    parts += [f"-- {connection.vendor}, floor, {v}:\n{floors.explain_slice(on, v)}" for v in floors.slice_variants()]
    return "\n\n".join(parts)
