"""Pages that hold at size: summed over time by the database, capped lists with links to the full
exports, paged lists, a town page that reads its own row, and queries that do not grow with the towns."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.core.cache import cache

from events import changes_page, page_data, selectors, territory
from events.models import ControlChange, Faction
from geodata.models import AdminArea, Town
from tests.factories import ControlChangeFactory, TownFactory

pytestmark = pytest.mark.django_db

SEED_DAYS = [dt.date(2017, 8, 31), dt.date(2017, 9, 1), dt.date(2017, 9, 2), dt.date(2017, 9, 3)]



def _slice_counts(on: dt.date) -> dict[str, int]:
    """Towns per class (faction slug, or contested) in the slice itself."""
    counted = Counter()
    for count in selectors.control_counts_as_of(on=on):
        if count.faction_slug is not None:
            contested = count.status == ControlChange.Status.CONTESTED
            counted[territory.CONTESTED if contested else count.faction_slug] += count.towns
    return dict(counted)


def _chart_counts(on: dt.date) -> dict[str, int]:
    rows = territory.territory_over_time().at(on)
    return {k: int(v) for k, v in rows["towns"].items() if v}


@pytest.mark.parametrize("on", SEED_DAYS)
def test_factions_charts_equal_the_slice_on_the_seeds_exact_dates(client, seeded, on):
    assert _chart_counts(on) == _slice_counts(on)


def test_uqayribats_three_changes_move_it_between_classes_on_the_charts(seeded):
    uqayribat = Town.objects.get(slug="uqayribat")
    held = {on: selectors.control_as_of(on=on, towns=Town.objects.filter(pk=uqayribat.pk)).row_for(uqayribat)
            for on in SEED_DAYS}
    # IS until 31 August, then the government (1 Sept), contested (2 Sept), the government (3 Sept).
    assert held[SEED_DAYS[0]].faction_slug == "islamic-state"
    assert held[SEED_DAYS[2]].status == ControlChange.Status.CONTESTED
    before, contested, after = (_chart_counts(on) for on in SEED_DAYS[1:])
    assert contested[territory.CONTESTED] == before.get(territory.CONTESTED, 0) + 1
    assert after.get(territory.CONTESTED, 0) == contested[territory.CONTESTED] - 1


def test_a_superseded_and_a_retracted_change_are_not_counted(client, seeded):
    hama = AdminArea.objects.get(slug="hama")
    wrong, right = Faction.objects.get(slug="islamic-state"), Faction.objects.get(slug="pro-government")
    corrected, retracted = TownFactory(admin_area=hama), TownFactory(admin_area=hama)
    old = ControlChangeFactory(town=corrected, faction=wrong, effective_date=dt.date(2017, 9, 2))
    ControlChangeFactory(town=corrected, faction=right, effective_date=dt.date(2017, 9, 2), supersedes=old)
    ControlChangeFactory(town=retracted, faction=wrong, effective_date=dt.date(2017, 9, 2), state="retracted")
    on = dt.date(2017, 9, 2)
    counts = _chart_counts(on)
    assert counts == _slice_counts(on)
    cache.clear()
    # The page's table and its charts read the same: the correction counts, the two others do not.
    response = client.get("/factions/")
    table = {row["faction"].slug: row["towns"] for row in response.context["factions"]}
    latest = _slice_counts(selectors.latest_change_date())
    assert {k: v for k, v in table.items() if v} == {k: v for k, v in latest.items() if k != territory.CONTESTED}
    step, shares = territory.area_shares_over_time(area=hama)
    sep_2 = dict(shares)[on]
    expected = territory.province_control_as_of(on=on).set_index("slug").loc["hama", "shares"]
    assert sep_2 == pytest.approx(expected)


def test_factions_page_says_what_a_point_is_and_its_km2_are_the_maps(client, seeded):
    response = client.get("/factions/")
    html = response.content.decode()
    assert "Each point is control at the end of a date on which control changed." in html
    on = response.context["on"]
    areas = territory.control_areas_as_of(on=on).set_index("faction")["area_km2"].to_dict()
    table = {row["faction"].slug: row["area_km2"] for row in response.context["factions"] if row["area_km2"]}
    contested = response.context["contested"]["area_km2"]
    assert {**table, **({territory.CONTESTED: contested} if contested else {})} == pytest.approx(areas)


def test_a_month_step_is_said_on_the_page(client, seeded, monkeypatch):
    monkeypatch.setattr("events.territory.over_time.MAX_POINTS", 2)
    html = client.get("/factions/").content.decode()
    assert "one point per month" in html or "one point per year" in html


def test_what_changed_lists_the_first_towns_and_links_the_full_exports(client, seeded, monkeypatch):
    monkeypatch.setattr(changes_page, "TOWNS_SHOWN", 1)
    response = client.get("/changes/?from=2017-08-31&to=2017-09-01")
    assert response.status_code == 200
    assert response.context["handovers_total"] == 2 and len(response.context["handovers"]) == 1
    html = response.content.decode()
    assert "2 towns changed controller; the first 1 by date are listed here" in html
    assert 'href="/api/changes.csv?from=2017-09-01&amp;to=2017-09-01"' in html
    assert 'href="/api/changes.geojson?from=2017-09-01&amp;to=2017-09-01"' in html
    by_faction = {r["faction"].slug: r for r in response.context["by_faction"]}
    assert by_faction["pro-government"]["gained"] >= 1 and by_faction["islamic-state"]["lost"] >= 1
    assert sum(r["changed_hands"] + r["first"] for r in response.context["by_area"]) == 2


def test_what_changed_loads_its_map_by_url_and_inlines_no_layer(client, seeded):
    response = client.get("/changes/?from=2017-08-31&to=2017-09-03")
    html = response.content.decode()
    script = response.context["map"].script
    # The map's layers start empty: no town, no area is in the page's map code.
    assert '"features": []' in script and '"town_id"' not in script and '"area_km2"' not in script
    config = re.search(r'<script id="changes-map-config" type="application/json">(.*?)</script>', html, re.S)
    assert '"date": "2017-09-03"' in config.group(1) and "/api/control-areas.geojson" in config.group(1)
    assert "js/layerload.js" in html and "js/changespage.js" in html


def test_what_changed_pages_the_periods_changes(client, seeded, monkeypatch):
    monkeypatch.setattr(changes_page, "CHANGES_PER_PAGE", 2)
    url = "/changes/?from=2017-08-30&to=2017-09-03"
    first, second = client.get(url), client.get(url + "&page=2")
    total = first.context["changes"].paginator.count
    assert total > 2 and len(first.context["changes"]) == 2
    assert {c.pk for c in first.context["changes"]}.isdisjoint(c.pk for c in second.context["changes"])
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' in second.content.decode()
    assert client.get(url + "&page=nope").status_code == 200
    assert client.get(url + "&page=99999").context["changes"].number == first.context["changes"].paginator.num_pages


def test_area_page_pages_its_towns(client, seeded, monkeypatch):
    monkeypatch.setattr(page_data, "TOWNS_PER_PAGE", 2)
    first = client.get("/areas/hama/?date=2017-09-02")
    second = client.get("/areas/hama/?date=2017-09-02&page=2")
    assert len(first.context["towns"]) == 2
    assert {r["town"].pk for r in first.context["towns"]}.isdisjoint(r["town"].pk for r in second.context["towns"])
    html = first.content.decode()
    assert 'rel="next"' in html and "/api/towns?governorate=hama" in html


def test_town_page_maps_its_own_row_only(client, seeded):
    response = client.get("/towns/uqayribat/")
    towns = response.context["layers"]["towns"]["features"]
    assert [f["properties"]["name"] for f in towns] == ["Uqayribat"]
    assert towns[0]["properties"]["faction"] == "pro-government"


def _add_towns(count: int) -> None:
    hama, faction = AdminArea.objects.get(slug="hama"), Faction.objects.get(slug="islamic-state")
    for i in range(count):
        town = TownFactory(admin_area=hama, latitude=35.0 + i * 0.01, longitude=37.0)
        ControlChangeFactory(town=town, faction=faction, effective_date=dt.date(2017, 9, 1) + dt.timedelta(days=i % 3))


@pytest.mark.parametrize("url", [
    "/factions/", "/changes/?from=2017-08-31&to=2017-09-03", "/areas/hama/?date=2017-09-03", "/towns/uqayribat/",
])
def test_queries_do_not_grow_with_the_towns(client, seeded, url, django_assert_max_num_queries):
    cache.clear()
    with django_assert_max_num_queries(200) as before:
        assert client.get(url).status_code == 200
    _add_towns(12)
    cache.clear()
    # The diff probes the sites its start slice leaves unsettled (events.territory.cells._site_ids): the
    # seed's slice settles all, so no query; the towns added here, first recorded later, take one, however many.
    unsettled_probe = 1 if url.startswith("/changes/") else 0
    with django_assert_max_num_queries(len(before.captured_queries) + unsettled_probe):
        assert client.get(url).status_code == 200
