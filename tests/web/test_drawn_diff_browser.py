"""The what-changed page between two imported days of drawn areas, in a browser: the drawn km² section
(captured from whom, by drawing or towns) and its link to the towns against the drawn areas."""

import shutil

import pytest

from tests.theatres import test_drawn_areas as drawn_areas
from tests.theatres.test_drawn_areas import BE, SOURCE, import_daily
from tests.theatres.test_theatres import files  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
zenda, daily = drawn_areas.zenda, drawn_areas.daily
SHOT = "/tmp/polygon-diff-changes.png"  # kept for the change's note, beside the artifacts' copy


def test_what_changed_between_two_imported_days_shows_the_drawn_km2(live_server, open_page, artifacts, zenda, daily):
    import_daily(daily, *SOURCE, "--commit", "--publish")
    page, watch = open_page()
    page.goto(f"{live_server.url}/changes/?theatre=zenda&from=2021-05-01&to=2021-05-02")
    page.wait_for_selector("body[data-loaded-date]")
    section = page.locator("#drawn-change")
    assert section.is_visible()
    row = section.locator(f'table[data-layer="assessed"] tr[data-faction="{BE}"]')
    assert row.locator("td").nth(1).inner_text() == "2021-05-01 → 2021-05-02"
    assert "from Islamic State (its towns)" in section.inner_text()
    page.screenshot(path=str(artifacts / "polygon-diff-changes.png"), full_page=True)
    shutil.copy(artifacts / "polygon-diff-changes.png", SHOT)
    page.locator("#conflicts-link").click()
    page.wait_for_selector('tr[data-town="strel"]')
    assert watch.console_errors == [] and watch.page_errors == []
    assert watch.foreign_requests(live_server.url) == []
