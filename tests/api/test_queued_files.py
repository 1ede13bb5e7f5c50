"""The whole history's spans, and a long period of spans or changes, as a GeoPackage are written once per data
version by the job queue and sent from disk (events.queued_files): at 1,000,000 changes their writing outlasts any
client's wait for a first byte."""

import datetime as dt
import io
import json

import orjson
import pyogrio
import pytest
from django.db import transaction
from django.http import FileResponse

from conflictmap import jobs
from events import export_rows, queued_files, selectors
from events.models import ControlChange
from geodata.services.revision import revision_bump

pytestmark = pytest.mark.django_db

URL = "/api/control-spans.gpkg"


@pytest.fixture
def exports_dir(settings, tmp_path):
    settings.EXPORTS_DIR = tmp_path / "exports"
    return settings.EXPORTS_DIR / "queued"


@pytest.fixture
def queued(monkeypatch):
    """The job queue as `make serve` has it: the writing is queued for the worker, not run in the request."""
    calls = []
    monkeypatch.setattr(jobs, "async_task", lambda task, *args, **kwargs: calls.append((task, args, kwargs)))
    return calls


def a_write():
    with transaction.atomic():
        revision_bump()


def test_the_whole_history_is_written_once_and_sent_from_disk(client, seeded, exports_dir, tmp_path, monkeypatch):
    first = client.get(URL)
    assert first.status_code == 200 and first.streaming  # a FileResponse: sent from the file, not built
    body = first.getvalue()
    (written,) = exports_dir.glob("*.gpkg")
    assert written.read_bytes() == body
    assert first["X-Data-Version"] == selectors.data_version() and "X-Data-Version-Current" not in first
    assert first["Content-Disposition"] == 'inline; filename="control-spans.gpkg"'
    # The same rows as the streamed GeoJSON of the whole history.
    (tmp_path / "read.gpkg").write_bytes(body)
    frame = pyogrio.read_dataframe(tmp_path / "read.gpkg")
    features = orjson.loads(client.get("/api/control-spans.geojson").getvalue())["features"]
    assert sorted(frame["change_id"]) == sorted(f["properties"]["change_id"] for f in features)
    # Asked again: the file as it is, nothing written.
    monkeypatch.setattr(queued_files, "write", lambda *args, **kwargs: pytest.fail("written again"))
    again = client.get(URL)
    assert again.getvalue() == body and again["ETag"] == first["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_after_a_write_the_older_file_is_sent_saying_so_while_the_new_one_is_queued_once(
    client, seeded, exports_dir, queued
):
    queued_files.write()  # the worker wrote the file of this version
    before = selectors.data_version()
    a_write()
    now = selectors.data_version()
    for _ in range(3):
        response = client.get(URL)
        assert response.status_code == 200
        assert (response["X-Data-Version"], response["X-Data-Version-Current"]) == (before, now)
        assert "no-cache" in response["Cache-Control"] and "immutable" not in response["Cache-Control"]
    assert [(task, args) for task, args, _ in queued] == [("events.queued_files.write", ("control-spans.gpkg", {}))]
    queued_files.write()  # the worker takes the job
    response = client.get(URL)
    assert response["X-Data-Version"] == now and "X-Data-Version-Current" not in response
    assert len(list(exports_dir.glob("*.gpkg"))) == 1  # the older file is deleted once the new one is written


def test_with_nothing_written_yet_the_answer_is_503_saying_when_and_what_else(client, seeded, exports_dir, queued):
    response = client.get(URL)
    assert response.status_code == 503 and response["Retry-After"] == str(queued_files.RETRY_SECONDS)
    detail = response.json()["detail"]
    assert "control-spans.gpkg is being written" in detail and "from and to" in detail
    assert "control-spans.geojson" in detail
    assert len(queued) == 1


def test_a_queue_out_of_reach_is_a_503_not_a_500_and_the_next_request_tries_again(client, seeded, exports_dir,
                                                                                     monkeypatch):
    tries = []

    def down(task, *args, **kwargs):
        tries.append(task)
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(jobs, "async_task", down)
    assert client.get(URL).status_code == 503
    assert client.get(URL).status_code == 503
    assert len(tries) == 2  # the lock was let go


def test_a_period_or_the_record_as_published_is_written_in_the_request(client, seeded, exports_dir, queued):
    assert client.get(URL, {"from": "2017-08-01", "to": "2017-09-03"}).status_code == 200
    assert client.get(URL, {"as_published": "2017-09-03"}).status_code == 200
    assert queued == [] and not exports_dir.exists()


def test_each_theatre_and_kind_has_its_own_file(client, seeded, exports_dir):
    assert client.get(URL, {"theatre": "syria"})["Content-Disposition"] == 'inline; filename="control-spans-syria.gpkg"'
    assert client.get(URL, {"kind": "drawn"}).status_code == 200
    assert sorted(p.name.split(".")[0] for p in exports_dir.glob("*.gpkg")) == [
        "control-spans-drawn", "control-spans-syria"]


def test_a_file_read_across_a_write_is_not_kept(seeded, exports_dir, monkeypatch):
    versions = iter(["v1", "v2"])  # read before writing, and after: a write came in between
    monkeypatch.setattr(queued_files.selectors, "data_version", lambda **kwargs: next(versions))
    assert "not kept" in queued_files.write()
    assert not list(exports_dir.glob("*"))


def test_a_cleared_cache_forgets_the_files_written_before(client, seeded, exports_dir, queued):
    queued_files.write()
    assert client.get(URL).status_code == 200
    from django.core.cache import cache

    cache.clear()  # as a restore does: the file may show data the database no longer holds
    assert client.get(URL).status_code == 503


def test_writing_deletes_the_older_files_not_one_a_second_worker_finished_since(seeded, exports_dir):
    exports_dir.mkdir(parents=True)
    epoch = selectors.cache_token("queued-files:epoch")
    key = queued_files.Question("control-spans.gpkg", {}, "control-spans.gpkg").key
    for name, written_at in (("older", 1.0), ("newer", 4e9)):
        (exports_dir / f"control-spans.{epoch}.{key}.{name}.gpkg").write_bytes(b"gpkg")
        (exports_dir / f"control-spans.{epoch}.{key}.{name}.json").write_text(
            json.dumps({"version": name, "changed_at": None, "seconds": 1, "written_at": written_at}))
    queued_files.write()
    names = sorted(p.name.split(".")[3] for p in exports_dir.glob("*.gpkg"))
    assert len(names) == 2 and "newer" in names and "older" not in names


@pytest.fixture
def large_above(monkeypatch):
    """A period of more than ``n`` changes is large (the seed's log is a few dozen changes)."""
    def above(n: int) -> None:
        monkeypatch.setattr(queued_files, "LARGE_PERIOD_CHANGES", n)
    return above


def test_a_long_period_of_spans_or_changes_is_written_by_the_job_queue_with_the_same_bytes(
    client, seeded, exports_dir, large_above
):
    asked = [("/api/control-spans.gpkg", {"from": "2017-01-01", "to": "2017-09-03"}),
             ("/api/changes.gpkg", {"from": "2017-01-01", "to": "2017-09-03"}),
             ("/api/changes.gpkg", {"from": "2017-01-01", "to": "2017-09-03", "faction": "sdf"}),
             ("/api/changes.gpkg", {"theatre": "syria"})]  # no period: the whole log
    in_request = []
    for url, query in asked:
        response = client.get(url, query)
        assert response.status_code == 200 and "X-Data-Version" not in response  # few changes: written at once
        in_request.append((response.getvalue(), response["Content-Disposition"]))
    assert not exports_dir.exists()
    large_above(3)
    for (url, query), (body, disposition) in zip(asked, in_request, strict=True):
        response = client.get(url, query)
        assert response.status_code == 200 and isinstance(response, FileResponse), url
        assert "X-Data-Version-Current" not in response  # written now, for the version read
        assert response["Content-Disposition"] == disposition
        assert _rows(response.getvalue()) == _rows(body), (url, query)
    # One file per question: the faction's changes are not the period's, though both are named alike.
    assert len(list(exports_dir.glob("*.gpkg"))) == len(asked)


def _rows(body: bytes) -> list:
    """A GeoPackage's rows (two writings of the same rows differ in the file's timestamps)."""
    return pyogrio.read_dataframe(io.BytesIO(body)).to_wkt().sort_values(list(frame_columns(body))).values.tolist()


def frame_columns(body: bytes) -> list[str]:
    return list(pyogrio.read_dataframe(io.BytesIO(body)).columns)


def test_nothing_written_yet_names_the_file_and_what_else_to_ask(client, seeded, exports_dir, queued, large_above):
    large_above(3)
    response = client.get("/api/changes.gpkg", {"from": "2017-01-01", "to": "2017-09-03"})
    assert response.status_code == 503 and response["Retry-After"] == str(queued_files.RETRY_SECONDS)
    detail = response.json()["detail"]
    assert "changes-2017-01-01-2017-09-03.gpkg is being written" in detail and "changes.geojson" in detail
    assert [(task, args) for task, args, _ in queued] == [
        ("events.queued_files.write", ("changes.gpkg", {"from": "2017-01-01", "to": "2017-09-03"}))]


def test_the_as_published_record_of_a_long_period_is_still_written_in_the_request(client, seeded, exports_dir,
                                                                                   queued, large_above):
    large_above(3)
    response = client.get("/api/changes.gpkg", {"from": "2017-01-01", "to": "2017-09-03",
                                                "as_published": "2017-09-03"})
    assert response.status_code == 200 and not isinstance(response, FileResponse) and queued == []


@pytest.mark.parametrize("start, end", [(None, None), ("2017-09-01", None), (None, "2017-09-02"),
                                        ("2017-09-01", "2017-09-03"), ("2017-09-04", "2017-12-31")])
def test_the_changes_dated_in_a_period_are_counted_exactly_up_to_the_bound(seeded, start, end):
    dated = ControlChange.objects.all()
    if start:
        dated = dated.filter(effective_date__gte=start)
    if end:
        dated = dated.filter(effective_date__lte=end)
    n = dated.count()
    period = {"start": start and dt.date.fromisoformat(start), "end": end and dt.date.fromisoformat(end)}
    assert export_rows.changes_dated_beyond(**period, count=n) is False
    if n:
        assert export_rows.changes_dated_beyond(**period, count=n - 1) is True


def test_beyond_a_dozen_questions_the_least_recently_written_files_go(seeded, exports_dir, monkeypatch):
    monkeypatch.setattr(queued_files, "KEEP_FILES", 3)
    monkeypatch.setattr(queued_files, "LARGE_PERIOD_CHANGES", 0)
    for day in range(1, 6):
        queued_files.write("changes.gpkg", {"from": f"2017-08-0{day}", "to": "2017-09-03"})
    kept = sorted(p.name.split(".")[0] for p in exports_dir.glob("*.gpkg"))
    assert kept == [f"changes-2017-08-0{day}-2017-09-03" for day in (3, 4, 5)]
    assert len(list(exports_dir.glob("*.json"))) == 3
