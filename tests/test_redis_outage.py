"""Redis down is a cache miss: maps, pages, tokens and writes come from the database, never a 500,
the outage is logged once, and the rate limits keep counting (in the fallback store).

Both ways Redis fails: a REDIS_URL where nothing listens, and a real redis-server killed mid-run.
"""

import logging
import socket
import subprocess
import time

import pytest
from django.contrib.auth.models import User

from conflictmap import cache_backends, throttles
from events.models import ControlChange, Source
from tests.conftest import requires_tool
from tests.events.roles import user_in

BACKEND = "conflictmap.cache_backends.ResilientRedisCache"
FROZEN = 1_800_000_030.0  # mid-minute: the requests never straddle two windows
PASSWORD = "not-used-in-tests"
READS = [
    "/api/control.geojson?date=2017-09-03",
    "/api/provinces.geojson?date=2017-09-02",
    "/api/control-areas.geojson?date=2017-09-01",
    "/api/change-dates.json",
    "/api/towns/",
    "/api/territory-change.json?from=2017-09-01&to=2017-09-03",
    "/",
    "/towns/raqqa/",
    "/areas/raqqa/",
    "/factions/",
    "/changes/",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def use_redis(settings, url: str) -> None:
    redis = {
        "BACKEND": BACKEND,
        "LOCATION": url,
        "KEY_PREFIX": "t",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    settings.CACHES = {
        "default": redis,
        "throttle": redis,
        "throttle-fallback": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "outage-fallback",
        },
    }


@pytest.fixture(autouse=True)
def _no_outage_known(monkeypatch):
    monkeypatch.setattr(cache_backends, "_outages", {})


def outage_logs(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "conflictmap.cache_backends"]


def everything_answers(client, api) -> None:
    """Every kind of request the issue names answers as it would with a cold cache."""
    for url in READS:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    token = api.post("/api/auth/token/", {"username": "writer", "password": PASSWORD}, format="json")
    assert token.status_code == 200, token.content
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    day = f"2017-10-{ControlChange.objects.count() % 28 + 1:02d}"
    written = api.post(
        "/api/control-changes/",
        {
            "town": "uqayribat",
            "faction": "sdf",
            "effective_date": day,
            "confidence": "claimed",
            "sources": [Source.objects.first().pk],
        },
        format="json",
    )
    assert written.status_code == 201, written.content
    assert client.get("/admin/login/").status_code == 200


@pytest.fixture
def writer(seeded):
    user = user_in("editor", "writer")
    user.set_password(PASSWORD)
    user.save()
    return User.objects.get(pk=user.pk)


def test_a_redis_url_where_nothing_listens_is_a_cold_cache(client, settings, caplog, writer):
    from rest_framework.test import APIClient

    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")
    caplog.set_level(logging.WARNING, logger="conflictmap.cache_backends")
    everything_answers(client, APIClient())
    everything_answers(client, APIClient())
    logged = outage_logs(caplog)
    assert len(logged) == 1 and "Redis cache unavailable" in logged[0]


def test_sign_in_limits_hold_while_redis_is_down(client, settings, monkeypatch, writer):
    from rest_framework.test import APIClient

    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(throttles, "now", lambda: FROZEN)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/min"}
    api = APIClient()
    codes = [
        api.post("/api/auth/token/", {"username": "writer", "password": "wrong"}, format="json").status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free port: (its URL, a function that kills it, one that starts it again)."""
    binary = requires_tool("redis-server", install="apt-get install redis-server; .ci/run installs it")
    port = free_port()
    servers = []

    def start():
        servers.append(
            subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp_path),
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill():
        servers[-1].kill()
        servers[-1].wait(10)

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", kill, start
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(10)


def test_a_redis_server_killed_mid_run_is_a_cold_cache_then_used_again(
    client, settings, caplog, monkeypatch, writer, redis_server
):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    url, kill, start = redis_server
    use_redis(settings, url)
    monkeypatch.setattr(cache_backends, "RETRY_SECONDS", 0.0)  # ask Redis again on every call
    caplog.set_level(logging.WARNING, logger="conflictmap.cache_backends")
    everything_answers(client, APIClient())  # Redis up: the cache fills
    assert cache.get("slice-dates:token") is not None and outage_logs(caplog) == []
    kill()
    everything_answers(client, APIClient())
    everything_answers(client, APIClient())
    assert len(outage_logs(caplog)) == 1
    start()
    everything_answers(client, APIClient())
    assert cache.get("slice-dates:token") is not None  # in use again
    logged = outage_logs(caplog)
    assert len(logged) == 2 and "answering again" in logged[1]


def test_a_dead_redis_url_in_the_environment_is_a_miss_and_limits_count_in_files(tmp_path):
    """The settings' own path: REDIS_URL from the environment, as `make serve` reads it."""
    import os
    import sys

    from django.conf import settings

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'conflictmap.settings.base'; django.setup();"
        "from django.core.cache import cache; from conflictmap import throttles;"
        "cache.set('k', 1); print(cache.get('k', 'miss'), cache.add('mark', 1));"
        "print(*[throttles.hit('throttle_login_x', window=3600)[0] for _ in range(3)])"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SECRET_KEY": "x",
        "CACHE_DIR": str(tmp_path),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["miss True", "1 2 3"]
    assert done.stderr.count("Redis cache unavailable") == 1
    assert (tmp_path / "throttle").is_dir()  # the counts went to the shared files
