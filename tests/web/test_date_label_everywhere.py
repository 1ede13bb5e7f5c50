"""One change, one date label: the API, the town page, the map's panel feed and layers, the other pages."""

import pytest

from geodata.models import Town

pytestmark = pytest.mark.django_db

# Uqayribat's seeded changes: approximate, a night, an unspecified part of day, a morning.
UQAYRIBAT_LABELS = {
    "2014-01-01": "about 2014",
    "2017-09-01": "1 September 2017, night",
    "2017-09-02": "2 September 2017",
    "2017-09-03": "3 September 2017, morning",
}


def _time(date: str) -> str:
    return f'<time datetime="{date}">{UQAYRIBAT_LABELS[date]}</time>'


def test_the_api_carries_the_label(client, seeded):
    results = client.get("/api/control-changes/", {"town": "uqayribat"}).json()["results"]
    assert {c["effective_date"]: c["date_label"] for c in results} == UQAYRIBAT_LABELS
    one = client.get(f"/api/control-changes/{results[1]['id']}/").json()
    assert one["date_label"] == "1 September 2017, night"


def test_the_panel_feed_carries_the_same_label(client, seeded):
    town = Town.objects.get(slug="uqayribat")
    history = client.get(f"/towns/{town.pk}/panel.json").json()["history"]
    assert {h["date"]: h["date_label"] for h in history} == UQAYRIBAT_LABELS


def test_the_town_page_shows_the_same_label(client, seeded):
    html = client.get("/towns/uqayribat/").content.decode()
    history = html.split('class="data-table history-table"')[1]
    for date in UQAYRIBAT_LABELS:
        assert _time(date) in history, date


def test_the_map_layer_says_since_with_the_same_label(client, seeded):
    town = Town.objects.get(slug="uqayribat")
    for date, label in UQAYRIBAT_LABELS.items():
        features = client.get("/api/control.geojson", {"date": date}).json()["features"]
        (props,) = [f["properties"] for f in features if f["properties"]["town_id"] == town.pk]
        assert props["since_label"] == label, date


def test_what_changed_and_the_governorate_page_show_the_same_label(client, seeded):
    changes = client.get("/changes/?from=2017-08-31&to=2017-09-03").content.decode()
    table = changes.split('class="data-table changes-table"')[1]
    for date in ("2017-09-01", "2017-09-02", "2017-09-03"):
        assert _time(date) in table, date
    area = client.get("/areas/hama/?date=2017-09-03").content.decode()
    row = area.split('<tr data-town="uqayribat">')[1].split("</tr>")[0]
    assert _time("2017-09-03") in row
