"""The diff page keeps conquest apart from bookkeeping and states the area rule (issue 12, items 2-3)."""


from events import territory


def test_the_page_states_the_rule_and_shows_the_conquest_apart(client, seeded):
    response = client.get("/changes/?from=2017-08-31&to=2017-09-03")
    assert response.status_code == 200
    html = response.content.decode()
    assert territory.area_rule()["text"] in html
    summary = response.context["territory"]
    taken = next(f for f in summary["changed_hands"] if f["from"]["faction"] == "islamic-state")
    assert taken["to"]["faction"] == "pro-government" and "uqayribat" in {t["slug"] for t in taken["towns"]}
    section = html.split('id="changed-hands"')[1].split("</ul>")[0]
    assert "Uqayribat" in section and "Islamic State" in section
    assert "None." in html.split('id="newly-recorded"')[1].split("</ul>")[0]


def test_a_first_snapshot_shows_as_newly_recorded_not_gained(client, seeded):
    response = client.get("/changes/?from=2016-12-31&to=2017-01-01")
    html = response.content.decode()
    assert "None." in html.split('id="changed-hands"')[1].split("</ul>")[0]
    newly = html.split('id="newly-recorded"')[1].split("</ul>")[0]
    assert "Homs" in newly and "Syrian government and allied forces" in newly
    rows = {r["faction"]: r for r in response.context["territory"]["factions"]}
    assert rows["pro-government"]["gained_km2"] == 0 and rows["pro-government"]["newly_recorded_km2"] > 0
