"""The admin import's file waits on the server, owned by its uploader; the confirm runs as a job.

Jobs run inside the request here (JOBS_SYNC=1, the test settings); tests/test_jobs_worker.py runs a
real worker process on a real job.
"""

import datetime as dt
import errno
import os
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Task

from conflictmap import jobs
from events.job_models import ImportUpload, Job
from events.models import ControlChange
from events.services import import_uploads
from tests.events.roles import client_as, user_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]

IMPORT = "/admin/events/controlchange/import/"
GOOD = (
    "town,faction,date,source_title,source_publisher\n"
    "Raqqa,SDF,2017-10-20,Raqqa taken,Example Wire\n"
    "Tabqa,SDF,2017-10-21,Tabqa held,Example Wire\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


def preview(client, text: str = GOOD, name: str = "c.csv"):
    response = client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode())}, follow=True)
    assert response.status_code == 200, response.status_code
    return response


def files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_preview_keeps_the_file_on_the_server_not_in_the_session(editor_client, editor, upload_dir):
    token = preview(editor_client).context["token"]
    session = editor_client.session
    assert all("Raqqa" not in str(value) for value in session.values())  # no CSV text in the session
    upload = ImportUpload.objects.get(pk=token)
    assert upload.owner == editor and len(token) >= 20  # a random id, owned by the uploader
    assert [p.name for p in files(upload_dir)] == [f"{token}.csv"]
    assert (upload_dir / f"{token}.csv").read_text() == GOOD


def test_another_users_upload_and_job_are_not_found(editor_client, upload_dir):
    token = preview(editor_client).context["token"]
    other = client_as(user_in("editor", "other-editor"))
    assert other.post(IMPORT, {"token": token}).status_code == 404
    assert ControlChange.objects.filter(note="", town__slug="tabqa", effective_date="2017-10-21").count() == 0
    assert files(upload_dir)  # still waiting for its owner
    job_page = editor_client.post(IMPORT, {"token": token})["Location"]
    assert editor_client.get(job_page).status_code == 200
    assert other.get(job_page).status_code == 404
    assert other.get(f"{job_page}status.json").status_code == 404


def test_the_confirm_runs_a_job_that_writes_as_the_user_and_removes_the_file(editor_client, editor, upload_dir):
    before = ControlChange.objects.count()
    token = preview(editor_client).context["token"]
    confirm = editor_client.post(IMPORT, {"token": token})
    assert confirm.status_code == 302 and "/import/jobs/" in confirm["Location"]
    check, job = Job.objects.order_by("created_at")
    assert (check.kind, check.owner, check.state) == ("import-check", editor, "done")
    assert (job.kind, job.owner, job.state) == ("import", editor, "done")
    assert ControlChange.objects.count() == before + 2
    change = ControlChange.objects.get(town__slug="tabqa", effective_date="2017-10-21")
    assert change.entered_by == editor and change.history.first().history_user == editor
    page = editor_client.get(confirm["Location"]).content.decode()
    assert "Imported 2 control change(s) from c.csv as drafts awaiting review." in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    assert editor_client.get(confirm["Location"] + "status.json").json()["state"] == "done"
    assert files(upload_dir) == [] and not ImportUpload.objects.exists()
    again = editor_client.post(IMPORT, {"token": token}, follow=True)
    assert "expired or was already done" in " ".join(str(m) for m in get_messages(again.wsgi_request))
    assert ControlChange.objects.count() == before + 2


def test_a_refused_job_shows_each_bad_row_and_writes_nothing(editor_client, reviewer_client, upload_dir):
    token = preview(editor_client).context["token"]
    # Meanwhile another editor enters a change for Raqqa on the same date: the file's row now clashes.
    preview(reviewer_client, GOOD.splitlines()[0] + "\nRaqqa,IS,2017-10-20,Other,Example Wire\n")
    reviewer_token = ImportUpload.objects.exclude(pk=token).get().pk
    reviewer_client.post(IMPORT, {"token": reviewer_token})
    before = ControlChange.objects.count()
    job_page = editor_client.post(IMPORT, {"token": token})["Location"]
    job = Job.objects.get(owner__username="editor-user", kind="import")
    assert job.state == "failed" and "nothing was written" in job.message
    assert ControlChange.objects.count() == before  # Tabqa's good row was not written either
    body = editor_client.get(job_page).content.decode()
    assert 'class="errornote"' in body and "<td>2</td><td>date</td>" in body
    assert files(upload_dir) == []


def test_the_page_and_the_json_show_a_running_jobs_progress(editor, editor_client):
    job = Job.objects.create(kind="import", owner=editor, state=Job.State.RUNNING)
    jobs.Progress(job.pk)("writing", 5000, 200000)
    status = editor_client.get(f"{IMPORT}jobs/{job.pk}/status.json").json()
    assert (status["state"], status["stage"], status["done"], status["total"]) == ("running", "writing", 5000, 200000)
    page = editor_client.get(f"{IMPORT}jobs/{job.pk}/").content.decode()
    assert '<progress max="200000" value="5000">' in page and "5000 of 200000 rows" in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_a_job_no_worker_takes_says_how_to_start_one(editor, editor_client):
    job = Job.objects.create(kind="import", owner=editor, created_at=timezone.now() - dt.timedelta(minutes=2))
    page = editor_client.get(f"{IMPORT}jobs/{job.pk}/").content.decode()
    assert "No worker has taken this job yet" in page and "jobs_worker" in page


def test_a_job_the_worker_was_killed_on_is_reported_failed(editor, editor_client):
    job = Job.objects.create(kind="import", owner=editor, state=Job.State.RUNNING, task_id="a" * 32)
    now = timezone.now()
    Task.objects.create(
        id="a" * 32,
        name="import-x",
        func="conflictmap.jobs.job_run",
        started=now,
        stopped=now,
        success=False,
        result="Task exceeded maximum timeout value (3600 seconds)",
    )
    status = editor_client.get(f"{IMPORT}jobs/{job.pk}/status.json").json()
    assert status["state"] == "failed" and "exceeded maximum timeout" in status["message"]


def test_a_second_confirm_finds_the_first_job(editor, editor_client):
    token = preview(editor_client).context["token"]
    first = Job.objects.create(kind="import", owner=editor)
    ImportUpload.objects.filter(pk=token).update(job=first)
    response = editor_client.post(IMPORT, {"token": token})
    assert response["Location"].endswith(f"/import/jobs/{first.pk}/")
    assert Job.objects.filter(kind="import").count() == 1


def test_a_queue_out_of_reach_fails_the_job_not_the_request(editor_client, monkeypatch, upload_dir):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to localhost:6379. Connection refused.")

    token = preview(editor_client).context["token"]
    monkeypatch.setattr(jobs, "async_task", unreachable)
    response = editor_client.post(IMPORT, {"token": token}, follow=True)
    assert response.status_code == 200
    assert "could not be queued" in response.content.decode()
    monkeypatch.undo()  # the queue is back: the same file can be confirmed again
    again = editor_client.post(IMPORT, {"token": token}, follow=True)
    assert again.context["status"]["state"] == "done" and "Imported 2 control change(s)" in again.content.decode()


def test_old_uploads_go_on_the_next_upload_and_by_command(editor_client, upload_dir):
    old = preview(editor_client).context["token"]
    ImportUpload.objects.filter(pk=old).update(created_at=timezone.now() - dt.timedelta(minutes=61))
    stray = upload_dir / "left-by-a-crash.part"
    stray.write_text("x")
    hours_ago = (timezone.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(stray, (hours_ago, hours_ago))
    new = preview(editor_client).context["token"]
    assert [p.name for p in files(upload_dir)] == [f"{new}.csv"]
    assert list(ImportUpload.objects.values_list("pk", flat=True)) == [new]
    assert editor_client.post(IMPORT, {"token": old}, follow=True).status_code == 200  # "expired", no 500
    ImportUpload.objects.filter(pk=new).update(created_at=timezone.now() - dt.timedelta(hours=2))
    call_command("prune_import_uploads", stdout=open(os.devnull, "w"))
    assert files(upload_dir) == [] and not ImportUpload.objects.exists()


def test_a_user_keeps_a_few_uploads_not_a_disks_worth(editor_client, upload_dir):
    tokens = [preview(editor_client).context["token"] for _ in range(import_uploads.KEPT_PER_USER + 3)]
    kept = set(ImportUpload.objects.values_list("pk", flat=True))
    assert kept == set(tokens[-import_uploads.KEPT_PER_USER :])
    assert {p.stem for p in files(upload_dir)} == kept


def test_a_full_disk_is_said_in_one_line(editor_client, monkeypatch):
    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    response = editor_client.post(IMPORT, {"file": SimpleUploadedFile("c.csv", GOOD.encode())})
    assert response.status_code == 507
    assert "disk is full, so the file could not be kept" in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_the_upload_queues_the_check_and_answers_at_once(editor_client, monkeypatch, upload_dir):
    queued = []
    monkeypatch.setattr(jobs, "async_task", lambda *args, **kwargs: queued.append(args) or "task-1")
    response = editor_client.post(IMPORT, {"file": SimpleUploadedFile("c.csv", GOOD.encode())})
    assert response.status_code == 302 and "/import/jobs/" in response["Location"]
    assert [args[2] for args in queued] == ["events.services.import_uploads.changes_import_check_job"]
    page = editor_client.get(response["Location"]).content.decode()
    assert "Checking the file: waiting for a worker" in page and 'http-equiv="refresh"' in page
    assert len(files(upload_dir)) == 1  # kept for the worker


def test_a_refused_files_words_are_escaped_on_the_job_page(editor_client):
    hostile = "town,faction,date\n<script>alert(1)</script>,SDF,2017-10-20\n"
    response = editor_client.post(IMPORT, {"file": SimpleUploadedFile("<i>c.csv", hostile.encode())}, follow=True)
    body = response.content.decode()
    assert response.context["status"]["state"] == "failed"
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<i>c.csv" not in body and "&lt;i&gt;c.csv" in body


def test_the_import_job_names_each_step(editor, editor_client, monkeypatch):
    token = preview(editor_client).context["token"]
    seen = []
    monkeypatch.setattr(jobs.Progress, "__call__", lambda self, stage, done, total: seen.append((stage, done, total)))
    editor_client.post(IMPORT, {"token": token})
    assert seen[0] == ("reading", 0, len(GOOD.encode()))
    assert [s for s in dict.fromkeys(stage for stage, _, _ in seen)] == [
        "reading",
        "checking",
        "comparing with the stored changes",
        "writing",
    ]
    assert seen[-1] == ("writing", 2, 2)


def test_the_form_lists_the_users_recent_jobs_only(editor_client):
    token = preview(editor_client).context["token"]
    job_page = editor_client.post(IMPORT, {"token": token})["Location"]
    page = editor_client.get(IMPORT).content.decode()
    assert f'href="{job_page}"' in page and "Imported 2 control change(s)" in page
    other = client_as(user_in("editor", "other-editor")).get(IMPORT).content.decode()
    assert "import-recent" not in other


@pytest.mark.parametrize("token", ["abc\x00def", "\x00", "x" * 200])
def test_a_confirm_with_a_token_no_upload_has_says_so(editor_client, token):
    """A NUL in the token was a 500 on PostgreSQL (it cannot compare text holding one)."""
    response = editor_client.post(IMPORT, {"token": token}, follow=True)
    assert response.status_code == 200
    assert "That import has expired or was already done" in [str(m) for m in get_messages(response.wsgi_request)][0]


def test_an_old_upload_whose_import_is_queued_is_kept_for_its_job(editor, editor_client, upload_dir):
    token = preview(editor_client).context["token"]
    job = Job.objects.create(kind="import", owner=editor, state=Job.State.QUEUED)
    ImportUpload.objects.filter(pk=token).update(job=job, created_at=timezone.now() - dt.timedelta(hours=2))
    call_command("prune_import_uploads", stdout=open(os.devnull, "w"))
    assert [p.stem for p in files(upload_dir)] == [token] and ImportUpload.objects.filter(pk=token).exists()
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE)  # its job ended: the file goes with the next sweep
    call_command("prune_import_uploads", stdout=open(os.devnull, "w"))
    assert files(upload_dir) == [] and not ImportUpload.objects.exists()
