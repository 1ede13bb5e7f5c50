"""Sign-in, token and write requests are rate limited with a clear 429; reads are not."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture
def limits(settings):
    cache.clear()
    settings.RATE_LIMITS = {"login": "3/min", "write": "2/min"}
    yield settings.RATE_LIMITS
    cache.clear()


def test_token_requests_are_limited_per_address(db, limits):
    client = APIClient()
    answers = [client.post("/api/auth/token/", {"username": "nobody", "password": "wrong"}, format="json")
               for _ in range(4)]
    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert "throttled" in answers[-1].json()["detail"]
    assert int(answers[-1]["Retry-After"]) > 0


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
