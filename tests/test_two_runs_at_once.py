"""Two `make run` at once: the second waits for the first's migration and seed load, and both succeed.

Runs the Makefile's own `seed` target (migrate + load_seed, what `make run` does before serving)
twice at the same time against one new SQLite file.
"""

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import requires_file, requires_tool

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def make():
    requires_tool("flock", install="apt-get install util-linux")
    requires_file(ROOT / ".venv" / ".installed", provide="make install")
    return requires_tool("make", install="apt-get install make")


def test_two_seed_loads_at_once_both_succeed_and_load_once(make, tmp_path):
    database = tmp_path / "two.sqlite3"
    env = {**{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY"}},
           "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "1", "SECRET_KEY_FILE": str(tmp_path / "key")}
    runs = [subprocess.Popen([make, "-s", "seed"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert "database is locked" not in "".join(outputs) and "already exists" not in "".join(outputs)
    assert sum("already loaded, nothing changed" in out for out in outputs) == 1
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM events_controlchange").fetchone()[0] == 53
