"""A database that is down or locked answers 503 with Retry-After (JSON under /api/), not a traceback."""

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper


@pytest.fixture
def database_down(db):
    """Every query fails as with a stopped server; undone before the test database is rolled back."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refuse)
        patch.setattr(CursorWrapper, "executemany", refuse)
        yield


@pytest.mark.parametrize("url", ["/", "/factions/", "/changes/"])
def test_pages_answer_503_when_the_database_is_down(client, db, database_down, url):
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.content.decode()
    assert "try again" in body and "Traceback" not in body and "Connection refused" not in body


@pytest.mark.parametrize("url", ["/api/factions", "/api/control.geojson?date=2017-09-01"])
def test_the_api_answers_503_json_when_the_database_is_down(client, db, database_down, url):
    response = client.get(url)
    assert response.status_code == 503
    assert "try again" in response.json()["detail"]


def test_service_resumes_when_the_database_is_back(client, db):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(CursorWrapper, "execute", lambda *a, **k: (_ for _ in ()).throw(OperationalError("down")))
        assert client.get("/api/factions").status_code == 503
    assert client.get("/api/factions").status_code == 200
