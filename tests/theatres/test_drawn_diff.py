"""Control drawn as polygons, issue 22 items 4 and 5: towns against polygons (the conflicts page and API,
--derive-towns drafts) and km² gained and lost between two days from the polygons (territory-change's
``drawn``, the what-changed page), over the synthetic theatre Zenda and DeepState-like daily files."""

import datetime as dt

import pytest
import shapely
from pyproj import Geod
from rest_framework.test import APIClient

from events.drawn_models import DrawnArea
from events.models import ControlChange
from events.services.drawn_towns import drawn_towns_propose
from tests.theatres import test_drawn_areas as drawn_areas
from tests.theatres.test_drawn_areas import BE, BY, DAY2, DRAWN1, DRAWN2, SOURCE, deepstate, import_daily, isw, run
from tests.theatres.test_theatres import files  # noqa: F401  (the fixture)

zenda, daily = drawn_areas.zenda, drawn_areas.daily  # the items 1-3 tests' fixtures: Zenda, two daily files

GEOD = Geod(ellps="WGS84")


def geodesic_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def change(start: str, end: str) -> dict:
    response = APIClient().get("/api/territory-change.json", {"theatre": "zenda", "from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def drawn_rows(body: dict, layer: str = "assessed") -> dict:
    (found,) = [entry for entry in body["drawn"]["layers"] if entry["layer"] == layer]
    return {row["faction"]: row for row in found["factions"]}


def test_km2_gained_between_two_imported_days_match_a_geodesic_computation(zenda, daily):
    import_daily(daily, *SOURCE, "--commit", "--publish")
    body = change("2021-05-01", "2021-05-02")
    be = drawn_rows(body)[BE]
    assert (be["drawn_before"], be["drawn_after"]) == ("2021-05-01", "2021-05-02")
    assert be["before_km2"] == pytest.approx(geodesic_km2(DRAWN1), rel=0.005)
    assert be["after_km2"] == pytest.approx(geodesic_km2(DRAWN2), rel=0.005)
    assert be["gained_km2"] == pytest.approx(geodesic_km2(DRAWN2.difference(DRAWN1)), rel=0.005)
    assert be["lost_km2"] == 0 and be["newly_drawn_km2"] == 0 and be["no_longer_drawn_km2"] == 0
    # Whose land it was at the start: Islamic State's town-rule area (Strelsau's), and land nobody's towns reach.
    sides = {(f["faction"], f["basis"]): f["km2"] for f in be["gained_from"]}
    assert ("islamic-state", "towns") in sides
    assert sum(sides.values()) == pytest.approx(be["gained_km2"], rel=0.001)
    assert be["net_km2"] == pytest.approx(be["after_km2"] - be["before_km2"], abs=0.01)

    # A third day draws it back to the first day's area: lost, and to whom it is shown at the end.
    deepstate(daily / "deepstatemap_data_20210503.geojson", DRAWN1)
    import_daily(daily / "deepstatemap_data_20210503.geojson", *SOURCE, "--commit", "--publish")
    be = drawn_rows(change("2021-05-02", "2021-05-03"))[BE]
    assert be["gained_km2"] == 0
    assert be["lost_km2"] == pytest.approx(geodesic_km2(DRAWN2.difference(DRAWN1)), rel=0.005)
    sides = {(f["faction"], f["basis"]): f["km2"] for f in be["lost_to"]}
    assert ("islamic-state", "towns") in sides and sum(sides.values()) == pytest.approx(be["lost_km2"], rel=0.001)


def test_a_faction_drawn_for_the_first_time_is_newly_drawn_not_captured(zenda, daily):
    import_daily(daily, *SOURCE, "--commit", "--publish")
    be = drawn_rows(change("2021-04-30", "2021-05-02"))[BE]
    assert be["drawn_before"] is None and be["before_km2"] == 0
    assert be["gained_km2"] == 0 and be["gained_from"] == []
    assert be["newly_drawn_km2"] == pytest.approx(geodesic_km2(DRAWN2), rel=0.005)


def test_territory_change_is_byte_identical_where_nothing_is_drawn(zenda, daily):
    api = APIClient()
    query = {"theatre": "zenda", "from": "2021-03-01", "to": "2021-04-30"}
    before = api.get("/api/territory-change.json", query).content
    assert b'"drawn"' not in before
    import_daily(daily, *SOURCE, "--commit", "--publish")
    assert api.get("/api/territory-change.json", query).content == before  # no drawing in force on either day
    assert "drawn" in change("2021-04-30", "2021-05-01")


def test_overlays_are_their_own_layers_never_summed_into_assessed(zenda, tmp_path):
    advance = shapely.box(10.45, 0.6, 10.55, 1.0)
    claimed = shapely.box(10.45, 0.5, 10.9, 1.0)
    for day, grow in (("2021-05-01", 0.0), ("2021-05-02", 0.05)):
        path = isw(
            tmp_path / f"isw-{day}.geojson",
            [
                ({"layer": "Assessed Control", "date": day, "side": "Black Elphberg"}, DRAWN1),
                (
                    {"layer": "Assessed Advances", "date": day, "side": "Black Elphberg"},
                    shapely.box(10.45, 0.6, 10.55 + grow, 1.0),
                ),
                ({"layer": "Claimed", "date": day, "side": "Black Elphberg"}, claimed),
            ],
        )
        run(
            "import_control_areas",
            path,
            "--theatre",
            "zenda",
            "--layer-field",
            "layer",
            "--date-field",
            "date",
            "--faction-field",
            "side",
            *SOURCE,
            "--commit",
            "--publish",
        )
    body = change("2021-05-01", "2021-05-02")
    assessed = drawn_rows(body)[BE]
    # The assessed area did not move: no overlay's growth is counted in it.
    assert assessed["gained_km2"] == 0 and assessed["after_km2"] == pytest.approx(geodesic_km2(DRAWN1), rel=0.005)
    moved = drawn_rows(body, "advance")[BE]
    assert moved["before_km2"] == pytest.approx(geodesic_km2(advance), rel=0.005)
    assert moved["gained_km2"] == pytest.approx(geodesic_km2(shapely.box(10.55, 0.6, 10.6, 1.0)), rel=0.005)
    layers = {entry["layer"]: entry["overlay"] for entry in body["drawn"]["layers"]}
    assert layers == {"assessed": False, "advance": True, "claimed": True}
    assert drawn_rows(body, "claimed")[BE]["gained_km2"] == 0


def test_the_what_changed_page_shows_the_drawn_km2_and_links_the_conflicts(zenda, daily, client):
    import_daily(daily, *SOURCE, "--commit", "--publish")
    page = client.get("/changes/", {"theatre": "zenda", "from": "2021-05-01", "to": "2021-05-02"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="drawn-change"' in html and 'data-layer="assessed"' in html
    assert "Captured:" in html and "from Islamic State (its towns)" in html
    assert "/areas-conflicts/?theatre=zenda&amp;date=2021-05-02" in html
    plain = client.get("/changes/", {"theatre": "zenda", "from": "2021-03-01", "to": "2021-04-30"})
    assert 'id="drawn-change"' not in plain.content.decode()


def conflicts(**query) -> tuple[int, dict]:
    response = APIClient().get("/api/area-conflicts.json", {"theatre": "zenda", **query})
    return response.status_code, response.json()


def test_towns_inside_another_sides_drawn_area_are_listed_as_conflicts(zenda, daily, client):
    import_daily(daily, *SOURCE, "--commit", "--publish")
    status, body = conflicts(date="2021-05-01")
    assert status == 200 and body["count"] == 0  # the first drawing stops west of Strelsau
    status, body = conflicts(date="2021-05-02")
    assert status == 200 and body["count"] == 1
    (row,) = body["results"]
    assert row["town"]["slug"] == "strel"
    assert (row["recorded"]["faction"], row["recorded"]["since"]) == ("islamic-state", "2021-03-01")
    assert (row["drawn"]["faction"], row["drawn"]["drawn_on"]) == (BE, "2021-05-02")
    assert row["drawn"]["sources"][0]["publisher"] == "DeepState"
    assert conflicts()[1]["date"] == "2021-05-02"  # no date: the theatre's latest day
    page = client.get("/areas-conflicts/", {"theatre": "zenda", "date": "2021-05-02"})
    assert page.status_code == 200 and 'data-town="strel"' in page.content.decode()


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"date": "2021-13-01"}, "date"),
        ({"date": "2999-01-01"}, "date"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"theatre": "atlantis"}, "theatre"),
        ({"theatre": ""}, "theatre"),
    ],
)
def test_bad_conflict_parameters_are_400_naming_them(zenda, query, named, client):
    status, body = conflicts(**query)
    assert status == 400 and list(body) == [named]
    assert client.get("/areas-conflicts/", {"theatre": "zenda", **query}).status_code in (400, 404)


def test_an_empty_date_is_refused_by_the_api_and_read_as_none_by_the_page(zenda, daily, client):
    """The API's date is the schema's date: "no date" is said by leaving it out (an empty one was served
    as the default day, found by the schema fuzzer). The page's form sends an empty field: its default day."""
    import_daily(daily, *SOURCE, "--commit", "--publish")
    status, body = conflicts(date="")
    assert status == 400 and list(body) == ["date"] and "empty" in body["date"][0]
    page = client.get("/areas-conflicts/", {"theatre": "zenda", "date": ""})
    assert page.status_code == 200 and 'data-town="strel"' in page.content.decode()


def test_the_conflicts_page_escapes_what_it_shows(zenda, daily, client):
    import_daily(
        daily, "--source-title", "<script>alert(1)</script>", "--source-publisher", "<b>DS</b>", "--commit", "--publish"
    )
    html = client.get("/areas-conflicts/", {"theatre": "zenda", "date": "2021-05-02"}).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html and "<b>DS" not in html


def test_derive_towns_proposes_one_draft_per_town_citing_the_drawing_and_is_idempotent(zenda, daily):
    out, _ = import_daily(daily, *SOURCE, "--derive-towns")
    assert "town Strelsau: black-elphberg from 2021-05-02 (draft for review)" in out
    assert "Would propose 1 control change(s)" in out
    assert not ControlChange.objects.filter(state="draft").exists()

    out, _ = import_daily(daily, *SOURCE, "--commit", "--derive-towns")
    assert "Proposed 1 control change(s)" in out
    (draft,) = ControlChange.objects.filter(state="draft")
    assert (draft.town.slug, draft.faction.slug, draft.effective_date) == ("strel", BE, DAY2)
    assert [s.publisher for s in draft.sources.all()] == ["DeepState"]
    assert draft.history.exists()  # through the bulk write: audited as an import

    # Again, after import (the function): nothing new.
    again = drawn_towns_propose(areas=list(DrawnArea.objects.all()), by=BY, commit=True)
    assert again.proposed == [] and len(again.skipped) == 1
    assert ControlChange.objects.filter(state="draft").count() == 1
    # Published drawings later: still one draft per town.
    assert drawn_towns_propose(areas=[DrawnArea.objects.get(drawn_on=DAY2)], by=BY).proposed == []
    assert DrawnArea.objects.filter(drawn_on=dt.date(2021, 5, 1)).exists()
