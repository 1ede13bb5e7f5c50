"""The whole history's spans as a GeoPackage are written once per data version by the job queue and sent from disk
(events.whole_history): at 1,000,000 changes its writing outlasts any client's wait for a first byte."""

import json

import orjson
import pyogrio
import pytest
from django.db import transaction

from events import selectors, whole_history
from geodata.services.revision import revision_bump

pytestmark = pytest.mark.django_db

URL = "/api/control-spans.gpkg"


@pytest.fixture
def exports_dir(settings, tmp_path):
    settings.EXPORTS_DIR = tmp_path / "exports"
    return settings.EXPORTS_DIR / "whole-history"


@pytest.fixture
def queued(monkeypatch):
    """The job queue as `make serve` has it: the writing is queued for the worker, not run in the request."""
    calls = []
    monkeypatch.setattr(whole_history, "async_task", lambda task, **kwargs: calls.append((task, kwargs)))
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
    monkeypatch.setattr(whole_history, "write", lambda **kwargs: pytest.fail("written again"))
    again = client.get(URL)
    assert again.getvalue() == body and again["ETag"] == first["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_after_a_write_the_older_file_is_sent_saying_so_while_the_new_one_is_queued_once(
    client, seeded, exports_dir, queued
):
    whole_history.write()  # the worker wrote the file of this version
    before = selectors.data_version()
    a_write()
    now = selectors.data_version()
    for _ in range(3):
        response = client.get(URL)
        assert response.status_code == 200
        assert (response["X-Data-Version"], response["X-Data-Version-Current"]) == (before, now)
        assert "no-cache" in response["Cache-Control"] and "immutable" not in response["Cache-Control"]
    assert [(task, kwargs["theatre"], kwargs["kind"]) for task, kwargs in queued] == [
        ("events.whole_history.write", None, None)]
    whole_history.write()  # the worker takes the job
    response = client.get(URL)
    assert response["X-Data-Version"] == now and "X-Data-Version-Current" not in response
    assert len(list(exports_dir.glob("*.gpkg"))) == 1  # the older file is deleted once the new one is written


def test_with_nothing_written_yet_the_answer_is_503_saying_when_and_what_else(client, seeded, exports_dir, queued):
    response = client.get(URL)
    assert response.status_code == 503 and response["Retry-After"] == str(whole_history.RETRY_SECONDS)
    detail = response.json()["detail"]
    assert "being written" in detail and "from and to" in detail and "control-spans.geojson" in detail
    assert len(queued) == 1


def test_a_queue_out_of_reach_is_a_503_not_a_500_and_the_next_request_tries_again(client, seeded, exports_dir,
                                                                                     monkeypatch):
    tries = []

    def down(task, **kwargs):
        tries.append(task)
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(whole_history, "async_task", down)
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
    monkeypatch.setattr(whole_history.selectors, "data_version", lambda **kwargs: next(versions))
    assert "not kept" in whole_history.write()
    assert not list(exports_dir.glob("*"))


def test_a_cleared_cache_forgets_the_files_written_before(client, seeded, exports_dir, queued):
    whole_history.write()
    assert client.get(URL).status_code == 200
    from django.core.cache import cache

    cache.clear()  # as a restore does: the file may show data the database no longer holds
    assert client.get(URL).status_code == 503


def test_writing_deletes_the_older_files_not_one_a_second_worker_finished_since(seeded, exports_dir):
    exports_dir.mkdir(parents=True)
    epoch = selectors.cache_token("whole-history:epoch")
    for name, written_at in (("older", 1.0), ("newer", 4e9)):
        (exports_dir / f"control-spans.{epoch}.{name}.gpkg").write_bytes(b"gpkg")
        (exports_dir / f"control-spans.{epoch}.{name}.json").write_text(
            json.dumps({"version": name, "changed_at": None, "seconds": 1, "written_at": written_at}))
    whole_history.write()
    names = sorted(p.name.split(".")[2] for p in exports_dir.glob("*.gpkg"))
    assert len(names) == 2 and "newer" in names and "older" not in names
