"""GET /api/change-dates.json: the days the map's time control steps through, fetched by the page."""

import datetime as dt

from django.core.management import call_command

from events import selectors, services
from events.models import ControlChange

URL = "/api/change-dates.json"


def test_lists_the_published_change_dates_oldest_first(client, seeded, hidden_changes):
    response = client.get(URL)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    dates = response.json()["dates"]
    assert dates == [d.isoformat() for d in selectors.change_dates()]
    assert dates[0] == "2014-01-01" and dates[-3:] == ["2017-09-01", "2017-09-02", "2017-09-03"]
    assert dates == sorted(set(dates))
    # The draft (4 Sept), the rejected (5) and the retracted (6) change are on no public map.
    assert not {"2017-09-04", "2017-09-05", "2017-09-06"} & set(dates)


def test_the_last_date_is_the_default_date_of_the_map_and_the_layers(client, seeded):
    last = client.get(URL).json()["dates"][-1]
    assert last == str(selectors.latest_change_date())
    assert f'"date": "{last}"' in client.get("/").content.decode()


def test_a_url_naming_the_revision_is_immutable_and_a_write_moves_it(client, seeded, reviewer):
    revision = selectors.data_version()
    pinned = client.get(URL, {"rev": revision})
    assert "immutable" in pinned["Cache-Control"] and "max-age=31536000" in pinned["Cache-Control"]
    plain = client.get(URL)
    assert "no-cache" in plain["Cache-Control"] and "immutable" not in plain["Cache-Control"]
    assert plain.content == pinned.content and plain["ETag"] == pinned["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304

    latest = ControlChange.objects.get(town__slug="kabajib", effective_date=dt.date(2017, 9, 3))
    services.control_change_retract(change=latest, by=reviewer, reason="unsourced")
    assert "immutable" not in client.get(URL, {"rev": revision})["Cache-Control"]  # an old revision's URL
    fresh = client.get(URL, HTTP_IF_NONE_MATCH=plain["ETag"])
    assert fresh.status_code == 200 and fresh["ETag"] != plain["ETag"]
    assert fresh.json()["dates"][-1] == "2017-09-03"  # Uqayribat's change of that day is still in force
    page_config_url = f"{URL}?rev={selectors.data_version()}"
    assert page_config_url in client.get("/").content.decode()


def test_the_endpoint_is_in_the_api_schema(seeded, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert f"  {URL}:" in schema and "operationId: change_dates" in schema
