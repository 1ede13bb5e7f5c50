"""Sign-in, token and write requests are rate limited with a clear 429; reads are not.

A client is its address: X-Forwarded-For counts only when the request comes from a proxy the
operator trusts (TRUSTED_PROXIES), and the counts are shared by every worker process.
"""

import os
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.test import RequestFactory
from rest_framework.test import APIClient

from conflictmap import throttles
from conflictmap.request_checks import client_address

# Mid-window (a minute starts at every multiple of 60 s): a test's requests never straddle two windows.
FROZEN = 1_800_000_030.0


@pytest.fixture
def limits(settings, monkeypatch):
    cache.clear()
    monkeypatch.setattr(throttles, "now", lambda: FROZEN)
    settings.RATE_LIMITS = {"login": "3/min", "write": "2/min", "build": "2/min"}
    yield settings.RATE_LIMITS
    cache.clear()


def test_token_requests_are_limited_per_address(db, limits):
    client = APIClient()
    answers = [
        client.post("/api/auth/token/", {"username": "nobody", "password": "wrong"}, format="json") for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert "throttled" in answers[-1].json()["detail"]
    assert int(answers[-1]["Retry-After"]) == 30  # the rest of the minute


def test_admin_sign_in_is_limited_per_address(client, db, limits):
    codes = [client.post("/admin/login/", {"username": "nobody", "password": "wrong"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = client.post("/admin/login/", {"username": "<b>x</b>", "password": "wrong"})
    assert "Too many sign-in attempts" in last.content.decode()
    assert client.get("/admin/login/").status_code == 200  # the form itself still shows


def test_writes_are_limited_per_user_and_reads_are_not(db, limits, editor):
    client = APIClient()
    client.force_authenticate(editor)
    writes = [client.post("/api/control-changes", {}, format="json").status_code for _ in range(3)]
    assert writes == [400, 400, 429]
    assert all(client.get("/api/factions").status_code == 200 for _ in range(5))


def forwarded(n: int) -> str:
    return f"198.51.100.{n}"


def test_a_new_forwarded_address_on_each_guess_is_still_one_client(db, limits, settings):
    settings.RATE_LIMITS = {**limits, "login": "10/min"}
    api, admin = APIClient(), APIClient()
    tokens = [
        api.post(
            "/api/auth/token/",
            {"username": "nobody", "password": f"guess{n}"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded(n),
        ).status_code
        for n in range(50)
    ]
    assert Counter(tokens) == {400: 10, 429: 40} and tokens[:10] == [400] * 10
    caches["throttle"].clear()  # the admin's form shares the token endpoint's count: start it again
    forms = [
        admin.post(
            "/admin/login/", {"username": "nobody", "password": f"guess{n}"}, HTTP_X_FORWARDED_FOR=forwarded(n)
        ).status_code
        for n in range(50)
    ]
    assert Counter(forms) == {200: 10, 429: 40} and forms[:10] == [200] * 10


def test_behind_a_trusted_proxy_the_address_it_appended_is_the_client(db, limits, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's REMOTE_ADDR
    api = APIClient()

    def guess(header):
        return api.post(
            "/api/auth/token/", {"username": "nobody", "password": "x"}, format="json", HTTP_X_FORWARDED_FOR=header
        ).status_code

    # Three clients behind the proxy: three separate counts.
    assert [guess(forwarded(n)) for n in (1, 2, 3)] == [400, 400, 400]
    # One client writing a new address before the one the proxy appended: still one client.
    assert [guess(f"{forwarded(100 + n)}, 203.0.113.7") for n in range(4)] == [400, 400, 400, 429]
    assert guess(forwarded(1)) == 400


@pytest.mark.parametrize(
    ("remote", "header", "trusted", "client"),
    [
        ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),  # no proxy trusted: the header is ignored
        ("203.0.113.9", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.9"),  # not from a trusted proxy
        ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "1.1.1.1, 198.51.100.1, 10.0.0.5", ["10.0.0.0/8"], "198.51.100.1"),  # two proxies
        ("10.0.0.2", "198.51.100.1:4711", ["10.0.0.0/8"], "198.51.100.1"),  # a port
        ("10.0.0.2", "[2001:db8::1]:443", ["10.0.0.0/8"], "2001:db8::1"),
        ("10.0.0.2", "evil, not-an-address", ["10.0.0.0/8"], "10.0.0.2"),  # garbage: the proxy itself
        ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "198.51.100.1", ["::1"], "198.51.100.1"),
        # A dual-stack listener's IPv4 peer (::ffff:a.b.c.d) is that IPv4 address, trusted as such.
        ("::ffff:10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("::ffff:10.0.0.2", "::ffff:198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
    ],
)
def test_client_address(settings, remote, header, trusted, client):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=header)
    assert client_address(request) == client


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRUSTED_PROXIES", "10.0.0.1,proxy.local", "TRUSTED_PROXIES: 'proxy.local' is not an IP address"),
        ("RATE_LIMIT_BUILD", "sixty", "RATE_LIMIT_BUILD: 'sixty' is not a rate such as 10/min"),
        # isdigit() says yes, int() no: the first sign-in would have been a 500.
        ("RATE_LIMIT_LOGIN", "³/min", "RATE_LIMIT_LOGIN: '³/min' is not a rate such as 10/min"),
        # redis-py refuses it only at the first cache read, a 500 on every layer.
        ("REDIS_URL", "localhost:6379", "REDIS_URL: 'localhost:6379' is not a Redis URL"),
        ("REDIS_URL", "redis://a:6379/0,b:6379", "REDIS_URL: 'b:6379' is not a Redis URL"),
    ],
)
def test_a_bad_limit_setting_is_refused_by_name(name, value, message):
    env = {"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "x", name: value}
    done = subprocess.run(
        [sys.executable, "-c", "import conflictmap.settings.base"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=django_settings.BASE_DIR,
    )
    assert done.returncode != 0 and message in done.stderr


COUNT_HITS = (
    "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'conflictmap.settings.base'; django.setup();"
    "from conflictmap import throttles; from django.core.cache import caches;"
    "print(caches['throttle'].__class__.__name__);"
    "print(*[throttles.hit('throttle_login_198.51.100.1', window=3600)[0] for _ in range(int(sys.argv[1]))])"
)


def test_worker_processes_share_one_counter_without_redis(tmp_path):
    """Four processes (as gunicorn's workers) counting one client at once: every count is taken once."""
    env = {"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "x", "CACHE_DIR": str(tmp_path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_HITS, "40"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=django_settings.BASE_DIR,
        )
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), [err for _, err in outputs]
    lines = [out.split("\n") for out, _ in outputs]
    assert {line[0] for line in lines} == {"CounterFileCache"}
    counts = sorted(int(n) for line in lines for n in line[1].split())
    assert counts == list(range(1, 161))  # no count lost, none given twice


def test_two_cache_clients_on_one_directory_share_a_counter(tmp_path):
    from conflictmap.cache_backends import CounterFileCache

    first, second = CounterFileCache(str(tmp_path), {}), CounterFileCache(str(tmp_path), {})
    assert first.add("n", 0, 60) and not second.add("n", 0, 60)
    assert [first.incr("n"), second.incr("n"), first.incr("n")] == [1, 2, 3]
    assert second.get("n") == 3
    second.set("gone", 1, -1)
    with pytest.raises(ValueError):
        first.incr("gone")
