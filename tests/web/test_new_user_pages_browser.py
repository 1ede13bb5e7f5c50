"""The town, area and factions pages in a browser (issue 20): what they say, at 1366 and 360 px."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1366": {"width": 1366, "height": 900}, "360": {"width": 360, "height": 740}}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_town_page_shows_governorate_and_district(live_server, seeded, open_page, artifacts, width):
    page, watch = open_page(viewport=WIDTHS[width])
    page.goto(f"{live_server.url}/towns/uqayribat/")
    facts = page.locator("main > p", has_text="Governorate").inner_text()
    assert "Governorate: Hama" in facts and "District: As-Salamiyeh" in facts, facts
    assert page.get_attribute("a:text-is('Hama')", "href") == "/areas/hama/"
    page.screenshot(path=str(artifacts / f"town-uqayribat-{width}.png"), full_page=True)
    assert watch.page_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_area_shares_are_of_towns_with_a_record(live_server, seeded, open_page, artifacts, width):
    page, watch = open_page(viewport=WIDTHS[width])
    page.goto(f"{live_server.url}/areas/hama/?date=2014-01-01")
    assert page.locator("h2").first.inner_text().startswith("Share of towns with a record on 2014-01-01")
    assert "1 of 5 towns here has a record on this date; 4 have none" in page.locator(".recorded-count").inner_text()
    # The chart says its rule; its 2014 column is drawn, Islamic State's alone (see test_share_chart_browser).
    assert "not to time scale" in page.locator(".chart-note").inner_text()
    page.screenshot(path=str(artifacts / f"area-hama-{width}.png"), full_page=True)
    assert watch.page_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_factions_chart_note_draws_its_mark(live_server, seeded, open_page, artifacts, width):
    page, watch = open_page(viewport=WIDTHS[width])
    page.goto(f"{live_server.url}/factions/")
    note = page.locator(".chart-note").first
    assert "One column per date" in note.inner_text()
    assert "\u2afd" not in note.inner_text()
    note.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"factions-{width}.png"), full_page=True)
    assert watch.page_errors == []
