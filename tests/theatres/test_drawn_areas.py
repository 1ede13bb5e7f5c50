"""Control drawn as polygons (issue 22 items 1-3): DeepState-like daily files and ISW-like layered files
imported into the synthetic theatre Zenda, reviewed like changes, and shown with the town rule."""

import datetime as dt
import io
import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from events.drawn_models import DrawnArea
from events.models import Source
from events.permissions import SystemActor
from events.services.drawn_areas import drawn_area_publish, drawn_area_reject, drawn_area_retract
from geodata.selectors import revision_current
from tests.factories import FactionFactory
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (the fixture)

BY = SystemActor("test")
BE = "black-elphberg"
# Black Elphberg draws its hold on the west of North March; the next day a wider one.
DAY1, DAY2 = dt.date(2021, 5, 1), dt.date(2021, 5, 2)
DRAWN1 = shapely.box(10.0, 0.6, 10.45, 1.0)
DRAWN2 = shapely.box(10.0, 0.55, 10.6, 1.0)
SOURCE = [
    "--source-title",
    "Daily map",
    "--source-publisher",
    "DeepState",
    "--source-url",
    "https://deepstatemap.live/",
]


def deepstate(path, geom) -> str:
    """As DeepState archives keep it: a FeatureCollection with one MultiPolygon and no properties."""
    multi = shapely.MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom
    body = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(multi)}],
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


def import_daily(daily, *extra, faction=BE) -> tuple[str, str]:
    """The folder of DeepState-like daily files, the date from each name."""
    return run(
        "import_control_areas",
        str(daily),
        "--theatre",
        "zenda",
        "--faction",
        faction,
        "--date-from-name",
        "deepstatemap_data_%Y%m%d",
        *extra,
    )


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        raise CommandError(f"{exc} {err.getvalue()}") from None
    return out.getvalue(), err.getvalue()


def areas(date: str, **query) -> dict:
    response = APIClient().get("/api/control-areas.geojson", {"theatre": "zenda", "date": date, **query})
    assert response.status_code == 200, response.content
    return {(f["properties"]["faction"], f["properties"]["layer"]): f for f in response.json()["features"]}


@pytest.fixture
def zenda(db, files):  # noqa: F811
    FactionFactory(slug="islamic-state", name="Islamic State", short_name="IS", aliases=["Daesh"], colour="#222222")
    return build_zenda(files)


@pytest.fixture
def daily(tmp_path):
    folder = tmp_path / "daily"
    folder.mkdir()
    deepstate(folder / "deepstatemap_data_20210501.geojson", DRAWN1)
    deepstate(folder / "deepstatemap_data_20210502.geojson", DRAWN2)
    return folder


def test_a_folder_of_daily_files_loads_in_one_command_dry_run_first(zenda, daily):
    out, _ = import_daily(daily, faction="Black Elphberg")
    assert "2 area(s) good" in out and "Dry run" in out
    assert not DrawnArea.objects.exists()
    before = revision_current().key
    out, _ = import_daily(daily, *SOURCE, "--commit", "--publish", faction="Black Elphberg")
    assert "Imported 2 area(s) as published" in out
    stored = list(DrawnArea.objects.order_by("drawn_on"))
    assert [(a.faction.slug, a.layer, a.drawn_on, a.state) for a in stored] == [
        (BE, "assessed", DAY1, "published"),
        (BE, "assessed", DAY2, "published"),
    ]
    assert all(a.geometry["type"] == "MultiPolygon" and a.sources.get().publisher == "DeepState" for a in stored)
    assert stored[0].area_km2 == pytest.approx(0.45 * 0.4 * 111.32**2, rel=0.01)
    assert revision_current().key != before
    assert stored[0].history.first().history_user is None  # a system actor, named in the reason
    # The same days again: refused, nothing written.
    with pytest.raises(CommandError, match="nothing was written"):
        import_daily(daily, "--commit")
    assert DrawnArea.objects.count() == 2


def test_a_drawn_area_overrides_the_town_rule_and_the_town_rule_returns_where_none_is_drawn(zenda, daily):
    towns_only = areas("2021-04-30")
    assert {k: f["properties"]["basis"] for k, f in towns_only.items()} == {
        ("islamic-state", "assessed"): "towns",
        (BE, "assessed"): "towns",
    }
    import_daily(daily, *SOURCE, "--commit", "--publish")

    shown = areas("2021-05-01")
    be = shown[(BE, "assessed")]["properties"]
    assert (be["basis"], be["drawn_on"], be["days_old"]) == ("drawn", "2021-05-01", 0)
    assert be["sources"] == [{"publisher": "DeepState", "title": "Daily map", "url": "https://deepstatemap.live/"}]
    assert shapely.geometry.shape(shown[(BE, "assessed")]["geometry"]).equals(DRAWN1)
    islamic = shown[("islamic-state", "assessed")]
    assert islamic["properties"]["basis"] == "towns"
    # No town-rule area overlaps a drawn one, and the clipped one is smaller by what was cut.
    assert shapely.geometry.shape(islamic["geometry"]).intersection(DRAWN1).area < 1e-9
    assert islamic["properties"]["area_km2"] < towns_only[("islamic-state", "assessed")]["properties"]["area_km2"]
    # The date between two drawings shows the earlier one and says how old it is; the layer file follows it.
    later = areas("2021-05-09")
    assert later[(BE, "assessed")]["properties"]["drawn_on"] == "2021-05-02"
    assert later[(BE, "assessed")]["properties"]["days_old"] == 0  # shown as of the drawing's own day
    # No date: control now, the latest drawing though it is later than the latest change (2021-04-10).
    now = APIClient().get("/api/control-areas.geojson", {"theatre": "zenda"}).json()
    assert now["as_of"] == "2021-05-02"
    # Before any drawing the town rule, unchanged.
    assert areas("2021-04-30") == towns_only

    for area in DrawnArea.objects.all():
        drawn_area_retract(area=area, by=BY, reason="wrong faction")
    assert {k: f["properties"]["basis"] for k, f in areas("2021-05-09").items()} == {
        ("islamic-state", "assessed"): "towns",
        (BE, "assessed"): "towns",
    }


def isw(path, features) -> str:
    body = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
            for props, geom in features
        ],
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


def test_layers_are_kept_apart_and_never_summed_into_assessed_km2(zenda, tmp_path):
    path = isw(
        tmp_path / "isw.geojson",
        [
            ({"layer": "Assessed Control", "date": "2021-05-01", "side": "Black Elphberg"}, DRAWN1),
            (
                {"layer": "Assessed Advances", "date": "2021-05-01", "side": "Black Elphberg"},
                shapely.box(10.45, 0.6, 10.55, 1.0),
            ),
            ({"layer": "Claimed", "date": "2021-05-01", "side": "Black Elphberg"}, shapely.box(10.45, 0.5, 10.9, 1.0)),
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
    assert sorted(DrawnArea.objects.values_list("layer", flat=True)) == ["advance", "assessed", "claimed"]
    assessed = areas("2021-05-01")
    assert {k[1] for k in assessed} == {"assessed"}
    be = assessed[(BE, "assessed")]["properties"]
    assert be["area_km2"] == pytest.approx(DrawnArea.objects.get(layer="assessed").area_km2, abs=0.1)
    overlays = areas("2021-05-01", layer="overlays")
    assert sorted(overlays) == [(BE, "advance"), (BE, "claimed")]
    assert all(f["properties"]["basis"] == "drawn" for f in overlays.values())
    both = areas("2021-05-01", layer="all")
    assert set(both) == set(assessed) | set(overlays)
    bad = APIClient().get("/api/control-areas.geojson", {"theatre": "zenda", "layer": "guess"})
    assert bad.status_code == 400 and "layer" in bad.json()


def test_a_dirty_file_is_refused_with_every_reason_named(zenda, tmp_path, settings):
    bowtie = shapely.Polygon([(10.1, 0.6), (10.3, 0.8), (10.3, 0.6), (10.1, 0.8), (10.1, 0.6)])
    nearly = shapely.Polygon(
        [(10.1, 0.6), (10.4, 0.6), (10.4, 0.9), (10.1, 0.9), (10.1, 0.6), (10.1005, 0.6005), (10.1, 0.6)]
    )  # a spike of no area: repaired, accepted
    dirty = isw(
        tmp_path / "dirty.geojson",
        [
            ({"side": "Black Elphberg"}, bowtie),
            ({"side": "Black Elphberg"}, shapely.Polygon()),
            ({"side": "Nobody"}, DRAWN1),
            ({"side": "Black Elphberg"}, shapely.box(30.0, 30.0, 31.0, 31.0)),
            ({"side": "Black Elphberg"}, nearly),
        ],
    )
    future = deepstate(tmp_path / "future.geojson", DRAWN1)
    projected = tmp_path / "utm.gpkg"
    gpd.GeoDataFrame(geometry=[DRAWN1], crs="EPSG:4326").to_crs("EPSG:32632").to_file(projected)
    no_crs = tmp_path / "nocrs.geojson"
    metres = gpd.GeoDataFrame(geometry=[DRAWN1], crs="EPSG:4326").to_crs("EPSG:32632").geometry.iloc[0]
    deepstate(no_crs, metres)
    big = deepstate(tmp_path / "big.geojson", DRAWN1)
    settings.DRAWN_FILE_MAX_BYTES = 2_000
    (tmp_path / "big.geojson").write_text(open(big).read() + " " * 3_000)

    with pytest.raises(CommandError, match="problem"):
        run(
            "import_control_areas",
            dirty,
            "--theatre",
            "zenda",
            "--faction-field",
            "side",
            "--date",
            "2021-05-01",
            "--commit",
        )
    with pytest.raises(CommandError) as refused:
        err = io.StringIO()
        call_command(
            "import_control_areas",
            dirty,
            future,
            str(projected),
            str(no_crs),
            big,
            "--theatre",
            "zenda",
            "--faction-field",
            "side",
            "--date",
            "2099-01-01",
            "--commit",
            stdout=io.StringIO(),
            stderr=err,
        )
    text = err.getvalue()
    assert "dirty.geojson: feature 1: invalid geometry" in text and "over 1%" in text
    assert "dirty.geojson: feature 2: empty geometry" in text
    assert "dirty.geojson: feature 3: no faction is called 'Nobody'" not in text  # dated 2099: refused first
    assert "dirty.geojson: feature 4:" in text and "outside the theatre" in text
    assert "in the future" in text
    assert "nocrs.geojson: has no CRS and its coordinates are not longitude/latitude" in text
    assert "big.geojson:" in text and "over the limit of 2,000" in text
    assert "future.geojson: feature 1: has no field 'side'" in text
    assert "nothing was written" in str(refused.value)
    assert not DrawnArea.objects.exists() and not Source.objects.filter(publisher="DeepState").exists()

    # The faction and the repairs, with a good date: the unknown faction is named, the spike repaired.
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_control_areas",
            dirty,
            "--theatre",
            "zenda",
            "--faction-field",
            "side",
            "--date",
            "2021-05-01",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "dirty.geojson: feature 3: no faction is called 'Nobody'" in err.getvalue()
    assert "feature 5" not in err.getvalue()
    # A projected file is reprojected, not refused.
    settings.DRAWN_FILE_MAX_BYTES = 1_000_000
    out, _ = run("import_control_areas", str(projected), "--theatre", "zenda", "--faction", BE, "--date", "2021-05-01")
    assert "reprojected from" in out and "1 area(s) good" in out


def test_zipped_shapefile_and_kml_are_read(zenda, tmp_path):
    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[DRAWN1], crs="EPSG:4326").to_file(shp / "area.shp")
    archive = tmp_path / "area_20210501.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    kml = tmp_path / "area_20210502.kml"
    gpd.GeoDataFrame({"Name": ["a"]}, geometry=[DRAWN2], crs="EPSG:4326").to_file(kml, driver="KML")
    kmz = tmp_path / "area_20210503.kmz"  # zipped KML, as Google Earth saves it: GDAL's LIBKML reads it
    with zipfile.ZipFile(kmz, "w") as z:
        z.write(kml, "doc.kml")
    out, _ = run(
        "import_control_areas",
        str(archive),
        str(kml),
        str(kmz),
        "--theatre",
        "zenda",
        "--faction",
        BE,
        "--date-from-name",
        "area_%Y%m%d",
    )
    assert "area_20210501.zip: black-elphberg assessed on 2021-05-01" in out
    assert "area_20210502.kml: black-elphberg assessed on 2021-05-02" in out
    assert "area_20210503.kmz: black-elphberg assessed on 2021-05-03" in out
    assert "3 area(s) good" in out


def test_review_publish_reject_retract_with_audit(zenda, daily):
    import_daily(daily, *SOURCE, "--commit")
    first, second = DrawnArea.objects.order_by("drawn_on")
    assert (first.state, second.state) == ("draft", "draft")
    assert areas("2021-05-02")[(BE, "assessed")]["properties"]["basis"] == "towns"  # drafts are not shown
    before = revision_current().key
    drawn_area_publish(area=first, by=BY)
    assert revision_current().key != before
    assert areas("2021-05-02")[(BE, "assessed")]["properties"]["drawn_on"] == "2021-05-01"
    with pytest.raises(Exception, match="Give a reason"):
        drawn_area_reject(area=second, by=BY, reason="")
    drawn_area_reject(area=second, by=BY, reason="traced from the wrong day")
    with pytest.raises(Exception, match="Only drafts can be published; this area is rejected"):
        drawn_area_publish(area=second, by=BY)
    drawn_area_retract(area=first, by=BY, reason="superseded")
    first.refresh_from_db()
    assert first.state == "retracted" and first.retraction_reason == "superseded"
    reasons = list(first.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert any("published" in r for r in reasons) and any("retracted: superseded" in r for r in reasons)
    assert areas("2021-05-02")[(BE, "assessed")]["properties"]["basis"] == "towns"


def test_the_admin_lists_drawn_areas_and_reviews_them_with_the_change_actions(
    zenda, daily, reviewer_client, editor_client
):
    import_daily(daily, *SOURCE, "--commit")
    first, second = DrawnArea.objects.order_by("drawn_on")
    url = "/admin/events/drawnarea/"
    page = editor_client.get(url)
    assert page.status_code == 200 and "deepstatemap_data_20210501.geojson" in page.content.decode()
    assert "publish_selected" not in page.content.decode()  # an editor imports; a reviewer publishes
    assert "/?theatre=zenda&amp;date=2021-05-01" in page.content.decode()
    assert editor_client.get(f"{url}{first.pk}/change/").status_code == 200
    reviewer_client.post(url, {"action": "publish_selected", "_selected_action": [first.pk]})
    reviewer_client.post(
        url, {"action": "reject_selected", "_selected_action": [second.pk], "apply": "1", "reason": "a day late"}
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state, second.review_reason) == ("published", "rejected", "a day late")
    assert first.reviewed_by.username == "reviewer-user" == first.history.first().history_user.username
    assert reviewer_client.get(f"{url}{first.pk}/history/").status_code == 200


def test_a_cached_areas_layer_costs_no_more_queries_than_the_towns_layer(zenda, daily):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import_daily(daily, *SOURCE, "--commit", "--publish")
    api = APIClient()
    counts = {}
    for url in ("/api/control.geojson", "/api/control-areas.geojson"):
        query = {"theatre": "zenda", "date": "2021-05-09"}
        first = api.get(url, query)
        assert first.status_code == 200
        api.get(url, query, HTTP_IF_NONE_MATCH=first["ETag"])  # this worker has resolved the date now
        with CaptureQueriesContext(connection) as queries:
            again = api.get(url, query, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        counts[url] = len(queries)
    assert counts["/api/control-areas.geojson"] <= counts["/api/control.geojson"], counts
    assert first["X-Slice-Date"] == "2021-05-02"  # the areas' day moved on to the drawing's


def test_every_theatre_at_once_a_faction_drawn_in_one_keeps_its_towns_land_in_another(zenda, daily, tmp_path):
    from tests.theatres.test_theatres import changes_csv, feature, rows_csv, write

    graustark = shapely.box(20.0, 0.0, 21.0, 1.0)
    run("add_theatre", "graustark", "--name", "Graustark")
    adm1 = write(tmp_path / "g1.geojson", [feature({"ADM1_PCODE": "GG01", "ADM1_EN": "Edelweiss March"}, graustark)])
    run("load_boundaries", adm1, "--preset", "ocha", "--level", "1", "--theatre", "graustark", "--commit")
    towns = rows_csv(tmp_path / "g.csv", ["slug", "name", "latitude", "longitude"], [("edel", "Edelweiss", 0.5, 20.5)])
    run("load_towns", towns, "--theatre", "graustark", "--commit")
    run(
        "import_changes",
        changes_csv(tmp_path / "gc.csv", [("Edelweiss", "Black Elphberg", "2021-03-05")]),
        "--theatre",
        "graustark",
        "--commit",
        "--publish",
    )
    import_daily(daily, *SOURCE, "--commit", "--publish")

    response = APIClient().get("/api/control-areas.geojson", {"date": "2021-05-01"})
    features = {f["id"]: f for f in response.json()["features"]}
    assert {(i, f["properties"]["basis"]) for i, f in features.items()} >= {
        (BE, "towns"),
        (f"{BE}:assessed:drawn", "drawn"),
        ("islamic-state", "towns"),
    }
    in_graustark = shapely.geometry.shape(features[BE]["geometry"])
    assert in_graustark.within(graustark.buffer(1e-6)) and in_graustark.area > 0  # Zenda's town land is drawn over
    assert features[BE]["properties"]["towns"] == 3  # its towns counted once, on its towns' feature
    assert features[f"{BE}:assessed:drawn"]["properties"]["towns"] == 0


def test_a_user_who_may_not_publish_is_refused_before_any_file_is_read(zenda, editor):
    with pytest.raises(CommandError, match="cannot import these areas.*Leave out --publish"):
        run(
            "import_control_areas",
            "/no/such/folder",
            "--theatre",
            "zenda",
            "--faction",
            BE,
            "--date",
            "2021-05-01",
            "--user",
            editor.username,
            *SOURCE,
            "--commit",
            "--publish",
        )
    with pytest.raises(CommandError, match="no such file"):  # as a draft it is read (and refused for the path)
        run(
            "import_control_areas",
            "/no/such/folder",
            "--theatre",
            "zenda",
            "--faction",
            BE,
            "--date",
            "2021-05-01",
            "--user",
            editor.username,
            "--commit",
        )
