"""make serve's header timeout is read from the environment as a number of seconds, or refused by name."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

READ = "from conflictmap import serving; print(serving.HEADER_TIMEOUT)"


def header_timeout(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_HEADER_TIMEOUT"}
    if value is not None:
        env["GUNICORN_HEADER_TIMEOUT"] = value
    return subprocess.run(
        [sys.executable, "-c", READ], env=env, capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR
    )


@pytest.mark.parametrize(("value", "seconds"), [(None, "20.0"), ("", "20.0"), ("2.5", "2.5")])
def test_a_header_timeout_is_read(value, seconds):
    done = header_timeout(value)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == seconds


# 'nan' passed float() and made every deadline compare false: a half-sent request was never disconnected.
@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5", "twenty"])
def test_a_header_timeout_that_is_not_seconds_is_refused_by_name(value):
    done = header_timeout(value)
    assert done.returncode != 0
    assert f"GUNICORN_HEADER_TIMEOUT: '{value}' is not a number of seconds above 0" in done.stderr
