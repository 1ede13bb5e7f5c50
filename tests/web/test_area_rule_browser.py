"""The map's legend states the rule the painted areas follow, folded under "About these areas"."""

import pytest

from events import territory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_legend_states_the_area_rule(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    page.goto(f"{live_server.url}/?date=2017-09-02")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    about = page.locator(".cm-legend details.cm-legend-rule")
    assert about.locator("summary").inner_text() == "About these areas"
    about.locator("summary").click()
    assert about.locator("p").inner_text() == territory.area_rule()["text"]
    page.screenshot(path=str(artifacts / "map-area-rule.png"))
    assert watch.console_errors == [] and watch.page_errors == []
