"""GET /api/territory-change.json: the diff page's numbers with the rule they follow."""

import datetime as dt

import pytest

from events import territory
from events.territory import territory_between, territory_change_summary

URL = "/api/territory-change.json"


def test_serves_the_pages_numbers_with_the_rule_and_radius(client, seeded):
    response = client.get(URL, {"from": "2017-08-31", "to": "2017-09-03"})
    assert response.status_code == 200
    body = response.json()
    assert body["rule"] == territory.area_rule() and body["rule"]["radius_km"] == 15
    assert body["from"] == "2017-08-31" and body["to"] == "2017-09-03"
    expected = territory_change_summary(territory_between(start=dt.date(2017, 8, 31), end=dt.date(2017, 9, 3)))
    assert body == expected
    taken = [f for f in body["changed_hands"]
             if f["from"]["faction"] == "islamic-state" and f["to"]["faction"] == "pro-government"]
    assert len(taken) == 1 and "uqayribat" in {t["slug"] for t in taken[0]["towns"]}
    assert body["newly_recorded"] == [] and body["no_longer_recorded"] == []
    assert "ETag" in response
    assert client.get(URL, {"from": "2017-08-31", "to": "2017-09-03"},
                      HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_first_snapshot_is_newly_recorded_in_the_api_too(client, seeded):
    body = client.get(URL, {"from": "2016-12-31", "to": "2017-01-01"}).json()
    assert body["changed_hands"] == []
    assert {f["to"]["faction"] for f in body["newly_recorded"]} >= {"pro-government", "islamic-state", "sdf"}
    for row in body["factions"]:
        assert row["gained_km2"] == 0 and row["lost_km2"] == 0, row["faction"]


@pytest.mark.parametrize("query,parameter", [
    ({"from": "yesterday", "to": "2017-09-03"}, "from"),
    ({"from": "2017-08-31", "to": "2017-9-3"}, "to"),
    ({"to": "2017-09-03"}, "from"),
    ({"from": "2017-08-31"}, "to"),
    ({"from": "2017-09-03", "to": "2017-08-31"}, "from"),
])
def test_bad_parameters_are_a_400_naming_the_parameter(client, seeded, query, parameter):
    response = client.get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [parameter] and body[parameter][0]
