"""Against a real gunicorn with several workers, as `make serve` runs it: the sign-in limit is one count
across every worker whatever X-Forwarded-For says, and a Redis killed mid-service is a cache miss."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import test_redis_outage
from tests.test_redis_outage import free_port

ROOT = Path(__file__).resolve().parent.parent
redis_server = test_redis_outage.redis_server  # the fixture: a real redis-server the test can kill
WORKERS = 3


def request(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    """`make serve`'s environment on a migrated throwaway SQLite database, without REDIS_URL."""
    work = tmp_path_factory.mktemp("served")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DATABASE_URL"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="served-test",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        MAP_TILES="none",
        DATABASE_URL=f"sqlite:///{work}/db.sqlite3",
        CACHE_DIR=str(work / "cache"),
        RATE_LIMIT_LOGIN="10/hour",
    )  # an hour: the 50 guesses never straddle two windows in practice
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    return env


class Served:
    def __init__(self, env: dict):
        self.port = free_port()
        self.log = Path(env["CACHE_DIR"]).parent / f"gunicorn-{self.port}.log"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "conflictmap.wsgi",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                if request(f"{self.base}/api/factions")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def test_fifty_guesses_with_fifty_forwarded_addresses_across_workers(production_env):
    served = Served(production_env)
    try:

        def guess(n: int) -> int:
            return request(
                f"{served.base}/api/auth/token/",
                {"username": "nobody", "password": f"guess{n}"},
                {"X-Forwarded-For": f"198.51.100.{n}"},
            )[0]

        with ThreadPoolExecutor(8) as pool:  # at once, so every worker takes some
            codes = list(pool.map(guess, range(50)))
        assert sorted(codes) == [400] * 10 + [429] * 40, codes
    finally:
        served.stop()


def test_a_redis_killed_under_a_served_app_is_a_cache_miss(production_env, redis_server):
    url, kill, _ = redis_server
    served = Served({**production_env, "REDIS_URL": url, "RATE_LIMIT_LOGIN": "1000/min"})
    try:
        urls = [  # the API only: the pages need collectstatic's manifest, and are covered in test_redis_outage
            "/api/control.geojson",
            "/api/provinces.geojson",
            "/api/control-areas.geojson",
            "/api/change-dates.json",
            "/api/control-changes/",
            "/api/towns/",
            "/api/territory-change.json?from=2017-01-01&to=2017-09-01",
        ]
        assert {u: request(served.base + u)[0] for u in urls} == dict.fromkeys(urls, 200)
        kill()
        for _ in range(2):
            assert {u: request(served.base + u)[0] for u in urls} == dict.fromkeys(urls, 200)
            assert request(f"{served.base}/api/auth/token/", {"username": "nobody", "password": "x"})[0] == 400
    finally:
        served.stop()
    log = served.log.read_text()
    assert "Traceback" not in log
    assert 1 <= log.count("Redis cache unavailable") <= WORKERS  # once per worker that met the outage
