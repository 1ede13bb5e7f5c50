"""A real job worker (``manage.py jobs_worker``, as make serve starts it) takes a real import job.

Each run gets a database of its own that three processes share: the one that queues the job, the
worker, and the one that reads the outcome. The queue is that database (the default, no other
service) or Redis where REDIS_URL is set. The worker writes as the user who confirmed, and stops by
itself when the process it was started beside ends.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection

from events.management.commands.jobs_worker import _alive
from tests import test_redis_outage

ROOT = Path(__file__).resolve().parent.parent

QUEUE = """
import json
from django.contrib.auth.models import Group, User
from conflictmap import jobs
from events.services.import_uploads import import_upload_store
user = User.objects.create_user("worker-test-editor", is_staff=True)
user.groups.add(Group.objects.get(name="editor"))
text = "town,faction,date,source_title,source_publisher\\nRaqqa,SDF,2017-10-20,Raqqa taken,Example Wire\\n"
upload = import_upload_store(owner=user, name="c.csv", text=text, publish=False)
task = "events.services.import_uploads.changes_import_job"
job = jobs.job_start(kind="import", owner=user, task=task, upload_id=upload.pk)
print("RESULT" + json.dumps({"job": str(job.pk), "state": job.state}))
"""

OUTCOME = """
import json, sys, time
from events.models import ControlChange, ImportUpload, Job
deadline = time.monotonic() + 240  # a bound on the wait, not a measure
while True:
    job = Job.objects.get(pk=sys.argv[-1])
    if job.finished or time.monotonic() > deadline:
        break
    time.sleep(0.5)
change = ControlChange.objects.filter(town__slug="raqqa", effective_date="2017-10-20").first()
print("RESULT" + json.dumps({
    "state": job.state, "message": job.message,
    "entered_by": change and change.entered_by.username,
    "history_user": change and change.history.order_by("history_id").first().history_user.username,
    "uploads_left": ImportUpload.objects.count(),
}))
"""


@pytest.fixture
def database_url(tmp_path):
    """A fresh database on this run's kind: a SQLite file, or a new database on the PostgreSQL server."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'worker.sqlite3'}"
        return
    import psycopg

    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = f"conflictmap_jobs_{os.getpid()}"
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


redis_server = test_redis_outage.redis_server  # a real redis-server on a free port


@pytest.fixture(params=["database", "redis"])
def queue_env(request, tmp_path, database_url):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "conflictmap.settings.base",
        "SECRET_KEY": "tests-only-not-secret",
        "DEBUG": "1",
        "JOBS_SYNC": "0",
        "IMPORT_UPLOAD_DIR": str(tmp_path / "uploads"),
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("REDIS_URL", None)
    if request.param == "database":
        yield env
        return
    url, _kill, _start = request.getfixturevalue("redis_server")  # tests/test_redis_outage.py's
    yield {**env, "REDIS_URL": url}


def manage(env, *args: str, stdin: str | None = None) -> dict | None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in done.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line.removeprefix("RESULT"))
    return None


def test_a_worker_process_runs_a_queued_import_as_the_user(queue_env, tmp_path):
    manage(queue_env, "migrate", "--no-input")
    manage(queue_env, "load_seed")
    queued = manage(queue_env, "shell", stdin=QUEUE)
    assert queued["state"] == "queued"  # nothing runs it until a worker takes it

    beside = subprocess.Popen(["sleep", "600"])  # stands in for make serve's make
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "jobs_worker", "--while-pid", str(beside.pid)],
        cwd=ROOT,
        env=queue_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        outcome = manage(queue_env, "shell", "-c", OUTCOME.replace("sys.argv[-1]", repr(queued["job"])))
        assert outcome == {
            "state": "done",
            "message": "Imported 1 control change(s) from c.csv as drafts awaiting review.",
            "entered_by": "worker-test-editor",
            "history_user": "worker-test-editor",
            "uploads_left": 0,
        }, (tmp_path / "worker.log").read_text()[-3000:]
        beside.kill()
        beside.wait()
        assert worker.wait(timeout=120) == 0  # it stops when what it was started beside has ended
    finally:
        beside.kill()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        log.close()


def test_the_worker_counts_an_ended_unreaped_process_as_ended():
    ended = subprocess.Popen(["true"])
    for _ in range(200):  # not waited for: it stays a zombie until it is reaped
        if Path(f"/proc/{ended.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z":
            break
        time.sleep(0.05)
    try:
        assert not _alive(ended.pid)
        assert _alive(os.getpid())
    finally:
        ended.wait()
    assert not _alive(ended.pid)
