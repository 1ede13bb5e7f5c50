"""The map with towns that have no record: drawn small, faint and beneath, counted, hideable; and the
town search, which finds a town by its Arabic name or P-code and opens its panel."""

import datetime as dt

import pytest

from events.selectors import control_as_of
from geodata.models import Town
from tests.factories import TownFactory
from tests.web.admin_login import admin_login

from .maptowns import click_town, drawing_order, town_drawn, wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATE = "2017-09-02"


def _open(page, url):
    page.goto(url)
    page.wait_for_selector(f'body[data-loaded-date="{DATE}"]')
    wait_town(page, "Uqayribat")


def _panel_names(page, name):
    page.wait_for_function("name => document.querySelector('#panel-body h2')?.textContent === name", arg=name)


def test_unrecorded_towns_beneath_counted_and_hideable(live_server, seeded, open_page, artifacts):
    # A town with no record exactly where Uqayribat is, and one alone in the desert.
    TownFactory(name="Mazraa Under", latitude=35.0422, longitude=37.4628)
    TownFactory(name="Bir Alone", latitude=34.2, longitude=39.6)
    snapshot = control_as_of(on=dt.date.fromisoformat(DATE))
    recorded, unrecorded = len(snapshot.changes), len(snapshot) - len(snapshot.changes)
    assert unrecorded >= 2

    page, watch = open_page()
    _open(page, f"{live_server.url}/?date={DATE}")
    page.screenshot(path=str(artifacts / "map-seed-country.png"))

    # Every recorded town is painted after (above) every unrecorded one.
    order = drawing_order(page)
    assert len(order) == Town.objects.count()
    last_unrecorded = max(i for i, t in enumerate(order) if not t["recorded"])
    assert all(i > last_unrecorded for i, t in enumerate(order) if t["recorded"])
    under, over = town_drawn(page, "Mazraa Under"), town_drawn(page, "Uqayribat")
    assert under["radius"] < over["radius"] / 2 and under["fill_opacity"] < over["fill_opacity"]
    assert under["stroke_on"] is False and under["fill"] == "#9e9e9e"
    # A click where both are drawn is a click on the recorded town.
    click_town(page, "Mazraa Under")
    _panel_names(page, "Uqayribat")

    counts = page.locator(".cm-legend-counts")
    assert counts.get_attribute("data-recorded") == str(recorded)
    assert counts.get_attribute("data-unrecorded") == str(unrecorded)
    assert counts.inner_text() == f"{recorded} towns have a record on this date; {unrecorded} have none."

    # The lone unrecorded town answers a click while shown ...
    page.evaluate("conflictmap.registered.map.closePopup()")
    click_town(page, "Bir Alone")
    _panel_names(page, "Bir Alone")
    # ... and the toggle hides it: not painted, not clickable; recorded towns unchanged.
    page.locator(".cm-show-unrecorded").uncheck()
    hidden = town_drawn(page, "Bir Alone")
    assert hidden["filled"] is False and hidden["interactive"] is False
    assert town_drawn(page, "Uqayribat") == over
    page.evaluate("conflictmap.registered.map.closePopup()")
    click_town(page, "Uqayribat")
    _panel_names(page, "Uqayribat")
    # Hidden towns stay hidden on the next date; the counts follow the date.
    page.click("#tc-next")
    page.wait_for_selector('body[data-loaded-date="2017-09-03"]')
    assert town_drawn(page, "Bir Alone")["filled"] is False
    later = control_as_of(on=dt.date(2017, 9, 3))
    assert counts.get_attribute("data-recorded") == str(len(later.changes))
    page.locator(".cm-show-unrecorded").check()
    assert town_drawn(page, "Bir Alone")["filled"] is True
    assert watch.console_errors == [] and watch.page_errors == []


def test_search_finds_a_town_by_arabic_name_or_pcode_and_opens_its_panel(live_server, seeded, open_page, artifacts):
    Town.objects.filter(slug="hama").update(external_ids={"ocha": "C4268"})
    page, watch = open_page()
    _open(page, f"{live_server.url}/?date={DATE}")
    box = page.locator("#town-search input")
    box.fill("عقيربات")
    option = page.locator("#town-search li", has_text="Uqayribat")
    option.wait_for()
    assert "عقيربات" in option.inner_text()  # the name that matched is shown
    page.screenshot(path=str(artifacts / "map-search-arabic.png"))
    box.press("Enter")
    _panel_names(page, "Uqayribat")
    page.locator("#panel-body ol.history").wait_for()
    page.wait_for_function("location.search.includes('town=uqayribat')")
    zoom = page.evaluate("conflictmap.registered.map.getZoom()")
    centre = page.evaluate("conflictmap.registered.map.getCenter()")
    assert zoom >= 9 and abs(centre["lat"] - 35.0422) < 0.01 and abs(centre["lng"] - 37.4628) < 0.01
    # Zoomed in, the towns are named beside their dots.
    page.wait_for_selector(".town-label >> text=Uqayribat", state="attached")
    page.screenshot(path=str(artifacts / "map-search-found.png"))

    box.fill("c4268")  # an OCHA P-code, in any case
    page.locator("#town-search li", has_text="Hama").click()
    _panel_names(page, "Hama")
    box.fill("no such place")
    page.locator("#town-search li", has_text="No town is called").wait_for()
    assert watch.console_errors == [] and watch.page_errors == []




def test_admin_forms_find_a_town_by_arabic_name(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    admin_login(page, live_server.url)
    hama, uqayribat = Town.objects.get(slug="hama"), Town.objects.get(slug="uqayribat")

    # A control change's form: the town found becomes the change's town.
    page.goto(f"{live_server.url}/admin/events/controlchange/add/")
    page.fill("#town-search-input", "حماة")
    page.locator("#town-search li", has_text="Hama").wait_for()
    page.press("#town-search-input", "Enter")
    page.wait_for_function("id => document.getElementById('id_town').value === id", arg=str(hama.pk))
    assert "Hama" in page.locator(".field-town").inner_text()  # the autocomplete box shows it
    assert page.url.endswith("/admin/events/controlchange/add/")  # Enter did not submit the form
    page.screenshot(path=str(artifacts / "admin-change-town-search.png"))

    # A town's form: the town found opens its own form.
    page.goto(f"{live_server.url}/admin/geodata/town/{hama.pk}/change/")
    page.fill("#town-search-input", "عقيربات")
    page.locator("#town-search li", has_text="Uqayribat").click()
    page.wait_for_url(f"**/admin/geodata/town/{uqayribat.pk}/change/")
    assert page.input_value("#id_name") == "Uqayribat"
    assert watch.page_errors == []
