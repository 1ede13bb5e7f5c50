"""The map's legend can fade towns not confirmed for STALE_AFTER_DAYS days (off at first), and states the rule."""

import datetime as dt

import pytest

from events import geojson
from tests.web.maptowns import town_drawn, wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATE = "2017-09-02"


def test_the_toggle_fades_stale_towns_only(live_server, seeded, open_page, artifacts, settings):
    settings.STALE_AFTER_DAYS = 90
    towns = geojson.control_feature_collection(on=dt.date(2017, 9, 2))["features"]
    days = {f["properties"]["name"]: f["properties"]["days_since_confirmed"] for f in towns}
    stale = next(name for name, n in days.items() if n is not None and n > 90)
    fresh = next(name for name, n in days.items() if n is not None and n <= 90)
    page, watch = open_page()
    page.goto(f"{live_server.url}/?date={DATE}")
    page.wait_for_selector(f'body[data-loaded-date="{DATE}"]')
    wait_town(page, stale)
    toggle = page.locator(".cm-legend .cm-fade-stale")
    assert not toggle.is_checked()  # off at first: the map shows control as it stands
    assert "Fade towns not confirmed for 90 days" in page.locator(".cm-legend-stale").inner_text()
    assert "more than 90 days before the date shown" in page.locator(".cm-legend-stale-rule").inner_text()
    before = town_drawn(page, stale)["fill_opacity"]
    toggle.check()
    assert town_drawn(page, stale)["fill_opacity"] < before
    assert town_drawn(page, fresh)["fill_opacity"] == before
    page.screenshot(path=str(artifacts / "map-stale-faded.png"))
    toggle.uncheck()
    assert town_drawn(page, stale)["fill_opacity"] == before
    assert watch.console_errors == [] and watch.page_errors == []
