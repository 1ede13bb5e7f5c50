"""A second theatre's map in a real browser: it opens on the theatre's extent with its towns only."""

import pytest

from tests.factories import FactionFactory
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: the fixture)

from .maptowns import towns_drawn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_theatres_map_opens_on_its_extent_with_its_towns(live_server, open_page, artifacts, files):  # noqa: F811
    FactionFactory(slug="islamic-state", name="Islamic State", short_name="IS", colour="#262626")
    build_zenda(files)
    page, watch = open_page()
    page.goto(f"{live_server.url}/?theatre=zenda")
    page.wait_for_selector('body[data-loaded-date="2021-04-10"]')
    assert towns_drawn(page) == 3
    south, west, north, east = page.evaluate(
        """() => { const b = conflictmap.registered.map.getBounds();
                   return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }""")
    assert south <= 0.0 and west <= 10.0 and north >= 1.0 and east >= 11.0  # the governorates in view
    assert north - south < 5 and east - west < 10  # and not Syria's extent
    assert "Ruritania" in page.title() or "Ruritania" in page.content()
    page.screenshot(path=str(artifacts / "theatre-zenda.png"))
    assert not watch.page_errors and not watch.console_errors


def _legend(page) -> list[str]:
    """The legend's rows a reader sees (hidden rows left out), as text."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.cm-legend-row')].filter(r => r.offsetParent !== null)
                  .map(r => r.textContent.trim()).filter(Boolean)"""
    )


def _step_back(page, to: str) -> None:
    page.click("#tc-prev")
    page.wait_for_selector(f'body[data-loaded-date="{to}"]')


def test_the_legend_names_the_theatres_factions_on_the_date_and_the_switcher_changes_theatre(
    live_server, seeded, open_page, artifacts, files,  # noqa: F811
):
    build_zenda(files)
    page, watch = open_page()
    # Syria's map on a date: no faction of Zenda's only (it is in the page's palette, as every faction is).
    page.goto(f"{live_server.url}/?theatre=syria&date=2017-09-02")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    syria = _legend(page)
    assert any("Syrian Democratic Forces" in row for row in syria), syria
    assert not any("Black Elphberg" in row for row in syria)
    # Zenda's map: its two factions, none of Syria's only; every town recorded, so no "no record" row.
    page.goto(f"{live_server.url}/?theatre=zenda")
    page.wait_for_selector('body[data-loaded-date="2021-04-10"]')
    page.wait_for_selector("body[data-dates-loaded]")
    rows = _legend(page)
    factions = [r for r in rows if r in ("Islamic State", "Black Elphberg")]
    assert factions == ["Black Elphberg", "Islamic State"], rows
    assert not any(name in " ".join(rows) for name in ("Syrian Democratic Forces", "Syrian government", "Russia"))
    assert not any("Towns with no record" in r for r in rows) and not any("Contested town" in r for r in rows)
    # The switcher: a plain list of links, reached from the keyboard, the theatre shown marked.
    switcher = page.locator("nav.theatre-switcher")
    assert switcher.locator("a").all_inner_texts() == ["Ruritania", "Syria"]
    assert switcher.locator('a[aria-current="page"]').inner_text() == "Ruritania"
    page.screenshot(path="/tmp/theatre-pages-zenda.png")
    page.screenshot(path=str(artifacts / "theatre-pages-zenda.png"))
    # Back a change: Tarlenheim's Black Elphberg still, Zenda not yet recorded (the "no record" row appears).
    _step_back(page, "2021-03-02")
    rows = _legend(page)
    assert "Black Elphberg" in rows and any("Towns with no record" in r for r in rows), rows
    # Back to the first change: Black Elphberg holds nothing, so it leaves the legend.
    _step_back(page, "2021-03-01")
    rows = _legend(page)
    assert "Islamic State" in rows and "Black Elphberg" not in rows, rows
    page.focus("#tc-date")
    for _ in range(40):  # back from the time control, the keyboard reaches the switcher's links
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => document.activeElement.closest('nav.theatre-switcher') !== null"):
            break
    assert page.evaluate("() => document.activeElement.textContent") == "Syria"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/?theatre=syria")
    page.wait_for_selector('body[data-loaded-date]')
    assert not any("Black Elphberg" in row for row in _legend(page))
    assert not watch.page_errors and not watch.console_errors
