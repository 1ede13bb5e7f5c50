"""A test that lacks a tool or a file skips on a developer's machine and fails under CI; under CI any other
skip fails too, except a test declared for the other database (tests/conftest.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import requires_file, requires_tool, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
MISSING = "/usr/bin/chromium is not installed"


def _outcome(call) -> tuple[type, str]:
    """What ``call`` raised; caught here so a skip cannot pass for this test itself skipping."""
    try:
        call()
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        return type(exc), str(exc)
    raise AssertionError(f"{call} returned")


def test_a_missing_thing_skips_with_its_reason_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert _outcome(lambda: skip_or_fail(MISSING, what="the browser tests")) == (pytest.skip.Exception, MISSING)


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on", " True "])
def test_a_missing_thing_fails_under_ci(monkeypatch, value):
    # The same truthiness as conflictmap.settings.base.env_bool: CI=1 must not skip its way to green.
    monkeypatch.setenv("CI", value)
    kind, message = _outcome(lambda: skip_or_fail(MISSING, what="the browser tests"))
    assert kind is pytest.fail.Exception
    assert "the browser tests cannot run" in message and MISSING in message


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_ci_switched_off_still_skips(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    assert _outcome(lambda: skip_or_fail(MISSING))[0] is pytest.skip.Exception


def test_a_tool_or_file_present_is_returned(tmp_path):
    assert requires_tool(sys.executable, install="-") == sys.executable
    assert requires_file(tmp_path, provide="-") == tmp_path


def test_a_missing_tool_or_file_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    kind, message = _outcome(lambda: requires_tool("/nonexistent/pg_dump", install="apt-get install postgresql-client"))
    assert kind is pytest.fail.Exception
    assert "a test needing pg_dump cannot run" in message and "(apt-get install postgresql-client)" in message
    monkeypatch.delenv("CI")
    kind, message = _outcome(lambda: requires_file(tmp_path / "syr_admin1.geojson", provide="set OCHA_SYRIA_DIR"))
    assert kind is pytest.skip.Exception and message.endswith("syr_admin1.geojson is absent (set OCHA_SYRIA_DIR)")


CASES = '''
import pytest


def test_passes():
    pass


def test_skips_in_its_body():
    pytest.skip("a tool is missing")


@pytest.mark.skipif(True, reason="a condition of its own")
def test_skips_by_its_own_skipif():
    pass


@pytest.mark.{other}("a plan of the other database")
def test_for_the_other_database():
    pass


@pytest.mark.{this}("a plan of this database")
def test_for_this_database():
    pass
'''


def test_under_ci_every_skip_fails_but_the_other_databases(tmp_path):
    this, other = ("sqlite_only", "postgresql_only") if connection.vendor == "sqlite" else ("postgresql_only",
                                                                                          "sqlite_only")
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nmarkers =\n    {this}\n    {other}\n")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems, pytest_make_collect_report, "
        "pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_cases.py").write_text(CASES.format(this=this, other=other))
    (tmp_path / "test_whole_module.py").write_text("import pytest\n\npytest.importorskip('no_such_module_here')\n")
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "conflictmap.settings.test"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-rA",
               "--continue-on-collection-errors", str(tmp_path)]
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "1 failed, 2 passed, 1 skipped, 2 errors" in out, out  # a skip at setup fails as an error
    assert "FAILED test_cases.py::test_skips_in_its_body" in out and "a skip fails the run (a tool is missing)" in out
    assert "ERROR test_cases.py::test_skips_by_its_own_skipif" in out
    assert "ERROR test_whole_module.py" in out
    assert "PASSED test_cases.py::test_for_this_database" in out
    label = "PostgreSQL" if other == "postgresql_only" else "SQLite"
    assert re.search(rf"SKIPPED \[1\] test_cases.py:\d+: {label} only: a plan of the other database", out), out
