"""The rule the painted areas follow is stated wherever km² are shown: the map, the factions page."""

import json

from events import territory
from tests.web.test_pages import _map_config


def test_the_map_and_the_factions_page_state_the_area_rule(client, seeded, settings):
    settings.CONTROL_AREA_RADIUS_KM = 15
    rule = territory.area_rule()["text"]
    assert "15" in rule
    page = client.get("/?date=2017-09-03")
    assert json.dumps(rule)[1:-1] in page.content.decode()  # in the map's config, which the legend shows
    assert client.get("/factions/").content.decode().count(rule) == 1
    assert _map_config(page)["date"] == "2017-09-03"
