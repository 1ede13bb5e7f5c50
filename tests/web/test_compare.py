"""The compare page (/compare/): two dates, the diff's km² beside them, the state in the URL; bad input named."""

import json
import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db


def _config(response) -> dict:
    found = re.search(
        r'<script id="compare-config" type="application/json">(.*?)</script>', response.content.decode(), re.DOTALL
    )
    return json.loads(found.group(1))


def test_compare_page_outlines_the_towns_that_changed_hands(client, seeded):
    response = client.get("/compare/?from=2017-08-31&to=2017-09-03")
    assert response.status_code == 200
    config = _config(response)
    assert (config["from"], config["to"]) == ("2017-08-31", "2017-09-03")
    assert "Uqayribat" in [t["name"] for t in config["changed"]]
    html = response.content.decode()
    assert 'class="data-table area-table"' in html  # the diff's km² per faction, as on the what-changed page
    assert "/changes/?from=2017-08-31&amp;to=2017-09-03" in html
    # The layers are the map page's, fetched by the page's script for each date.
    assert config["endpoints"]["areas"].startswith("/api/control-areas.geojson?layer=all")
    assert "js/comparemap.js" in html


def test_compare_page_from_after_to_is_swapped_with_a_note(client, seeded):
    response = client.get("/compare/?from=2017-09-03&to=2017-08-31")
    assert response.status_code == 400
    assert (_config(response)["from"], _config(response)["to"]) == ("2017-08-31", "2017-09-03")
    assert "is after 'to' (2017-08-31); showing them swapped" in unescape(response.content.decode())


@pytest.mark.parametrize("query", ["from=2999-01-01", "to=2999-01-01", "to=not-a-date", "from=2017-02-30"])
def test_compare_page_bad_dates_are_named(client, seeded, query):
    response = client.get(f"/compare/?{query}")
    assert response.status_code == 400
    text = unescape(response.content.decode())
    assert "in the future" in text or "is not a date" in text


def test_compare_page_unknown_theatre_is_a_404_naming_it(client, seeded):
    response = client.get("/compare/?theatre=<b>atlantis</b>")
    assert response.status_code == 404
    html = response.content.decode()
    assert "&lt;b&gt;atlantis&lt;/b&gt;" in html and "<b>atlantis" not in html


def test_compare_page_defaults_to_the_last_two_change_dates(client, seeded):
    config = _config(client.get("/compare/?to=2017-09-03"))
    assert (config["from"], config["to"]) == ("2017-09-02", "2017-09-03")


def test_map_menu_and_what_changed_link_to_compare(client, seeded):
    assert 'id="what-changed-compare" href="/compare/?from=2017-09-02&amp;to=2017-09-03"' in (
        client.get("/changes/?from=2017-09-02&to=2017-09-03").content.decode()
    )
    html = client.get("/?date=2017-09-02").content.decode()
    assert 'id="map-compare" href="/compare/?to=2017-09-02"' in html


def test_compare_page_with_nothing_recorded_is_not_an_error(client, db):
    response = client.get("/compare/")
    assert response.status_code == 200
    config = _config(response)
    assert config["from"] == config["to"] and config["changed"] == []


def test_compare_page_of_a_theatre_keeps_it_in_its_layers_and_links(client, seeded):
    response = client.get("/compare/?theatre=syria&from=2017-08-31&to=2017-09-03")
    assert response.status_code == 200
    config = _config(response)
    assert all("theatre=syria" in url for url in config["endpoints"].values())
    assert "/changes/?theatre=syria&amp;from=2017-08-31&amp;to=2017-09-03" in response.content.decode()
