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
