"""After PostgreSQL restarts, no request fails: every worker thread checks its kept connection and
reconnects before answering. During the outage each worker logs one line when the database goes and
one when it is back, not a traceback per request. Against a real gunicorn started as `make serve`
starts it, on a private PostgreSQL 15 cluster the test stops and starts."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.ops.served import ROOT, get, served, server_env
from tests.test_database_restart import postgres  # noqa: F401 - the private cluster fixture

pytestmark = pytest.mark.serve


def burst(base: str, n: int = 12) -> list[int]:
    """``n`` requests at once, so that every worker thread serves some."""
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: get(f"{base}/api/factions", timeout=20)[0], range(n)))


def test_no_request_fails_after_postgresql_restarts_and_each_worker_logs_one_line(postgres, tmp_path):  # noqa: F811
    env = server_env(tmp_path, postgres.url)
    migrate = subprocess.Popen([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env)
    # The workers boot meanwhile; a path that reads no table says when they are up.
    with served(tmp_path, database_url=postgres.url, workers=2, threads=2, ready=("/api/nothing", 404)) as (
        base,
        log,
    ):
        assert migrate.wait(300) == 0
        for _ in range(2):
            assert burst(base) == [200] * 12  # every thread holds a connection now

        postgres.stop()
        down = burst(base, 6)
        assert set(down) == {503}, down
        status, body = get(f"{base}/factions/")
        assert status == 503 and "try again" in body

        postgres.start()
        after = [status for _ in range(2) for status in burst(base)]
        assert after == [200] * 24, after

        # A restart no request saw: every thread's kept connection is dead, and none may fail a request.
        postgres.stop()
        postgres.start()
        after = [status for _ in range(2) for status in burst(base)]
        assert after == [200] * 24, after

    text = log.read_text()
    assert "Traceback" not in text
    went = re.findall(r"Database unavailable in worker (\d+)", text)
    back = re.findall(r"Database reachable again in worker (\d+)", text)
    assert went and len(went) == len(set(went)) <= 2, went  # one line per worker, however many requests failed
    assert sorted(back) == sorted(went), (went, back)
