"""The bench's drawn step (bench/drawn.py): a DeepStateMap-like archive, imported, shown and diffed at the
bench's --quick size, then rolled back. No timed assertion: figures depend on the machine."""

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from bench.__main__ import QUICK, TARGETS
from bench.drawn import FIRST_DAY, VERTICES, file_name, write_archive
from tests.bench_process import run_bench

pytestmark = pytest.mark.xdist_group("bench")

ROOT = Path(__file__).resolve().parent.parent
SYRIA_LIKE = shapely.box(35.7, 32.3, 42.4, 37.3)


def _geometry(path: Path):
    document = json.loads(path.read_text())
    assert document["type"] == "FeatureCollection" and len(document["features"]) == 1
    feature = document["features"][0]
    assert feature["properties"] == {}  # as DeepState's archives: no properties at all
    return shape(feature["geometry"])


def test_the_archive_is_a_year_of_deepstate_sized_daily_files_with_a_moving_front(tmp_path):
    paths = write_archive(tmp_path, within=SYRIA_LIKE, days=4)
    assert [p.name for p in paths] == [file_name(FIRST_DAY + dt.timedelta(days=i)) for i in range(4)]
    assert paths[0].name == "deepstatemap_data_20250101.geojson"
    shapes = [_geometry(p) for p in paths]
    for path, geometry in zip(paths, shapes, strict=True):
        assert 70_000 <= path.stat().st_size <= 90_000
        assert geometry.geom_type == "MultiPolygon" and geometry.is_valid
        assert abs(shapely.get_num_coordinates(geometry) - VERTICES) <= 2  # each ring is closed
        assert SYRIA_LIKE.contains(geometry)
    for before, after in zip(shapes, shapes[1:], strict=False):  # each day gains land and loses some
        assert after.difference(before).area > 0 and before.difference(after).area > 0
    (tmp_path / "again").mkdir()
    again = write_archive(tmp_path / "again", within=SYRIA_LIKE, days=2)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths[:2]]  # seeded


def test_the_drawn_step_runs_alone_and_leaves_no_drawn_area(tmp_path):
    done = run_bench("--quick", "--only", "drawn", "--cache-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = done.stdout.splitlines()
    drawn = [t for t in TARGETS if t[0].startswith("drawn: ")]
    assert len(drawn) == 5
    for name, _, _, label in drawn:
        line = next((line for line in report if line.startswith(name)), None)
        assert line is not None, f"no line for {name!r}"
        assert re.search(rf"{re.escape(label)}\s+(yes|NO)", line), line
    assert any(line.startswith(f"drawn: import {QUICK['drawn_files']} daily files") for line in report)
    assert re.fullmatch(r"targets met: \d+/5", report[-1]), report[-1]
    (country,) = tmp_path.glob("country-*.sqlite3")
    with sqlite3.connect(country) as db:
        assert db.execute("SELECT COUNT(*) FROM events_drawnarea").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM events_historicaldrawnarea").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM events_source WHERE publisher = 'bench'").fetchone() == (0,)
