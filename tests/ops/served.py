"""Run the app as `make serve` runs it: the gunicorn command line `make -n serve` prints, DEBUG off."""

import os
import shlex
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

from django.db import connection

from tests.conftest import requires_tool

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def serve_command(*, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command `make serve` runs (its migrate and collectstatic steps left out)."""
    make = requires_tool("make", install="apt-get install make")
    printed = subprocess.run(
        [make, "-n", "-s", "serve", f"PORT={port}", f"WORKERS={workers}", f"THREADS={threads}", "SECRET_KEY=x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.replace("\\\n", " ")
    (line,) = [line for line in printed.splitlines() if "bin/gunicorn " in line]
    return shlex.split(line)


def database_url_for_the_server(tmp_path: Path) -> str:
    """This run's (seeded, committed) database as a URL: a file copy on SQLite, the test database on PostgreSQL."""
    if connection.vendor == "sqlite":
        path = tmp_path / "served.sqlite3"
        with closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{path}"
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def server_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="served-test-key",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        CACHE_DIR=str(tmp_path / "cache"),
        MAP_TILES="none",
        **extra,
    )
    return env


@contextmanager
def served(
    tmp_path: Path,
    *,
    database_url: str,
    workers: int = 2,
    threads: int = 2,
    ready: tuple[str, int] = ("/api/factions", 200),
    **env: str,
):
    """(base URL, log file) of a gunicorn started as `make serve` starts it, once ``ready`` (path, status)
    answers; stopped at the end."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            serve_command(port=port, workers=workers, threads=threads),
            cwd=ROOT,
            env=server_env(tmp_path, database_url, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if server.poll() is not None:
                raise AssertionError(f"gunicorn stopped:\n{log.read_text()}")
            try:
                if get(f"{base}{ready[0]}", timeout=5)[0] == ready[1]:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")
        yield base, log
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
