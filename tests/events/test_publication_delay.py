"""Publication delay: a published change reaches anonymous readers only ``hours`` after it was published
(per faction or per area, a governorate's covering its districts); editors see it at once. Tested at
the exact boundary, through the rule, the map's layer (and its ETag and cache), the feed and the admin."""

import datetime as dt
import json
from unittest import mock

import feedparser
import pytest
from django.core.cache import cache

from events import selectors, services
from events.models import ControlChange, Faction, PublicationDelay
from geodata.models import Town
from tests.factories import SYSTEM, ControlChangeFactory, SourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]

D = dt.date
SECOND = dt.timedelta(seconds=1)
LAYER = "/api/control.geojson?date=2017-12-31"


def _at(moment: dt.datetime):
    """The clock reads ``moment`` (the rule, the middleware's pinned moment and the keys all ask it)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def town():
    return Town.objects.get(slug="uqayribat")


@pytest.fixture
def sdf():
    return Faction.objects.get(slug="sdf")


def _held(town, faction, hours_faction=None, hours_area=None, area=None) -> ControlChange:
    if hours_faction:
        PublicationDelay.objects.create(faction=faction, hours=hours_faction)
    if hours_area:
        PublicationDelay.objects.create(area=area, hours=hours_area)
    draft = ControlChangeFactory(
        town=town,
        faction=faction,
        effective_date=D(2017, 12, 1),
        state=ControlChange.State.DRAFT,
        sources=[SourceFactory()],
    )
    return services.control_change_publish(change=draft, by=SYSTEM)


def _faction_on_map(client, town) -> str:
    response = client.get(LAYER)
    assert response.status_code == 200, response.content
    body = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    return next(f["properties"]["faction"] for f in body["features"] if f["properties"]["name"] == town.name)


def test_the_publish_service_stores_when_the_public_sees_it(town, sdf):
    change = _held(town, sdf, hours_faction=6)
    assert change.public_from == change.reviewed_at + dt.timedelta(hours=6)
    undelayed = ControlChangeFactory(
        town=Town.objects.get(slug="raqqa"),
        effective_date=D(2017, 12, 2),
        faction=Faction.objects.get(slug="islamic-state"),
    )
    assert undelayed.public_from == undelayed.reviewed_at


def test_a_governorate_delay_covers_its_districts_towns_and_the_longest_delay_applies(town, sdf):
    district = town.admin_area
    governorate = district.parent or district
    PublicationDelay.objects.create(area=governorate, hours=48)
    change = _held(town, sdf, hours_faction=6)
    assert change.public_from == change.reviewed_at + dt.timedelta(hours=48)


def test_the_boundary_one_second_before_hidden_at_it_shown(town, sdf, client):
    before = _faction_on_map(client, town)
    change = _held(town, sdf, hours_faction=6)
    boundary = change.public_from
    with _at(boundary - SECOND):
        assert selectors.control_as_of(on=D(2017, 12, 31)).changes[town.pk].faction_id != sdf.pk
        assert _faction_on_map(client, town) == before
        hidden = client.get(LAYER)
    with _at(boundary):
        assert selectors.control_as_of(on=D(2017, 12, 31)).changes[town.pk].faction_id == sdf.pk
        assert _faction_on_map(client, town) == "sdf"  # the layer cached a second before is not served
        # A reader revalidating the copy they got a second before gets the new file, not a 304.
        again = client.get(LAYER, HTTP_IF_NONE_MATCH=hidden["ETag"])
        assert again.status_code == 200 and again["ETag"] != hidden["ETag"]
    with _at(boundary + dt.timedelta(days=3)):
        assert _faction_on_map(client, town) == "sdf"


def test_editors_see_a_delayed_change_at_once_and_their_answer_is_private(town, sdf, editor_client, client):
    change = _held(town, sdf, hours_faction=6)
    with _at(change.reviewed_at + SECOND):
        assert _faction_on_map(editor_client, town) == "sdf"
        assert "private" in editor_client.get(LAYER)["Cache-Control"]
        assert _faction_on_map(client, town) != "sdf"
        assert "private" not in client.get(LAYER)["Cache-Control"]


def test_the_review_pages_show_a_delayed_change_at_once(town, sdf, reviewer_client):
    change = _held(town, sdf, hours_faction=6)
    with _at(change.reviewed_at + SECOND):
        page = reviewer_client.get(f"/admin/events/controlchange/{change.pk}/change/")
        assert page.status_code == 200
        assert b"Public from" in page.content  # when anonymous readers will see it
        listing = reviewer_client.get(f"/admin/events/controlchange/?town__id__exact={town.pk}")
        assert f"/admin/events/controlchange/{change.pk}/change/".encode() in listing.content


def test_as_published_today_does_not_show_what_is_still_held_back(town, sdf, client):
    change = _held(town, sdf, hours_faction=6)
    with _at(change.reviewed_at + SECOND):
        today = change.reviewed_at.date().isoformat()
        response = client.get(f"{LAYER}&as_published={today}")
        body = json.loads(response.content)
        faction = next(f["properties"]["faction"] for f in body["features"] if f["properties"]["name"] == town.name)
        assert faction != "sdf"


def test_the_feed_gives_a_delayed_change_to_the_public_at_its_boundary(town, sdf, client, editor_client):
    change = _held(town, sdf, hours_faction=6)

    def titles(reader):
        cache.clear()
        return [e.title for e in feedparser.parse(reader.get("/feeds/changes.atom").content).entries]

    with _at(change.public_from - SECOND):
        assert not any(town.name in t and "SDF" in t for t in titles(client)), titles(client)
        assert any(town.name in t for t in titles(editor_client))
    with _at(change.public_from):
        assert any(town.name in t for t in titles(client))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"hours": "0"}, "greater than or equal to 1"),
        ({"hours": "-3"}, "greater than or equal to"),
        ({"hours": "soon"}, "Enter a whole number"),
        ({"hours": "9000"}, "less than or equal to 8760"),
        ({"hours": "5", "faction": None}, "either a faction or an area"),
        ({"hours": "5", "area": "both"}, "either a faction or an area"),
    ],
)
def test_bad_input_in_the_admin_is_refused_in_words(reviewer_client, sdf, town, data, error):
    form = {"faction": sdf.pk, "area": "", "reason": "asked by the unit", **data}
    if form["faction"] is None:
        form["faction"] = ""
    if form["area"] == "both":
        form["area"] = town.admin_area_id
    response = reviewer_client.post("/admin/events/publicationdelay/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert error in response.content.decode()
    assert not PublicationDelay.objects.exists()


def test_a_reviewer_sets_a_delay_in_the_admin_and_an_editor_cannot(reviewer_client, editor_client, sdf):
    refused = editor_client.post("/admin/events/publicationdelay/add/", {"faction": sdf.pk, "hours": "6"})
    assert refused.status_code == 403
    saved = reviewer_client.post("/admin/events/publicationdelay/add/", {"faction": sdf.pk, "hours": "6"})
    assert saved.status_code == 302
    assert PublicationDelay.objects.get().hours == 6


def test_revalidating_by_date_or_etag_at_the_boundary_gets_the_new_answer(town, sdf, client):
    change = _held(town, sdf, hours_faction=6)
    with _at(change.public_from - SECOND):
        layer, feed = client.get(LAYER), client.get("/feeds/changes.atom")
        assert client.get(LAYER, HTTP_IF_MODIFIED_SINCE=layer["Last-Modified"]).status_code == 304
        assert client.get("/feeds/changes.atom", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code == 304
    with _at(change.public_from + SECOND):
        assert client.get(LAYER, HTTP_IF_MODIFIED_SINCE=layer["Last-Modified"]).status_code == 200
        assert client.get("/feeds/changes.atom", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code == 200
        assert client.get("/feeds/changes.atom", HTTP_IF_MODIFIED_SINCE=feed["Last-Modified"]).status_code == 200
