"""Control drawn as polygons on the map: the drawn area painted in place of the town rule, an overlay
hatched, and the legend naming each drawing (its day and age) and stating the rule."""

import io
import json

import pytest
import shapely
from django.core.management import call_command

from events import territory
from tests.factories import FactionFactory
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _file(path, props, geom):
    feature = {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return str(path)


def test_the_map_paints_a_drawn_area_hatches_an_overlay_and_the_legend_says_so(
    live_server,
    open_page,
    artifacts,
    files,  # noqa: F811
    tmp_path,
):
    FactionFactory(slug="islamic-state", name="Islamic State", short_name="IS", colour="#262626")
    build_zenda(files)
    common = [
        "--theatre",
        "zenda",
        "--faction",
        "black-elphberg",
        "--date",
        "2021-05-02",
        "--commit",
        "--publish",
        "--source-title",
        "Daily map",
        "--source-publisher",
        "DeepState",
    ]
    drawn = _file(tmp_path / "drawn.geojson", {}, shapely.box(10.0, 0.55, 10.6, 1.0))
    advance = _file(tmp_path / "advance.geojson", {}, shapely.box(10.6, 0.55, 10.8, 1.0))
    for path, layer in ((drawn, "assessed"), (advance, "advance")):
        call_command("import_control_areas", path, *common, "--layer", layer, stdout=io.StringIO())
    page, watch = open_page()
    page.goto(f"{live_server.url}/?theatre=zenda&date=2021-05-05")
    rows = page.locator(".cm-legend-drawn-rows .cm-legend-drawn")
    rows.first.wait_for()
    texts = rows.all_inner_texts()
    assert any("Black Elphberg: drawn map of 2021-05-02 (DeepState), 3 days old" in t for t in texts), texts
    assert any("assessed advances (2021-05-02), hatched, not counted in km²" in t for t in texts), texts
    # The overlay is filled with its hatch pattern, not a flat colour.
    fills = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-cm-areas-pane path')].map(p => p.getAttribute('fill'))"
    )
    assert any(f and f.startswith("url(#cm-hatch-") for f in fills), fills
    about = page.locator(".cm-legend details.cm-legend-rule")
    about.locator("summary").click()
    assert about.locator(".cm-legend-drawn-rule").inner_text() == territory.DRAWN_RULE
    page.screenshot(path=str(artifacts / "map-drawn-areas.png"))
    assert not watch.page_errors and not watch.console_errors
