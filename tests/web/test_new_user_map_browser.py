"""The map as a new user meets it (issue 20): the legend on a phone, the outline layers, and a map
that says where, when and from whom."""

import pytest

from .maptowns import wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}


def _open(page, url: str, date: str = "2017-09-01") -> None:
    page.goto(f"{url}/?date={date}")
    page.wait_for_selector(f'body[data-loaded-date="{date}"]')
    wait_town(page, "Uqayribat")
    page.wait_for_selector("body[data-dates-loaded]")


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def _inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
def test_the_opened_legend_stays_inside_the_map_scrolls_and_closes(live_server, seeded, open_page, artifacts, viewport):
    page, watch = open_page(viewport=viewport)
    _open(page, live_server.url)
    legend = page.locator(".cm-legend")
    if not legend.evaluate("d => d.open"):
        page.click(".cm-legend > summary")
    assert legend.evaluate("d => d.open")
    page.wait_for_timeout(100)
    page.screenshot(path=str(artifacts / f"legend-open-{viewport['width']}.png"))

    map_box, legend_box = _box(page, ".map-wrap"), _box(page, ".cm-legend")
    assert _inside(legend_box, map_box), (legend_box, map_box)
    assert not _overlap(legend_box, _box(page, "#town-search input"))
    assert not _overlap(legend_box, _box(page, ".time-control"))
    # What does not fit scrolls inside the legend, the toggle staying in view.
    scroll = legend.evaluate("d => [d.scrollHeight, d.clientHeight, getComputedStyle(d).overflowY]")
    if scroll[0] > scroll[1] + 1:
        assert scroll[2] in ("auto", "scroll")
        legend.evaluate("d => { d.scrollTop = d.scrollHeight; }")
        summary = _box(page, ".cm-legend > summary")
        assert _inside(summary, _box(page, ".cm-legend"))
    # The same tap on the toggle closes it (nothing else takes the tap).
    summary = _box(page, ".cm-legend > summary")
    x, y = summary["x"] + 20, summary["y"] + summary["height"] / 2
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('.cm-legend') !== null", [x, y])
    page.mouse.click(x, y)
    assert not legend.evaluate("d => d.open")
    page.screenshot(path=str(artifacts / f"legend-closed-{viewport['width']}.png"))
    assert watch.page_errors == []


def test_districts_draw_when_ticked_and_the_boxes_say_what_is_drawn(live_server, seeded, open_page, artifacts):
    page, watch = open_page(viewport=DESKTOP)
    _open(page, live_server.url)
    page.hover(".leaflet-control-layers")
    labels = page.locator(".leaflet-control-layers-overlays label")
    districts = labels.filter(has_text="Districts").locator("input")
    provinces = labels.filter(has_text="Governorates").locator("input")
    assert provinces.is_checked() and not districts.is_checked()
    districts.check()
    page.wait_for_timeout(100)
    page.screenshot(path=str(artifacts / "layers-districts-1366.png"))
    drawn = page.evaluate("""() => { const r = conflictmap.registered;
        return {provinces: r.map.hasLayer(r.layers.provinces), districts: r.map.hasLayer(r.layers.districts)}; }""")
    # Every box says what is drawn.
    assert drawn == {"provinces": provinces.is_checked(), "districts": districts.is_checked()}
    assert drawn["districts"] is True
    districts.uncheck()
    drawn = page.evaluate("""() => { const r = conflictmap.registered;
        return {provinces: r.map.hasLayer(r.layers.provinces), districts: r.map.hasLayer(r.layers.districts)}; }""")
    assert drawn == {"provinces": provinces.is_checked(), "districts": False}
    assert watch.page_errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
def test_the_map_says_where_when_and_from_whom(live_server, seeded, open_page, artifacts, viewport):
    from events import selectors

    page, watch = open_page(viewport=viewport)
    _open(page, live_server.url)
    first, last = selectors.first_change_date(), selectors.latest_change_date()
    title = page.locator("h1.map-title").inner_text()
    assert "Syria" in title and str(first.year) in title and str(last.year) in title, title
    # The slider's ends carry the first and last dates, and the years between are marked along it.
    ends = page.locator(".tc-axis .tc-end").all_inner_texts()
    assert len(ends) == 2 and str(first.year) in ends[0] and str(last.year) in ends[1], ends
    years = page.locator(".tc-axis .tc-year").all_inner_texts()
    assert [str(y) for y in range(first.year + 1, last.year + 1)] == years
    # The slider moves by time: its middle is the middle of the period, not the middle change.
    page.eval_on_selector(
        "#tc-slider",
        """s => { s.value = Math.round(s.max / 2);
        s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }""",
    )
    middle = first + (last - first) / 2
    page.wait_for_function("d => document.querySelector('#tc-date').value <= d", arg=middle.isoformat())
    shown = page.input_value("#tc-date")
    dates = selectors.change_dates()
    assert shown == max(d for d in dates if d <= middle).isoformat()
    # The control data is credited beside the boundaries.
    credit = page.locator(".leaflet-control-attribution").inner_text()
    assert "OCHA" in credit and "Control" in credit, credit
    page.screenshot(path=str(artifacts / f"map-title-{viewport['width']}.png"))
    assert watch.page_errors == []
