"""`python -m bench --quick` runs end to end: a line per figure, per reader route and per write, and totals
that add up; a reader route without a figure fails the bench.

No timed assertion: figures depend on the machine. The smoke run happens once per test session, even
under pytest-xdist: the first worker to ask runs it, the others read its report (a file lock in the
session's shared temporary directory); the module is also one xdist group, for ``--dist loadgroup``.
"""

import fcntl
import json
import os
import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import path

import conflictmap.urls
from bench.__main__ import TARGETS, route_gate
from bench.route_figures import SPECS, VARIANTS
from bench.routes import reader_routes, route_check, routes
from tests.bench_process import run_bench

pytestmark = pytest.mark.xdist_group("bench")

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ["time slice", "/api/control.geojson", "a 304", "/api/provinces.geojson", "map page /?date= (server time)",
           "control areas, new date", "control areas, cached", "admin change list", "admin review queue",
           "CSV import, ", "release ("]
WRITES = [f"write: {verb} ({where})" for where in ("API", "admin")
          for verb in ("create", "edit", "publish", "reject", "retract")]

# This module is also a URL configuration: the site's routes plus a page nobody gave a figure.
urlpatterns = [*conflictmap.urls.urlpatterns, path("news/", lambda request: HttpResponse("news"), name="news")]


def _smoke_run(cache_dir: Path) -> dict:
    done = run_bench("--quick", "--cache-dir", str(cache_dir))
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


@pytest.fixture(scope="session")
def bench_run(tmp_path_factory) -> dict:
    """The smoke run's exit code and output, produced once for the whole session (all xdist workers)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _smoke_run(tmp_path_factory.mktemp("bench"))
    shared = tmp_path_factory.getbasetemp().parent  # one directory per session, shared by its workers
    result = shared / "bench-quick.json"
    with open(shared / "bench-quick.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            cache = shared / "bench-cache"
            cache.mkdir(exist_ok=True)
            result.write_text(json.dumps(_smoke_run(cache)))
    return json.loads(result.read_text())


@pytest.fixture(scope="session")
def report(bench_run) -> list[str]:
    assert bench_run["returncode"] == 0, bench_run["stdout"][-2000:] + bench_run["stderr"][-3000:]
    assert "Traceback" not in bench_run["stderr"], bench_run["stderr"][-3000:]
    return bench_run["stdout"].splitlines()


def _line(report: list[str], start: str) -> str:
    line = next((line for line in report if line.startswith(start)), None)
    assert line is not None, f"no line for {start!r}"
    return line


def test_the_header_says_what_the_ratio_means(report):
    assert any("1.0 is the floor" in line for line in report)
    assert any(line.startswith("conflictmap bench: 50 towns x 1,000 changes on sqlite") for line in report)


@pytest.mark.parametrize("name", FIGURES)
def test_each_timed_figure_has_a_project_floor_ratio(report, name):
    line = _line(report, name)
    assert re.search(r"\s\d+\.\d\d\s+<=", line), line  # project/floor, then the target


def test_sizes_and_memory_are_reported_against_their_targets(report):
    for name in ("map page /?date= (bytes)", "CSV import peak memory", "worker peak memory"):
        line = _line(report, name)
        assert re.search(r"<= \d+ (KB|MiB)\s+(yes|NO)", line), line


def test_a_release_is_reported_against_the_size_of_the_data(report):
    assert re.search(r"<= the database\s+(yes|NO)", _line(report, "release size (% of the database)"))


def test_every_reader_route_of_the_url_configuration_has_a_line(report):
    keys = [r.key for r in reader_routes()]
    assert {"factions", "what-changed", "area-detail", "town-detail", "town-panel", "map-download",
            "api:changes-csv", "api:territory-change", "api:town-list", "api:controlchange-detail"} <= set(keys)
    for key in [*keys, *VARIANTS]:  # and the extra figures of routes (as published, the feed's filters)
        line = _line(report, key + " ")
        # cold, warm, floor, two ratios, bytes, the target and a verdict
        assert re.search(r"(ms|s)\s+.*\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d KB\s+<= .*\s(yes|NO)", line), line


def test_the_factions_figure_is_what_make_serve_answers_after_a_write_and_names_the_jobs_time(report):
    line = _line(report, "factions ")
    assert "as `make serve` has it" in line
    assert re.search(r"the job's computing: factions figures of all: \d+\.\d s", line), line


def test_the_worker_serves_every_reader_route_within_its_timeout(report):
    line = _line(report, "worker peak memory")
    assert f"{len(reader_routes())} reader routes served" in line
    assert "not 200" not in line, line


def test_every_write_has_a_timed_line(report):
    for name in WRITES:
        assert re.search(r"\d+\.\d (ms|s)\s+<= 100 ms\s+(yes|NO)", _line(report, name)), name


def test_the_targets_line_adds_up_every_verdict(report):
    met, total = map(int, re.fullmatch(r"targets met: (\d+)/(\d+)", report[-1]).groups())
    assert total == len(TARGETS) + len(reader_routes()) + len(VARIANTS) + len(WRITES)
    verdicts = [line for line in report if re.search(r"\s(yes|NO)(\s|$)", line)]
    assert len(verdicts) == total
    assert met == sum(bool(re.search(r"\syes(\s|$)", line)) for line in verdicts)


def test_a_reader_route_without_a_figure_fails_the_bench(capsys):
    assert route_check(set(SPECS)) == []
    assert set(SPECS) <= {r.key for r in reader_routes()}  # no figure for a route that is gone
    assert {route for route, _ in VARIANTS.values()} <= set(SPECS)  # a variant is a figure of a figured route
    problems = route_check(set(SPECS), urlconf=__name__)
    assert problems == ["route without a figure: news (news/): add it to bench/route_figures.py"]
    with pytest.raises(SystemExit) as exit_:
        route_gate(urlconf=__name__)
    assert exit_.value.code == 1
    assert "route without a figure: news (news/)" in capsys.readouterr().out


def test_routes_that_readers_do_not_read_are_named_with_a_reason():
    others = {r.key: r.why_not for r in routes() if not r.reader}
    for key in ("api:token", "api:schema", "api:docs", "api:controlchange-publish", "admin:index"):
        assert others.get(key), key
    assert any("404" in why for why in others.values())
    assert not set(others) & set(SPECS)  # a figure for a route the bench does not read would never run
