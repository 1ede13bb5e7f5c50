"""`python -m bench --quick` runs end to end and prints a ratio per figure and the targets line.

No timed assertion: figures depend on the machine; the shape of the report is what the suite checks.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ["time slice", "/api/control.geojson", "a 304", "/api/provinces.geojson", "map page /?date= (server time)",
           "control areas, new date", "control areas, cached", "admin change list", "admin review queue",
           "CSV import, "]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--cache-dir", str(tmp_path_factory.mktemp("bench"))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.strip() == "" or "Traceback" not in done.stderr
    return done.stdout.splitlines()


def test_the_header_says_what_the_ratio_means(report):
    assert any("1.0 is the floor" in line for line in report)
    assert any(line.startswith("conflictmap bench: 50 towns x 1,000 changes on sqlite") for line in report)


@pytest.mark.parametrize("name", FIGURES)
def test_each_timed_figure_has_a_project_floor_ratio(report, name):
    line = next((line for line in report if line.startswith(name)), None)
    assert line is not None, f"no line for {name!r}"
    assert re.search(r"\s\d+\.\d\d\s+<=", line), line  # project/floor, then the target


def test_sizes_and_memory_are_reported_against_their_targets(report):
    for name in ("map page /?date= (bytes)", "CSV import peak memory", "worker peak memory"):
        line = next(line for line in report if line.startswith(name))
        assert re.search(r"<= \d+ (KB|MiB)\s+(yes|NO)", line), line


def test_the_last_line_counts_the_targets_met(report):
    assert re.fullmatch(r"targets met: \d+/13", report[-1])
