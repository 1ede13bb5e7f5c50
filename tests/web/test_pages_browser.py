"""The other pages and the downloaded map in a real browser: they work with nothing from outside."""

import pytest

from events.models import Faction
from geodata.models import Town

from .maptowns import towns_drawn, wait_town
from .test_map_browser import UQAYRIBAT, _fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shows_town_history(page):
    assert page.locator("h1").inner_text() == "Uqayribat"
    rows = page.locator("table.history-table tbody tr")
    assert rows.count() == 4 and all(rows.nth(i).is_visible() for i in range(4))
    assert towns_drawn(page) == 1  # the town on its small map


def _names_hama(page):
    assert page.locator("h1").inner_text().startswith("Hama")
    assert page.locator('tr[data-town="uqayribat"]').is_visible()


def _lists_uqayribat(page):
    assert page.get_by_role("link", name="Uqayribat").first.is_visible()
    # The map's layers come from the API by URL (none is inlined in the page), for the period's last date.
    page.wait_for_selector('body[data-loaded-date="2017-09-03"]')
    assert towns_drawn(page) == Town.objects.count()


def _draws_charts(page):
    charts = page.locator("svg.chart")
    assert charts.count() == 3 and charts.first.is_visible()
    assert charts.first.bounding_box()["height"] > 50


@pytest.mark.parametrize(
    ("path", "shot", "check"),
    [
        ("/towns/uqayribat/", "town-uqayribat.png", _shows_town_history),
        ("/areas/hama/?date=2017-09-02", "area-hama.png", _names_hama),
        ("/changes/?from=2017-08-31&to=2017-09-03", "what-changed.png", _lists_uqayribat),
        ("/factions/", "factions.png", _draws_charts),
    ],
)
def test_other_pages_work_offline(live_server, seeded, open_page, artifacts, path, shot, check):
    page, watch = open_page()
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")
    if page.locator(".folium-map").count():
        page.wait_for_selector(".folium-map .leaflet-control-scale")
    if page.locator("#changes-map-config").count():  # its layers come from the API after the page
        page.wait_for_selector("body[data-loaded-date]")
    page.screenshot(path=str(artifacts / shot), full_page=True)
    check(page)
    assert watch.console_errors == [] and watch.page_errors == []
    assert watch.foreign_requests(live_server.url) == []


def test_downloaded_map_works_from_a_file_with_no_server(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    response = page.request.get(f"{live_server.url}/map.html?date=2017-09-02")
    assert response.ok
    path = artifacts / "conflictmap-2017-09-02.html"
    path.write_bytes(response.body())
    page.goto(path.as_uri())
    wait_town(page, UQAYRIBAT)
    assert towns_drawn(page) == Town.objects.count()
    assert _fill(page, UQAYRIBAT) == Faction.objects.get(slug="islamic-state").colour.lower()
    assert page.locator(".cm-legend").count() == 1
    page.screenshot(path=str(artifacts / "download-2017-09-02.png"))
    fetched = [u for u in watch.requests if not u.startswith(("file://", "data:"))]
    assert fetched == []  # page.request is not the page's; the file itself asks nothing of anyone
    assert watch.console_errors == [] and watch.page_errors == []
