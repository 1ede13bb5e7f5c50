"""The map's small things (issue 12): a legend of the sides on the map that day, one governorate
popup with nothing cut off and no focus box, the boundaries' credit, a map on the add-change form."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from events import geojson, selectors
from geodata.models import Town
from tests.seed_theatre import OCHA_ATTRIBUTION

from .maptowns import wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open(page, url: str, date: str) -> None:
    page.goto(f"{url}/?date={date}")
    page.wait_for_selector(f'body[data-loaded-date="{date}"]')
    wait_town(page, "Uqayribat")


def _present(on: dt.date) -> set[str]:
    towns = geojson.control_feature_collection(on=on)["features"]
    areas = geojson.control_areas_feature_collection(on=on)["features"]
    present = {f["properties"]["faction"] for f in towns} | {f["properties"]["contested_by"] for f in towns}
    return (present | {f["properties"]["faction"] for f in areas}) - {None}


def _unrecorded(on: dt.date) -> int:
    return sum(1 for f in geojson.control_feature_collection(on=on)["features"] if not f["properties"]["faction"])


def _legend(page) -> set[str]:
    return set(page.eval_on_selector_all(
        ".cm-legend-row[data-faction]",
        "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.faction)"))


def test_the_legend_names_only_the_sides_on_the_map_that_day(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    first, last = selectors.change_dates()[0], selectors.change_dates()[-1]
    _open(page, live_server.url, first.isoformat())
    on_first = _legend(page)
    assert on_first == _present(first)
    # Towns with no record are named when the date has some (issue 21: only what the map shows).
    assert _unrecorded(first) and page.is_visible(".cm-legend-unrecorded")
    page.screenshot(path=str(artifacts / "legend-first-date.png"))
    _open(page, live_server.url, last.isoformat())
    assert _legend(page) == _present(last)
    assert on_first != _legend(page)  # the seed's sides change over time, and the legend follows
    # Every seed town has a record on the last date: no "no record" row then; unpainted land stays named.
    assert page.is_visible(".cm-legend-unrecorded") == bool(_unrecorded(last))
    assert page.is_visible(".cm-legend-unknown")
    assert OCHA_ATTRIBUTION in page.inner_text(".leaflet-control-attribution")
    assert watch.page_errors == []


def test_a_governorate_click_opens_one_popup_whole_and_without_a_focus_box(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    _open(page, live_server.url, "2017-09-03")
    # A point inside the governorate with the most sides, away from any town dot.
    x, y = page.evaluate("""() => {
        const map = conflictmap.registered.map, box = map.getContainer().getBoundingClientRect();
        let best = null;
        conflictmap.registered.layers.provinces.eachLayer(l => {
            const n = Object.keys(l.feature.properties.shares || {}).length;
            const b = l.getBounds(), size = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
            if (!best || n > best.n || (n === best.n && size > best.size)) best = {l, n, size};
        });
        const b = best.l.getBounds(), towns = conflictmap.registered.layers.towns.getLayers();
        for (let i = 1; i < 400; i++) {
            const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * ((i * 37) % 100) / 100,
                                b.getWest() + (b.getEast() - b.getWest()) * ((i * 61) % 100) / 100);
            const p = map.latLngToContainerPoint(ll);
            const inside = document.elementsFromPoint(box.x + p.x, box.y + p.y)
                .find(el => el === best.l.getElement());
            const far = towns.every(t => map.latLngToContainerPoint(t.getLatLng()).distanceTo(p) > 15);
            if (far && inside) return [box.x + p.x, box.y + p.y];
        }
        return null;
    }""")
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_selector(".leaflet-popup")
    page.mouse.move(x + 2, y + 2)
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "governorate-popup.png"))
    assert page.locator(".leaflet-popup").count() == 1
    assert page.locator(".leaflet-tooltip").count() == 0
    content = page.locator(".leaflet-popup-content")
    assert "%" in content.inner_text()
    # Nothing cut: every line fits in the popup's width.
    assert page.evaluate("""() => [...document.querySelectorAll('.leaflet-popup-content *')]
        .concat([document.querySelector('.leaflet-popup-content')])
        .every(el => el.scrollWidth <= el.clientWidth + 1 || el.clientWidth === 0)""")
    assert page.evaluate("""() => {
        const box = document.querySelector('.leaflet-popup-content').getBoundingClientRect();
        return [...document.querySelectorAll('.province-share')]
            .every(r => r.getBoundingClientRect().right <= box.right + 1); }""")
    focused = page.evaluate("() => { const a = document.activeElement; return a && a.tagName === 'path' ? "
                            "getComputedStyle(a).outlineStyle : 'none'; }")
    assert focused == "none"
    assert watch.page_errors == []


def test_the_add_change_form_has_a_map_to_choose_the_town(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    User.objects.create_superuser("boss", password="long-enough-test-password")  # noqa: S106
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "long-enough-test-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/events/controlchange/add/")
    page.wait_for_selector("#change-map[data-loaded-date]")
    assert int(page.get_attribute("#change-map", "data-towns")) == Town.objects.count()
    town = Town.objects.get(slug="uqayribat")
    # Zoom to the town, then click its dot: it becomes the change's town.
    page.evaluate("([lat, lon]) => window.__changeMap.setView([lat, lon], 11, {animate: false})",
                  [town.latitude, town.longitude])
    x, y = page.evaluate("""([lat, lon]) => {
        const map = window.__changeMap, box = map.getContainer().getBoundingClientRect();
        const p = map.latLngToContainerPoint([lat, lon]); return [box.x + p.x, box.y + p.y]; }""",
                         [town.latitude, town.longitude])
    page.mouse.click(x, y)
    assert page.input_value("#id_town") == str(town.pk)
    assert "Uqayribat" in page.inner_text("#change-map-caption")
    assert "Uqayribat" in page.inner_text(".field-town")  # the autocomplete box shows it too
    page.screenshot(path=str(artifacts / "admin-add-change-map.png"), full_page=True)
    assert watch.page_errors == []
