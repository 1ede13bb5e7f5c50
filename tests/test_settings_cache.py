"""The cache comes from the environment: Redis when REDIS_URL is set, else files every worker shares."""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.conftest import requires_tool

SETUP = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'conflictmap.settings.test');"
    "django.setup(); from django.core.cache import cache; from django.conf import settings;"
)
CODE = SETUP + "print(settings.CACHES['default']['BACKEND']); cache.set('probe', 41 + 1, 30); print(cache.get('probe'))"


def run(env: dict, code: str = CODE) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], env={"PATH": os.environ.get("PATH", ""), **env},
                         capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def production(cache_dir) -> dict:
    """The environment of `make serve` without REDIS_URL (base settings, DEBUG off)."""
    return {"DJANGO_SETTINGS_MODULE": "conflictmap.settings.base", "SECRET_KEY": "x", "DEBUG": "0",
            "CACHE_DIR": str(cache_dir)}


def test_tests_keep_a_cache_per_process():
    assert run({}) == ["django.core.cache.backends.locmem.LocMemCache", "42"]


def test_without_redis_url_the_workers_share_one_cache_in_files(tmp_path):
    """A layer one gunicorn worker kept is read by another: two processes, one entry."""
    layer = "b'\\x28\\xb5\\x2f\\xfd' * 300_000"  # a kept layer is a MB-sized Zstandard blob
    writer = SETUP + f"print(settings.CACHES['default']['BACKEND']); cache.set('exports:zst:areas', {layer}, 60)"
    reader = SETUP + f"print(cache.get('exports:zst:areas') == {layer})"
    assert run(production(tmp_path), writer) == ["conflictmap.file_cache.SharedFileCache"]
    assert run(production(tmp_path), reader) == ["True"]
    assert run(production(tmp_path / "another"), reader) == ["False"]


def test_the_shared_file_cache_keeps_values_as_they_are_and_expires_them(tmp_path):
    from conflictmap.file_cache import SharedFileCache

    files = SharedFileCache(str(tmp_path), {})
    blob = bytes(range(256)) * 4096
    files.set("layer", blob, 60)
    assert files.get("layer") == blob
    assert blob in next(tmp_path.iterdir()).read_bytes()  # stored as is, not deflated again
    assert files.touch("layer", 120) and files.get("layer") == blob
    files.set("gone", 1, -1)
    assert files.get("gone", "missing") == "missing" and not files.touch("gone")
    assert files.add("n", 1) and not files.add("n", 2) and files.incr("n") == 2


def test_the_shared_cache_keeps_at_most_cache_max_entries(tmp_path):
    fill = SETUP + "[cache.set(f'layer:{i}', b'x', 60) for i in range(40)]; print(len(os.listdir(settings.CACHE_DIR)))"
    kept = int(run({**production(tmp_path), "CACHE_MAX_ENTRIES": "30"}, fill)[0])
    assert kept <= 30


@pytest.fixture
def redis_url(tmp_path):
    binary = requires_tool("redis-server", install="apt-get install redis-server; .ci/run installs it")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def test_with_redis_url_the_cache_is_redis_and_works(redis_url):
    assert run({"REDIS_URL": redis_url}) == ["conflictmap.cache_backends.ResilientRedisCache", "42"]


def test_rate_limit_counters_live_where_every_worker_sees_them(tmp_path):
    """Redis with REDIS_URL (files while it is down), else the lock-taking files under CACHE_DIR/throttle."""
    show = SETUP + "print(*[settings.CACHES[a]['BACKEND'].rsplit('.')[-1] for a in ('throttle', 'throttle-fallback') " \
        "if a in settings.CACHES], settings.CACHES['throttle'].get('LOCATION'))"
    assert run(production(tmp_path), show) == ["CounterFileCache", str(tmp_path / "throttle")]
    with_redis = run({**production(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}, show)
    assert with_redis == ["ResilientRedisCache", "CounterFileCache", "redis://127.0.0.1:1/0"]
