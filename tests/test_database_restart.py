"""The database goes away mid-service: pages and the API answer 503, not a traceback; when it comes back
the same server process serves again, without a restart. Against a real PostgreSQL 15 server started
(and stopped, and started again) by the test itself, with the app's development server in front."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import requires_tool

ROOT = Path(__file__).resolve().parent.parent
PGBIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class Postgres:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="conflictmap-fault-", dir="/tmp"))
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    def run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.run(str(PGBIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self.run(str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "faults")

    def start(self) -> None:
        self.run(str(PGBIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                 "-o", f"-h 127.0.0.1 -p {self.port} -k {self.dir} -F", "start")

    def stop(self) -> None:
        self.run(str(PGBIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/faults"


@pytest.fixture
def postgres():
    requires_tool(str(PGBIN / "initdb"), install="apt-get install postgresql-15")
    server = Postgres()
    server.init()
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(server.dir, ignore_errors=True)


def test_a_database_outage_is_a_503_and_service_resumes_by_itself(postgres, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DATABASE_URL=postgres.url, DEBUG="1", CONN_MAX_AGE="60", SECRET_KEY_FILE=str(tmp_path / "key"))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    port = free_port()
    app = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if get(f"{base}/api/factions")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        assert get(f"{base}/api/factions")[0] == 200

        postgres.stop()
        status, body = get(f"{base}/api/factions")
        assert status == 503 and "try again" in json.loads(body)["detail"]
        status, body = get(f"{base}/factions/")
        assert status == 503 and "Traceback" not in body and "try again" in body

        postgres.start()
        statuses = []
        for _ in range(20):  # the first request may still meet the broken connection, which is then closed
            statuses.append(get(f"{base}/api/factions")[0])
            if statuses[-1] == 200:
                break
            time.sleep(0.5)
        assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
        assert app.poll() is None  # the same process: no restart
    finally:
        app.terminate()
        app.wait(30)
