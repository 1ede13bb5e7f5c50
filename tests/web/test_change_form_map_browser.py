"""The control-change form's map as an editor uses it (issue 20): boundaries, the chosen town named with
its neighbours, and a date the map cannot show said as such."""

import pytest

from geodata.models import Town
from tests.web.admin_login import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def _click_town(page, town: Town) -> None:
    page.evaluate("([lat, lon]) => window.__changeMap.setView([lat, lon], 11, {animate: false})",
                  [town.latitude, town.longitude])
    x, y = page.evaluate("""([lat, lon]) => {
        const map = window.__changeMap, box = map.getContainer().getBoundingClientRect();
        const p = map.latLngToContainerPoint([lat, lon]); return [box.x + p.x, box.y + p.y]; }""",
                         [town.latitude, town.longitude])
    page.mouse.click(x, y)


@pytest.mark.parametrize("width", [1366, 360])
def test_the_change_form_map_shows_boundaries_names_and_what_it_cannot_show(
        live_server, seeded, open_page, artifacts, width):
    page, watch = open_page(viewport={"width": width, "height": 900})
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/events/controlchange/add/")
    page.wait_for_selector("#change-map[data-loaded-date]")
    page.wait_for_selector("#change-map[data-outlines]")
    assert int(page.get_attribute("#change-map", "data-outlines")) > 0  # the governorates are drawn
    town = Town.objects.get(slug="uqayribat")
    _click_town(page, town)
    assert page.input_value("#id_town") == str(town.pk)
    labels = page.locator(".change-map-label").all_inner_texts()
    assert "Uqayribat" in labels and len(labels) > 1, labels  # the chosen town and its neighbours, named
    assert page.locator(".change-map-chosen").inner_text() == "Uqayribat"
    caption = page.inner_text("#change-map-caption")
    assert "Nearby: " in caption and " km)" in caption, caption
    page.locator("#change-map").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"admin-change-map-{width}.png"))

    # A date in the future: the towns layer refuses it (400); the map says so and what it shows instead.
    page.fill("#id_effective_date", "2030-01-01")
    page.dispatch_event("#id_effective_date", "change")
    status = page.locator("#change-map-status")
    status.filter(has_text="cannot show 2030-01-01").wait_for()
    assert "latest records" in status.inner_text()
    page.wait_for_function("document.querySelector('#change-map').dataset.loadedDate === 'latest'")
    assert "(latest records)" in page.inner_text("#change-map-caption")
    page.screenshot(path=str(artifacts / f"admin-change-map-future-{width}.png"), full_page=True)
    assert watch.page_errors == []
