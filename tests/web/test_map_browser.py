"""The map in a real browser: colours by date, moving in time without a reload, nothing from outside."""

import datetime as dt
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from events.models import Faction, Source
from geodata.maps import TILE_PRESETS
from geodata.models import Town
from tests.factories import ControlChangeFactory, FactionFactory, TownFactory

from .maptowns import click_town, town_drawn, towns_drawn, wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UQAYRIBAT = "Uqayribat"


def _open_map(page, url: str, date: str) -> float:
    """Go to the map and wait until its layers hold ``date`` and the time control has its dates;
    seconds from request to data shown."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(f'body[data-loaded-date="{date}"]')
    wait_town(page, UQAYRIBAT)
    page.wait_for_selector("body[data-dates-loaded]")
    return time.perf_counter() - started


def _change_dates(page) -> list[str]:
    """The dates the page's time control fetched (the same URL, so the browser's cached answer)."""
    return page.evaluate("""() => fetch(JSON.parse(document.getElementById('map-config').textContent).datesUrl)
                                    .then(r => r.json()).then(body => body.dates)""")


def _fill(page, name: str) -> str:
    return town_drawn(page, name)["fill"]


def _download_links(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.downloads a')]
                                     .map(a => [a.id, a.getAttribute('href')]))"""
    )


def _layer_requests(watch, origin: str) -> list[str]:
    """The dates the page asked the towns layer for, in order (whatever else the URL carries, e.g. ?rev=)."""
    layer = urlsplit(origin + "/api/control.geojson")
    asked = [urlsplit(u) for u in watch.requests]
    return [parse_qs(u.query).get("date", [""])[0] for u in asked if (u.netloc, u.path) == (layer.netloc, layer.path)]


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_uqayribat_changes_hands_without_reload(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    is_colour = Faction.objects.get(slug="islamic-state").colour.lower()
    gov_colour = Faction.objects.get(slug="pro-government").colour.lower()
    assert is_colour != gov_colour

    _open_map(page, f"{live_server.url}/?date=2017-08-31", "2017-08-31")
    assert _fill(page, UQAYRIBAT) == is_colour
    assert _layer_requests(watch, live_server.url) == ["2017-08-31"]  # the towns layer fetched once to show it
    page.screenshot(path=str(artifacts / "map-2017-08-31.png"))

    # A marker set on the window survives only if the page is never reloaded.
    page.evaluate("window.__notReloaded = true")
    for _ in range(5):
        if page.input_value("#tc-date") >= "2017-09-01":
            break
        page.click("#tc-next")
        page.wait_for_selector(f'body[data-loaded-date="{page.input_value("#tc-date")}"]')
    assert page.input_value("#tc-date") == "2017-09-01"
    assert _fill(page, UQAYRIBAT) == gov_colour
    assert page.evaluate("window.__notReloaded") is True
    assert "date=2017-09-01" in page.url
    page.screenshot(path=str(artifacts / "map-2017-09-01.png"))
    # Every download link now offers the date shown.
    assert _download_links(page) == {
        "tc-download": "/map.html?date=2017-09-01",
        "dl-towns": "/api/control.geojson?date=2017-09-01&download=1",
        "dl-provinces": "/api/provinces.geojson?date=2017-09-01&download=1",
        "dl-areas": "/api/control-areas.geojson?date=2017-09-01&download=1",
        "dl-changes": "/api/changes.csv?from=2014-01-01&to=2017-09-01&download=1",
        "dl-timelapse": "/timelapse.gif?around=2017-09-01&download=1",
        "map-compare": "/compare/?to=2017-09-01",  # the menu's page link follows the date too
    }
    assert page.locator("#dl-changes").text_content() == "Every change from 2014-01-01 to 2017-09-01 (CSV)"
    page.click(".downloads summary")  # the list opens over the map, inside the window
    link = page.locator("#dl-changes").bounding_box()
    assert page.locator("#dl-changes").is_visible() and link["x"] >= 0 and link["x"] + link["width"] <= 1280
    page.screenshot(path=str(artifacts / "map-downloads.png"))
    page.click(".downloads summary")

    # The back button returns to the date before, again without a reload.
    page.go_back()
    page.wait_for_selector('body[data-loaded-date="2017-08-31"]')
    assert _fill(page, UQAYRIBAT) == is_colour
    assert page.evaluate("window.__notReloaded") is True

    assert watch.console_errors == [] and watch.page_errors == []
    assert watch.foreign_requests(live_server.url) == []


def test_map_on_2017_09_02_size_time_and_screenshot(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    seconds = _open_map(page, f"{live_server.url}/?date=2017-09-02", "2017-09-02")
    page.screenshot(path=str(artifacts / "map-2017-09-02.png"))
    # On 2 September IS held Uqayribat, contested by the government: an IS dot with a red ring.
    marker = town_drawn(page, UQAYRIBAT)
    assert marker["status"] == "contested" and marker["canvas"]
    assert _fill(page, UQAYRIBAT) == Faction.objects.get(slug="islamic-state").colour.lower()
    assert marker["stroke"] == Faction.objects.get(slug="pro-government").colour.lower()
    assert towns_drawn(page) == Town.objects.count() == 42
    assert page.locator(".cm-legend").inner_text().count("\n") >= 4
    _check_legend_draws_as_the_map(page)
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-layers").count() == 1
    # Governorate outlines carry a tooltip of control shares.
    page.evaluate(
        """() => conflictmap.registered.layers.provinces.eachLayer(
               l => { if (l.feature.properties.name === 'Hama') l.openTooltip(l.getCenter()); })"""
    )
    tip = page.locator(".leaflet-tooltip").inner_text()
    assert tip.startswith("Hama") and "Islamic State 20%" in tip and "Contested" in tip
    assert page.locator("path.leaflet-interactive").count() >= 14  # the governorates' outlines
    assert page.locator(".leaflet-pane canvas").count() == 1  # every town on one canvas

    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const res = performance.getEntriesByType('resource');
            return {
                html_bytes: nav.decodedBodySize,
                html_transfer_bytes: nav.transferSize,
                resources: res.map(r => [r.name, r.decodedBodySize]),
                total_bytes: nav.decodedBodySize + res.reduce((n, r) => n + r.decodedBodySize, 0),
                dom_content_loaded_ms: nav.domContentLoadedEventEnd - nav.startTime,
                load_ms: nav.loadEventEnd - nav.startTime,
            };
        }"""
    )
    timing["until_layers_shown_s"] = round(seconds, 3)
    (artifacts / "map-2017-09-02-metrics.json").write_text(json.dumps(timing, indent=2))
    print("\nmap on 2017-09-02:", json.dumps({k: v for k, v in timing.items() if k != "resources"}))

    # The page itself stays small: the towns come from the API, not embedded in the HTML.
    assert timing["html_bytes"] < 40_000
    assert watch.console_errors == [] and watch.page_errors == []
    assert watch.foreign_requests(live_server.url) == []


def _check_legend_draws_as_the_map(page):
    """Each side's legend row shows its town dot and its area as the map draws them."""
    drawn = page.evaluate(
        """() => {
            const out = {towns: {}, areas: {}};
            conflictmap.registered.layers.areas.eachLayer(l => {
                const el = l.getElement();
                out.areas[l.feature.properties.faction] = [el.getAttribute('fill').toLowerCase(),
                                                           el.getAttribute('fill-opacity')];
            });
            conflictmap.registered.layers.towns.eachLayer(l => {
                if (l.feature.properties.status !== 'contested')
                    out.towns[l.feature.properties.faction] = [l.options.fillColor.toLowerCase(),
                                                               String(l.options.fillOpacity)];
            });
            return out;
        }"""
    )
    legend = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.cm-legend-row[data-faction]')].map(row => {
            const dot = row.querySelector('.swatch-point circle'), area = row.querySelector('.swatch-area rect');
            return [row.dataset.faction, {
                dot: dot && [dot.getAttribute('fill').toLowerCase(), dot.getAttribute('fill-opacity')],
                area: [area.getAttribute('fill').toLowerCase(), area.getAttribute('fill-opacity')],
            }];
        }))"""
    )
    government = Faction.objects.get(slug="pro-government").colour.lower()
    assert drawn["areas"]["pro-government"][0] == government
    # The contested class (colour from the data, whatever it is) is on the map and in the legend.
    assert "contested" in drawn["areas"] and legend["contested"]["dot"] is None
    for faction, fill in drawn["areas"].items():
        assert legend[faction]["area"] == fill, faction
    for faction, fill in drawn["towns"].items():
        assert legend[faction]["dot"] == fill, faction
    # The ring example is drawn in palette colours (no colour of its own in the CSS).
    ring = page.locator(".cm-legend-ring circle").first
    colours = {c.lower() for c in Faction.objects.values_list("colour", flat=True)}
    assert ring.get_attribute("fill").lower() in colours and ring.get_attribute("stroke").lower() in colours
    assert ring.get_attribute("fill") != ring.get_attribute("stroke")


def test_slider_drag_is_one_history_entry_and_few_fetches(live_server, seeded, open_page):
    page, watch = open_page()
    _open_map(page, f"{live_server.url}/?date=2017-08-31", "2017-08-31")
    dates = _change_dates(page)
    assert dates[0] == "2014-01-01" and dates[-1] == "2017-09-03"
    # The slider moves by time, a day a step (issue 20).
    days = (dt.date.fromisoformat(dates[-1]) - dt.date.fromisoformat(dates[0])).days
    assert page.get_attribute("#tc-slider", "max") == str(days)
    entries, asked = page.evaluate("history.length"), len(_layer_requests(watch, live_server.url))
    page.evaluate("window.__notReloaded = true")

    box = page.locator("#tc-slider").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 9, y)  # on the thumb (2017-08-31, near the end)
    page.mouse.down()
    for step in range(8, -1, -1):  # drag through the period to its first day
        page.mouse.move(box["x"] + 2 + (box["width"] - 4) * step / 8, y, steps=3)
    page.mouse.up()
    page.wait_for_selector(f'body[data-loaded-date="{dates[0]}"]')
    assert page.input_value("#tc-date") == dates[0] and f"date={dates[0]}" in page.url

    fetched = _layer_requests(watch, live_server.url)[asked:]
    assert fetched[-1] == dates[0] and len(fetched) <= 2, fetched  # not one per date passed over
    assert page.evaluate("history.length") == entries + 1
    page.go_back()  # one step back is the date before the drag
    page.wait_for_selector('body[data-loaded-date="2017-08-31"]')
    assert page.evaluate("window.__notReloaded") is True
    assert watch.console_errors == [] and watch.page_errors == []


def test_typing_a_date_is_one_history_entry_and_no_fetch_per_digit(live_server, seeded, open_page):
    page, watch = open_page()
    _open_map(page, f"{live_server.url}/?date=2017-08-31", "2017-08-31")
    entries, asked = page.evaluate("history.length"), len(_layer_requests(watch, live_server.url))
    page.evaluate("window.__notReloaded = true")
    box = page.locator("#tc-date").bounding_box()
    page.mouse.click(box["x"] + 8, box["y"] + box["height"] / 2)  # the first field (month, in en-US)
    page.keyboard.type("09022017")  # Chromium takes each year digit as a date: 0002, 0020, 0201, 2017
    page.keyboard.press("Tab")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    assert "date=2017-09-02" in page.url
    fetched = _layer_requests(watch, live_server.url)[asked:]
    assert fetched[-1] == "2017-09-02" and not any(d.startswith("0") for d in fetched), fetched
    assert page.evaluate("history.length") == entries + 1
    page.go_back()
    page.wait_for_selector('body[data-loaded-date="2017-08-31"]')
    assert page.evaluate("window.__notReloaded") is True
    assert watch.console_errors == [] and watch.page_errors == []


def test_panel_recovers_from_a_failed_history_fetch(live_server, seeded, open_page):
    page, watch = open_page()
    _open_map(page, f"{live_server.url}/?date=2017-09-01", "2017-09-01")
    held = []
    page.route("**/panel.json", lambda route: held.append(route))  # answered only when the test says
    click_town(page, UQAYRIBAT)
    page.wait_for_function("document.querySelector('#panel-body h2')?.textContent === 'Uqayribat'")
    assert "Loading history" in page.locator("#panel-body").inner_text()

    # The date changes before the history arrived: the link must not name a town "null".
    page.click("#tc-next")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    assert "town=null" not in page.url and "date=2017-09-02" in page.url

    for route in held:
        route.abort()  # the network fails
    panel = page.locator("#panel-body")
    panel.locator(".error").wait_for()
    assert "Could not load the history" in panel.inner_text() and "Loading history" not in panel.inner_text()

    page.unroute("**/panel.json")  # the network is back: selecting the town again loads its history
    page.evaluate("conflictmap.registered.map.closePopup()")  # the first click's popup stands over the dot
    click_town(page, UQAYRIBAT)
    panel.locator("ol.history").wait_for()
    assert panel.locator("ol.history > li").count() == 4
    assert panel.locator(".error").count() == 0
    page.wait_for_function("location.search.includes('town=uqayribat')")
    assert watch.page_errors == []


def test_show_on_map_link_opens_town_panel(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    page.goto(f"{live_server.url}/towns/uqayribat/")
    page_labels = page.locator("table.history-table time").all_inner_texts()
    page.click("text=Show on map")
    page.wait_for_selector("body[data-loaded-date]")
    panel = page.locator("#panel-body")
    panel.locator("ol.history").wait_for()
    assert panel.locator("h2").inner_text() == "Uqayribat"
    assert "Oqeirbat" in panel.inner_text()
    assert panel.locator("ol.history > li").count() == 4
    # The page and the panel say each date in the same words (both from events.date_labels).
    assert panel.locator("ol.history time").all_inner_texts() == page_labels
    assert page_labels == ["about 2014", "1 September 2017, night", "2 September 2017", "3 September 2017, morning"]
    terms, values = panel.locator("dl.facts dt").all_inner_texts(), panel.locator("dl.facts dd").all_inner_texts()
    facts = dict(zip(terms, values, strict=True))
    assert facts["Since"] == "3 September 2017, morning"
    assert "since 3 September 2017, morning" in page.locator(".leaflet-popup-content").inner_text()
    assert "town=uqayribat" in page.url
    page.screenshot(path=str(artifacts / "map-town-panel.png"))
    assert watch.console_errors == [] and watch.page_errors == []


def test_hostile_names_show_as_text(live_server, seeded, open_page, artifacts):
    name = "<img src=x onerror=alert(1)>"
    town = TownFactory(name=name, alt_names=["<script>alert(2)</script>"], latitude=35.5, longitude=38.5)
    faction = FactionFactory(name="<b onmouseover=alert(3)>Bold</b>", slug="bold", colour="#00aa00")
    # A URL the services refuse, written straight to the table: data may carry it, no page may link it.
    source = Source.objects.create(publisher="Test Wire", title="<i>t</i>", url="javascript:alert(4)")
    ControlChangeFactory(town=town, faction=faction, effective_date="2017-08-01", sources=[source])

    page, watch = open_page()
    page.goto(f"{live_server.url}/?date=2017-09-02")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    wait_town(page, name)
    click_town(page, name)
    panel = page.locator("#panel-body")
    panel.locator("ol.history").wait_for()
    assert panel.locator("h2").inner_text() == name
    assert "<script>alert(2)</script>" in panel.inner_text()
    assert "<b onmouseover=alert(3)>Bold</b>" in panel.inner_text()
    assert panel.locator("a", has_text="<i>t</i>").count() == 0  # javascript: URL is not a link
    page.hover(".cm-legend")
    assert page.locator("img[src=x], b[onmouseover]").count() == 0
    assert watch.dialogs == []
    assert watch.foreign_requests(live_server.url) == []


def test_phone_width_map_first_then_panel(live_server, seeded, open_page, artifacts):
    page, watch = open_page(viewport={"width": 360, "height": 740})
    _open_map(page, f"{live_server.url}/?date=2017-09-02", "2017-09-02")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    map_box = page.locator(".folium-map").bounding_box()
    panel_box = page.locator(".panel").bounding_box()
    assert map_box["width"] >= 340 and map_box["height"] >= 300
    assert panel_box["y"] >= map_box["y"] + map_box["height"] - 1
    for button in ("#tc-prev", "#tc-next", "#tc-play", "#tc-date"):
        box = page.locator(button).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    # With the credits of the default (OpenStreetMap) tiles, which tests do not fetch, the scale bar
    # and the credits sit side by side.
    page.evaluate("a => conflictmap.registered.map.attributionControl.addAttribution(a)", TILE_PRESETS["osm"][1])
    scale = page.locator(".leaflet-control-scale").bounding_box()
    credits = page.locator(".leaflet-control-attribution").bounding_box()
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert not _boxes_overlap(scale, credits), (scale, credits)
    assert credits["x"] + credits["width"] <= 360
    page.screenshot(path=str(artifacts / "map-phone-2017-09-02.png"), full_page=True)
    # The download list opens within the screen.
    page.click(".downloads summary")
    assert page.locator("#dl-changes").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    link = page.locator("#dl-changes").bounding_box()
    assert link["x"] >= 0 and link["x"] + link["width"] <= 360
    page.screenshot(path=str(artifacts / "map-phone-downloads.png"), full_page=True)
    assert watch.console_errors == [] and watch.page_errors == []


def test_play_steps_through_the_changes_and_stops_at_the_last(live_server, seeded, open_page):
    page, watch = open_page()
    _open_map(page, f"{live_server.url}/?date=2017-09-01", "2017-09-01")
    page.evaluate("window.__notReloaded = true")
    seen = []
    page.expose_function("reportDate", lambda d: seen.append(d))
    page.evaluate(
        """() => new MutationObserver(() => window.reportDate(document.body.dataset.loadedDate || ''))
                 .observe(document.body, {attributes: true, attributeFilter: ['data-loaded-date']})"""
    )
    page.click("#tc-play")
    assert page.get_attribute("#tc-play", "aria-pressed") == "true"
    page.wait_for_selector('#tc-play[aria-pressed="false"]', timeout=20_000)
    assert [d for d in seen if d] == ["2017-09-02", "2017-09-03"]
    assert "date=2017-09-03" in page.url
    assert page.evaluate("window.__notReloaded") is True
    assert page.is_disabled("#tc-next")
    assert watch.console_errors == [] and watch.page_errors == []


def test_stepping_waits_for_the_change_dates_and_the_map_works_meanwhile(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    held = []
    page.route("**/api/change-dates.json*", lambda route: held.append(route))  # answered when the test says
    page.goto(f"{live_server.url}/?date=2017-09-01")
    page.wait_for_selector('body[data-loaded-date="2017-09-01"]')  # the map draws without the dates
    wait_town(page, UQAYRIBAT)
    status = page.locator("#tc-dates-status")
    assert status.is_visible() and status.inner_text() == "Loading dates…"
    for control in ("#tc-slider", "#tc-prev", "#tc-next", "#tc-play"):
        assert page.is_disabled(control), control
    assert page.get_attribute("#tc-slider", "aria-busy") == "true"
    page.screenshot(path=str(artifacts / "map-dates-loading.png"))
    # A date typed in the box shows meanwhile, as does a town's panel.
    page.fill("#tc-date", "2017-09-02")
    page.press("#tc-date", "Enter")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    click_town(page, UQAYRIBAT)
    page.wait_for_function("document.querySelector('#panel-body h2')?.textContent === 'Uqayribat'")

    assert len(held) == 1 and "rev=" in held[0].request.url
    held[0].continue_()
    page.unroute("**/api/change-dates.json*")  # later fetches (the test's own) go straight through
    page.wait_for_selector("body[data-dates-loaded]")
    assert status.is_hidden() and page.get_attribute("#tc-slider", "aria-busy") is None
    assert page.is_enabled("#tc-slider") and page.is_enabled("#tc-prev") and page.is_enabled("#tc-next")
    dates = _change_dates(page)
    first = dt.date.fromisoformat(dates[0])
    assert page.input_value("#tc-slider") == str((dt.date(2017, 9, 2) - first).days)
    # The keyboard steps the slider as before: one key, the next change date.
    page.focus("#tc-slider")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector('body[data-loaded-date="2017-09-03"]')
    assert page.input_value("#tc-date") == "2017-09-03" and "date=2017-09-03" in page.url
    assert page.is_disabled("#tc-next")
    assert watch.console_errors == [] and watch.page_errors == []


def test_without_the_change_dates_the_date_box_still_works(live_server, seeded, open_page):
    page, watch = open_page()
    page.route("**/api/change-dates.json*", lambda route: route.abort())
    page.goto(f"{live_server.url}/?date=2017-09-01")
    page.wait_for_selector('body[data-loaded-date="2017-09-01"]')
    status = page.locator("#tc-dates-status")
    status.filter(has_text="Could not load the change dates").wait_for()
    assert page.is_disabled("#tc-slider") and page.is_disabled("#tc-next") and page.is_disabled("#tc-play")
    page.fill("#tc-date", "2017-09-03")
    page.press("#tc-date", "Enter")
    page.wait_for_selector('body[data-loaded-date="2017-09-03"]')
    assert watch.page_errors == []
