"""The cache comes from the environment: Redis when REDIS_URL is set, local memory otherwise."""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.conftest import requires_tool

CODE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'conflictmap.settings.test'; django.setup();"
    "from django.core.cache import cache; from django.conf import settings;"
    "print(settings.CACHES['default']['BACKEND']);"
    "cache.set('probe', 41 + 1, 30); print(cache.get('probe'))"
)


def run(env: dict) -> list[str]:
    out = subprocess.run([sys.executable, "-c", CODE], env={"PATH": os.environ.get("PATH", ""), **env},
                         capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_without_redis_url_the_cache_is_local_memory():
    assert run({}) == ["django.core.cache.backends.locmem.LocMemCache", "42"]


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
    assert run({"REDIS_URL": redis_url}) == ["django.core.cache.backends.redis.RedisCache", "42"]
