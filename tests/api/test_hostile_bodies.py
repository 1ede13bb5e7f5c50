"""Hostile or oversized request bodies get a clear 4xx JSON answer, never a 500, and write nothing."""

import json

import pytest

from events.api.parsers import MAX_JSON_DEPTH, json_too_deep
from events.models import ControlChange

ENDPOINTS = ["/api/auth/token/", "/api/control-changes"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_deeply_nested_body_is_a_400_naming_the_depth(api, url, editor):
    api.force_authenticate(editor)
    body = "[" * 100_000 + "]" * 100_000
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert f"nested more than {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    assert ControlChange.objects.count() == 0


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_over_the_limit_is_a_413_in_json(api, url, settings, editor):
    api.force_authenticate(editor)
    body = json.dumps({"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "password": "y"})
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_a_form_body_over_the_limit_is_a_413_too(api, settings, db):
    response = api.post("/api/auth/token/", {"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
                        format="multipart")
    assert response.status_code == 413


def test_nul_characters_are_refused(api, editor):
    api.force_authenticate(editor)
    response = api.post("/api/control-changes", {"town": "uqayribat", "note": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("note: Null characters are not allowed")


@pytest.mark.parametrize("url", [
    "/api/control-changes?town=%00", "/?date=2017-09-01%00", "/admin/events/faction/?q=%00", "/?%3Cb%3E%00=1",
])
def test_a_nul_in_the_query_string_is_a_400(api, url, reviewer):
    api.force_login(reviewer)
    response = api.get(url)
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert "<b>" not in response.content.decode() and "\x00" not in response.content.decode()


def test_depth_is_measured_without_recursion():
    deep = []
    for _ in range(50_000):
        deep = [deep]
    assert json_too_deep(deep)
    assert not json_too_deep({"a": [{"b": 1}]})
    assert json_too_deep({"a": [{"b": 1}]}, limit=2)
