"""The compare page in a real browser: both dates' towns, the divider moved by keyboard and by the range, the
towns that changed hands ringed, and two maps in step on a narrow screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/compare/?from=2017-08-31&to=2017-09-03"


def _loaded(page):
    page.wait_for_selector('body[data-loaded="2017-08-31/2017-09-03"]', state="attached")


def _clip(page, pane: str) -> str:
    return page.evaluate(f"window.getComputedStyle(document.querySelector('.leaflet-{pane}-pane')).clipPath")


def test_compare_swipes_between_the_two_dates(live_server, open_page, artifacts, seeded):
    page, watch = open_page(viewport={"width": 1366, "height": 900})
    page.goto(live_server.url + URL)
    _loaded(page)
    box = page.locator("#compare-map")
    assert int(box.get_attribute("data-before-towns")) == 42 and int(box.get_attribute("data-after-towns")) == 42
    assert page.evaluate("document.body.dataset.compareMode") == "swipe"
    # Uqayribat changed hands between the dates: it is ringed, its tooltip naming both sides.
    assert int(box.get_attribute("data-changed")) >= 1
    assert page.locator("path.compare-changed").count() == int(box.get_attribute("data-changed"))
    assert page.locator("path.compare-changed-uqayribat").count() == 1
    left = _clip(page, "cmp-towns")
    assert left.startswith("polygon(") and _clip(page, "cm-towns").startswith("polygon(")
    # The divider moves by keyboard (and says where it is); the URL's hash keeps its place.
    page.focus("#compare-divider")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#compare-divider", "aria-valuenow") == "40"
    assert page.input_value("#compare-range") == "40"
    assert page.url.endswith("#divider=40")
    assert _clip(page, "cmp-towns") != left
    page.keyboard.press("Shift+ArrowRight")
    assert page.get_attribute("#compare-divider", "aria-valuenow") == "50"
    page.fill("#compare-range", "30")  # the range input moves it too
    assert page.get_attribute("#compare-divider", "aria-valuenow") == "30"
    # The km² table beside the map, and the way to the town-by-town list.
    assert page.locator(".compare-table .area-table tbody tr").count() >= 1
    page.screenshot(path="/tmp/compare.png")
    page.screenshot(path=str(artifacts / "compare-1366.png"))
    # A shared URL with the hash opens with the divider there.
    page.goto(live_server.url + URL + "#divider=70")
    _loaded(page)
    assert page.get_attribute("#compare-divider", "aria-valuenow") == "70"
    assert not watch.page_errors and not watch.console_errors
    assert not watch.foreign_requests(live_server.url)


def test_compare_on_a_narrow_screen_shows_two_maps_in_step(live_server, open_page, artifacts, seeded):
    page, watch = open_page(viewport={"width": 360, "height": 780})
    page.goto(live_server.url + URL)
    _loaded(page)
    assert page.evaluate("document.body.dataset.compareMode") == "two-maps"
    assert page.locator("#compare-before-map").is_visible() and page.locator("#compare-map").is_visible()
    assert not page.locator("#compare-divider").is_visible()
    assert page.locator("#compare-before-map .leaflet-cmp-towns-pane canvas").count() == 1
    # Both maps ring the towns that changed hands, and move together.
    assert page.locator("#compare-before-map path.compare-changed-uqayribat").count() == 1
    assert page.locator("#compare-map path.compare-changed-uqayribat").count() == 1
    page.evaluate("window.__compareBefore.setZoom(window.__compareBefore.getZoom() + 1, {animate: false})")
    main_zoom = page.evaluate("window.conflictmap.registered.map.getZoom()")
    assert main_zoom == page.evaluate("window.__compareBefore.getZoom()")
    page.screenshot(path=str(artifacts / "compare-360.png"), full_page=True)
    page.screenshot(path="/tmp/compare-360.png", full_page=True)
    assert not watch.page_errors and not watch.console_errors
