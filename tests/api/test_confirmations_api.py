"""POST /api/confirmations/: one call records "still held by F, per source S"; bad input is a 400 naming it."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from events.confirmation_models import Confirmation
from tests.factories import ControlChangeFactory, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db

URL = "/api/confirmations/"


@pytest.fixture
def tabqa():
    sdf = FactionFactory(slug="sdf", name="SDF")
    town = TownFactory(name="Tabqa", slug="tabqa")
    ControlChangeFactory(town=town, faction=sdf, effective_date=dt.date(2017, 5, 10))
    return town


def test_an_editor_records_a_draft_in_one_call(tabqa, editor):
    api = APIClient()
    api.force_authenticate(editor)
    source = SourceFactory()
    answer = api.post(URL, {"town": "tabqa", "date": "2017-08-20", "sources": [source.pk]}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["faction"] == "sdf" and answer.json()["state"] == "draft"
    confirmation = Confirmation.objects.get()
    assert confirmation.entered_by == editor and list(confirmation.sources.all()) == [source]
    # A draft is not public; the editor sees it.
    assert APIClient().get(URL).json()["count"] == 0
    assert api.get(URL).json()["count"] == 1


def test_a_reviewer_publishes_and_the_public_sees_it(tabqa, editor, reviewer):
    api = APIClient()
    api.force_authenticate(editor)
    pk = api.post(URL, {"town": "Tabqa", "date": "2017-08-20", "sources": [SourceFactory().pk]}, format="json").json()[
        "id"
    ]
    assert api.post(f"{URL}{pk}/publish/").status_code == 403  # an editor does not publish
    api.force_authenticate(reviewer)
    assert api.post(f"{URL}{pk}/publish/").json() == {"id": pk, "state": "published"}
    public = APIClient().get(URL).json()
    assert public["count"] == 1 and public["results"][0]["date"] == "2017-08-20"


def test_the_wrong_faction_is_a_400_naming_both(tabqa, editor):
    FactionFactory(slug="islamic-state", name="Islamic State")
    api = APIClient()
    api.force_authenticate(editor)
    answer = api.post(URL, {"town": "tabqa", "date": "2017-08-20", "faction": "islamic-state"}, format="json")
    assert answer.status_code == 400
    message = " ".join(answer.json()["faction"])
    assert "SDF" in message and "Islamic State" in message


def test_anonymous_writes_are_refused(tabqa):
    assert APIClient().post(URL, {"town": "tabqa", "date": "2017-08-20"}, format="json").status_code in (401, 403)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"date": "2017-08-20"}, "town"),
        ({"town": "nowhere", "date": "2017-08-20"}, "town"),
        ({"town": "tabqa"}, "date"),
        ({"town": "tabqa", "date": "2017-13-45"}, "date"),
        ({"town": "tabqa", "date": "2999-01-01"}, "date"),
        ({"town": "tabqa", "date": "1800-01-01"}, "town"),  # nothing recorded then
        ({"town": "tabqa", "date": "2017-08-20", "sources": [999999]}, "sources"),
        ({"town": "tabqa", "date": "2017-08-20", "faction": "nobody"}, "faction"),
        ({"town": "tabqa", "date": "2017-08-20", "state": "retracted"}, "state"),
        ({"town": ["x"], "date": {"a": 1}}, "town"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(tabqa, editor, body, field):
    api = APIClient()
    api.force_authenticate(editor)
    answer = api.post(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json() or field == "date" and "confirmed_on" in answer.json(), answer.json()
    assert not Confirmation.objects.exists()


def test_published_directly_needs_a_source(tabqa, reviewer):
    api = APIClient()
    api.force_authenticate(reviewer)
    answer = api.post(URL, {"town": "tabqa", "date": "2017-08-20", "state": "published"}, format="json")
    assert answer.status_code == 400 and "sources" in answer.json()


def test_the_control_layer_carries_last_confirmed(tabqa, reviewer):
    api = APIClient()
    api.force_authenticate(reviewer)
    answer = api.post(
        URL,
        {"town": "tabqa", "date": "2017-08-20", "state": "published", "sources": [SourceFactory().pk]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    layer = APIClient().get("/api/control.geojson?date=2017-09-01")
    body = layer.json() if not layer.streaming else None
    props = body["features"][0]["properties"]
    # The day moves on to the confirmation's (the latest change date is 10 May), as to a change's.
    assert body["as_of"] == "2017-08-20"
    assert props["last_confirmed"] == "2017-08-20" and props["days_since_confirmed"] == 0
    before = APIClient().get("/api/control.geojson?date=2017-08-19").json()
    assert before["features"][0]["properties"]["last_confirmed"] == "2017-05-10"
    assert before["features"][0]["properties"]["days_since_confirmed"] == 0  # as_of is the change's day


def test_publishing_a_confirmation_moves_the_cached_layer(tabqa, editor, reviewer):
    url = "/api/control.geojson?date=2017-09-01"
    first = APIClient().get(url)
    assert first.json()["features"][0]["properties"]["last_confirmed"] == "2017-05-10"
    api = APIClient()
    api.force_authenticate(editor)
    pk = api.post(URL, {"town": "tabqa", "date": "2017-08-20", "sources": [SourceFactory().pk]}, format="json").json()[
        "id"
    ]
    assert APIClient().get(url).json()["features"][0]["properties"]["last_confirmed"] == "2017-05-10"  # a draft
    api.force_authenticate(reviewer)
    api.post(f"{URL}{pk}/publish/")
    again = APIClient().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again.json()["features"][0]["properties"]["last_confirmed"] == "2017-08-20"
