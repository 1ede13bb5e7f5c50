"""The downloadable layers, read back the way a GIS user would (geopandas) and compared with the database."""

import csv
import datetime as dt
import io
import json

import geopandas
import numpy as np
import orjson
import pandas as pd
import pytest
import shapely
import shapely.affinity
from django.core.management import CommandError, call_command
from django.utils import timezone
from shapely.geometry import LinearRing, Point, Polygon, mapping, shape

from events import geojson, selectors, services, territory
from events.export_rows import faction_with_members
from events.models import ControlChange, Faction, Source
from geodata.models import AdminArea, Town
from tests.factories import SYSTEM, FactionFactory

pytestmark = pytest.mark.django_db


def read_back(tmp_path, content: bytes, name="layer.geojson") -> geopandas.GeoDataFrame:
    path = tmp_path / name
    path.write_bytes(content)
    return geopandas.read_file(path)


def test_control_layer_matches_control_as_of(client, seeded, tmp_path):
    response = client.get("/api/control.geojson?date=2017-09-02")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    frame = read_back(tmp_path, response.content).set_index("town_id")
    snapshot = selectors.control_as_of(on=dt.date(2017, 9, 2))
    assert len(frame) == len(snapshot) == Town.objects.count()
    areas = AdminArea.objects.in_bulk()
    for item in snapshot:
        row = frame.loc[item.town.id]
        assert row["name"] == item.town.name
        assert (row.geometry.x, row.geometry.y) == (item.town.longitude, item.town.latitude)
        area = areas[item.town.admin_area_id]  # a district: the layer names its governorate
        assert row["province_code"] == (areas[area.parent_id] if area.parent_id else area).code
        faction = snapshot.factions[item.change.faction_id]
        assert row["faction"] == faction.slug
        assert row["colour"] == faction.colour
        assert row["status"] == item.change.status
        assert str(row["since"])[:10] == item.change.effective_date.isoformat()
        sources = row["sources"] if isinstance(row["sources"], list) else json.loads(row["sources"])
        titles = [s["title"] for s in sources]
        assert sorted(titles) == sorted(Source.objects.filter(control_changes=item.change.id).values_list(
            "title", flat=True))


def test_uqayribat_point_is_longitude_then_latitude_and_contested_on_2_september(client, seeded):
    collection = json.loads(client.get("/api/control.geojson?date=2017-09-02").content)
    assert "crs" not in collection
    feature = next(f for f in collection["features"] if f["properties"]["name"] == "Uqayribat")
    lon, lat = feature["geometry"]["coordinates"]
    assert lon == pytest.approx(37.46, abs=0.01) and lat == pytest.approx(35.04, abs=0.01)
    props = feature["properties"]
    assert props["faction"] == "islamic-state" and props["faction_name"] == "Islamic State"
    assert props["status"] == "contested" and props["contested_by"] == "pro-government"
    assert props["since"] == "2017-09-02" and props["precision"] == "day" and props["confidence"] == "reported"
    assert props["province"] == "Hama" and props["province_code"] == "SY05"
    sohr = "Syrian Observatory for Human Rights (as cited in the report)"
    assert sohr in {s["publisher"] for s in props["sources"]}
    assert set(props) == {
        "name", "town_id", "faction", "faction_name", "colour", "status", "contested_by", "since",
        "precision", "since_label", "confidence", "province", "province_code", "sources",
        "last_confirmed", "days_since_confirmed",
    }
    assert props["since_label"] == "2 September 2017"


def test_control_before_any_record_has_towns_with_nulls(client, seeded):
    features = json.loads(client.get("/api/control.geojson?date=2015-01-01").content)["features"]
    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    assert by_name["Uqayribat"]["faction"] == "islamic-state"
    assert by_name["Raqqa"]["faction"] is None and by_name["Raqqa"]["sources"] == []


def test_control_faction_filter_includes_coalition_members(client, seeded):
    features = json.loads(client.get("/api/control.geojson?date=2017-09-03&faction=opposition").content)["features"]
    factions = {f["properties"]["faction"] for f in features}
    assert factions == {"opposition", "tfsa"}  # TFSA rolls up into the opposition


def test_a_coalition_reaches_members_of_members_in_one_query(seeded, django_assert_num_queries):
    opposition, tfsa = Faction.objects.get(slug="opposition"), Faction.objects.get(slug="tfsa")
    brigade = FactionFactory(parent=tfsa)  # a group inside the TFSA, itself inside the opposition
    with django_assert_num_queries(1):
        members = faction_with_members(opposition)
    assert members == {opposition.pk, tfsa.pk, brigade.pk}
    assert faction_with_members(tfsa) == {tfsa.pk, brigade.pk}
    assert Faction.objects.get(pk=brigade.pk).coalition == opposition


def test_changes_layer_reads_back_with_dates_and_from_faction(client, seeded, tmp_path):
    response = client.get("/api/changes.geojson?from=2017-09-01&to=2017-09-03")
    assert response["Content-Type"] == "application/geo+json"
    frame = read_back(tmp_path, response.getvalue())
    expected = selectors.changes_between(start=dt.date(2017, 9, 1), end=dt.date(2017, 9, 3))
    assert len(frame) == len(expected) == 5
    assert [str(d)[:10] for d in frame["date"]] == [c.effective_date.isoformat() for c in expected]
    assert list(frame["to_faction"]) == [c.faction.slug for c in expected]
    uqayribat = frame[frame["town"] == "Uqayribat"]
    assert list(uqayribat["from_faction"]) == ["islamic-state", "pro-government", "islamic-state"]
    assert list(uqayribat["status"]) == ["controlled", "contested", "controlled"]


def test_changes_csv_has_the_same_rows_as_the_geojson(client, seeded):
    geo = json.loads(client.get("/api/changes.geojson?from=2017-01-01&to=2017-12-31").getvalue())["features"]
    response = client.get("/api/changes.csv?from=2017-01-01&to=2017-12-31")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == len(geo) > 30
    for row, feature in zip(rows, geo, strict=True):
        assert int(row["change_id"]) == feature["id"]
        assert row["date"] == feature["properties"]["date"]
        assert row["faction"] == feature["properties"]["to_faction"]  # the import's column name
        assert (row["from_faction"] or None) == feature["properties"]["from_faction"]
        assert [float(row["longitude"]), float(row["latitude"])] == feature["geometry"]["coordinates"]


def test_changes_csv_quotes_a_town_name_a_spreadsheet_would_run_as_a_formula(client, seeded):
    Town.objects.filter(slug="tabqa").update(name='=HYPERLINK("http://x.test","Tabqa")')
    content = client.get("/api/changes.csv?from=2017-05-01&to=2017-05-31").getvalue().decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r["town"] for r in rows] == ["'=HYPERLINK(\"http://x.test\",\"Tabqa\")"]


def test_drafts_rejected_and_retracted_changes_are_never_exported(client, hidden_changes):
    control = json.loads(client.get("/api/control.geojson?date=2017-09-30").content)["features"]
    uqayribat = next(f["properties"] for f in control if f["properties"]["name"] == "Uqayribat")
    assert uqayribat["faction"] == "pro-government" and uqayribat["since"] == "2017-09-03"
    changes = json.loads(client.get("/api/changes.geojson?from=2017-09-04").getvalue())["features"]
    assert changes == []
    assert "2017-09-0" not in client.get("/api/changes.csv?from=2017-09-04").getvalue().decode()


def test_a_superseded_change_leaves_the_export(client, seeded):
    wrong = ControlChange.objects.get(town__slug="tabqa", effective_date=dt.date(2017, 5, 10))
    fix = ControlChange.objects.create(
        town=wrong.town, faction=wrong.faction, effective_date=dt.date(2017, 5, 12), supersedes=wrong,
        state="published",
    )
    fix.sources.set(Source.objects.all()[:1])
    response = client.get("/api/changes.geojson?from=2017-05-01&to=2017-05-31")
    ids = [f["id"] for f in json.loads(response.getvalue())["features"]]
    assert fix.pk in ids and wrong.pk not in ids


def test_export_command_writes_exactly_what_the_api_serves(client, seeded, tmp_path):
    cases = [
        ("control", ["--date", "2017-09-02"], "/api/control.geojson?date=2017-09-02"),
        ("changes", ["--from", "2017-06-01", "--to", "2017-09-03"],
         "/api/changes.geojson?from=2017-06-01&to=2017-09-03"),
        ("changes-csv", ["--from", "2017-06-01"], "/api/changes.csv?from=2017-06-01"),
        ("control", ["--faction", "IS"], "/api/control.geojson?faction=IS"),
        ("provinces", ["--date", "2017-09-02"], "/api/provinces.geojson?date=2017-09-02"),
        ("areas", [], "/api/control-areas.geojson"),
    ]
    for layer, args, url in cases:
        out = tmp_path / f"{layer}.out"
        call_command("export_geojson", "--layer", layer, *args, "--out", str(out))
        assert out.read_bytes() == client.get(url).getvalue(), layer


@pytest.mark.parametrize("url", ["/api/control.geojson", "/api/provinces.geojson", "/api/control-areas.geojson"])
def test_a_future_date_is_refused_rather_than_mapped_with_todays_control(client, seeded, url):
    today = timezone.localdate()
    for future in [dt.date(2099, 1, 1), today + dt.timedelta(days=1)]:
        response = client.get(f"{url}?date={future}&download=1")
        assert response.status_code == 400, future
        # The seed's latest change, as the map page says (issue 20.11: this said "today" before).
        message = f"'{future}' is in the future; the latest day with a record is 2017-09-03."
        assert response.json() == {"date": [message]}
        assert "Content-Disposition" not in response  # no file named after the future day
    assert client.get(f"{url}?date={today}").status_code == 200


def test_export_command_refuses_a_future_date_and_writes_nothing(seeded, tmp_path):
    out = tmp_path / "control.geojson"
    with pytest.raises(CommandError, match="--date: '2099-01-01' is in the future"):
        call_command("export_geojson", "--layer", "control", "--date", "2099-01-01", "--out", str(out))
    assert not out.exists()


def test_export_command_rejects_bad_parameters_and_writes_nothing(seeded, tmp_path):
    out = tmp_path / "x.geojson"
    with pytest.raises(CommandError, match="--date: '2017-02-30' is not a date"):
        call_command("export_geojson", "--layer", "control", "--date", "2017-02-30", "--out", str(out))
    with pytest.raises(CommandError, match="--from: 'from' .* is after 'to'"):
        call_command("export_geojson", "--layer", "changes", "--from", "2017-09-03", "--to", "2017-09-01",
                     "--out", str(out))
    with pytest.raises(CommandError, match="--faction: No faction is called 'Martians'"):
        call_command("export_geojson", "--layer", "control", "--faction", "Martians", "--out", str(out))
    with pytest.raises(CommandError, match="use --date"):
        call_command("export_geojson", "--layer", "control", "--from", "2017-01-01", "--out", str(out))
    with pytest.raises(CommandError, match="--out: cannot write"):
        call_command("export_geojson", "--layer", "control", "--out", str(tmp_path / "missing" / "x.geojson"))
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_download_parameter_makes_an_attachment(client, seeded):
    inline = client.get("/api/control.geojson?date=2017-09-03")
    assert inline["Content-Disposition"] == 'inline; filename="control-2017-09-03.geojson"'
    attached = client.get("/api/changes.csv?from=2017-09-01&to=2017-09-03&download=1")
    assert attached["Content-Disposition"] == 'attachment; filename="changes-2017-09-01-2017-09-03.csv"'


def test_conditional_requests_get_304_until_the_data_changes(client, seeded):
    first = client.get("/api/control.geojson")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get("/api/control.geojson", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/api/control.geojson", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    faction = Faction.objects.get(slug="sdf")
    faction.colour = "#00ff00"
    services.faction_save(faction=faction, by=SYSTEM)  # the one door for a faction edit: it bumps the revision
    again = client.get("/api/control.geojson", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag and b"#00ff00" in again.content


def exterior_and_holes(geometry: dict):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for rings in polygons:
        yield LinearRing(rings[0]), [LinearRing(hole) for hole in rings[1:]]


def assert_rfc7946_orientation(collection: dict) -> None:
    for feature in collection["features"]:
        for exterior, holes in exterior_and_holes(feature["geometry"]):
            assert exterior.is_ccw, feature["id"]
            assert not any(hole.is_ccw for hole in holes), feature["id"]


def test_polygons_are_turned_counter_clockwise_with_clockwise_holes():
    clockwise = Polygon([(0, 0), (0, 4), (4, 4), (4, 0)], holes=[[(1, 1), (2, 1), (2, 2), (1, 2)]])
    assert not clockwise.exterior.is_ccw and clockwise.interiors[0].is_ccw
    (geometry,) = geojson.polygons(geopandas.GeoSeries([clockwise]))
    assert_rfc7946_orientation({"features": [{"id": 1, "geometry": geometry}]})
    assert shape(geometry).equals(clockwise)


def decimals(coordinates: np.ndarray) -> int:
    return max(len(repr(float(value)).partition(".")[2]) for value in coordinates.ravel())


def test_polygons_are_snapped_to_six_decimals_and_stay_valid():
    # A slit 8e-7 wide: rounding each coordinate alone would make the ring touch itself (invalid).
    slit = Polygon([(0, 0), (1, 0), (1, 1), (0.5000004, 1), (0.5000004, 0.1), (0.4999996, 0.1), (0.4999996, 1), (0, 1)])
    long_decimals = shapely.affinity.rotate(Polygon([(36, 33), (37, 33), (37, 34), (36, 34)]), 1e-3)
    assert decimals(shapely.get_coordinates(long_decimals)) > 6
    geometries = geojson.polygons(geopandas.GeoSeries([slit, long_decimals]))
    assert_rfc7946_orientation({"features": [{"id": i, "geometry": g} for i, g in enumerate(geometries)]})
    for geometry, original in zip(geometries, [slit, long_decimals], strict=True):
        snapped = shape(geometry)
        assert snapped.is_valid and decimals(shapely.get_coordinates(snapped)) <= 6
        assert snapped.symmetric_difference(original).area < original.length * geojson.COORDINATE_PRECISION


@pytest.mark.parametrize("url, key", [("/api/control-areas.geojson", "faction"), ("/api/provinces.geojson", "code")])
def test_polygon_layers_read_back_valid_and_smaller_with_six_decimals(client, seeded, tmp_path, url, key):
    hama = AdminArea.objects.get(code="SY05")
    # As a boundary reprojected or repaired on load arrives: 15 decimals.
    hama.geometry = mapping(shapely.affinity.rotate(shape(hama.geometry), 1e-3))
    hama.save()
    response = client.get(f"{url}?date=2017-09-03")
    collection = json.loads(response.content)
    assert_rfc7946_orientation(collection)
    frame = read_back(tmp_path, response.content)
    assert frame.is_valid.all() and decimals(shapely.get_coordinates(frame.geometry)) == 6
    if url == "/api/provinces.geojson":
        expected = territory.province_control_as_of(on=dt.date(2017, 9, 3))
        assert decimals(shapely.get_coordinates(expected.geometry)) >= 15
    else:  # territory is drawn from cells already snapped to the file's grid (spatial.GRID_DEG)
        expected = territory.control_areas_as_of(on=dt.date(2017, 9, 3))
        assert decimals(shapely.get_coordinates(expected.geometry)) == 6
    features = {f["properties"][key]: f["geometry"] for f in collection["features"]}
    for code, row in expected.set_index(key).iterrows():
        got = frame.set_index(key).loc[code].geometry
        assert got.symmetric_difference(row.geometry).area < row.geometry.length * geojson.COORDINATE_PRECISION
        full, snapped = len(orjson.dumps(mapping(row.geometry))), len(orjson.dumps(features[code]))
        if decimals(shapely.get_coordinates(row.geometry)) > 6:
            assert snapped < full, code
    if key == "code":  # Hama alone: every coordinate had 15 decimals
        full, snapped = len(orjson.dumps(mapping(shape(hama.geometry)))), len(orjson.dumps(features["SY05"]))
        assert snapped < 0.6 * full, (snapped, full)


def test_provinces_layer_matches_province_control(client, seeded, tmp_path):
    response = client.get("/api/provinces.geojson?date=2017-09-03")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert "crs" not in collection
    assert_rfc7946_orientation(collection)
    frame = read_back(tmp_path, response.content).set_index("code")
    expected = territory.province_control_as_of(on=dt.date(2017, 9, 3)).set_index("code")
    assert sorted(frame.index) == sorted(expected.index) == [f"SY{n:02d}" for n in range(1, 15)]
    for code, row in expected.iterrows():
        got = frame.loc[code]
        assert got["name"] == row["name"] and got["towns"] == row["towns"]
        assert (None if pd.isna(got["dominant_faction"]) else got["dominant_faction"]) == row["dominant_faction"]
        assert bool(got["contested"]) == row["contested"]
        shares = got["shares"] if isinstance(got["shares"], dict) else json.loads(got["shares"])
        assert shares == pytest.approx(row["shares"])
        assert got.geometry.symmetric_difference(row.geometry).area < 1e-9
    hama = next(f["properties"] for f in collection["features"] if f["properties"]["code"] == "SY05")
    assert set(hama) >= {"dominant_faction", "shares", "contested"}


def test_control_areas_layer_matches_territory(client, seeded, tmp_path):
    response = client.get("/api/control-areas.geojson?date=2017-09-03&download=1")
    assert response["Content-Disposition"] == 'attachment; filename="control-areas-2017-09-03.geojson"'
    collection = json.loads(response.content)
    assert_rfc7946_orientation(collection)
    frame = read_back(tmp_path, response.content).set_index("faction")
    expected = territory.control_areas_as_of(on=dt.date(2017, 9, 3)).set_index("faction")
    assert sorted(frame.index) == sorted(expected.index)
    assert "pro-government" in frame.index and "contested" in frame.index
    for faction, row in expected.iterrows():
        assert frame.loc[faction, "area_km2"] == pytest.approx(row["area_km2"], abs=0.1)
        # Coordinates are snapped to 1e-6 degree: the shapes differ by at most a band that wide.
        difference = frame.loc[faction].geometry.symmetric_difference(row.geometry).area
        assert difference < row.geometry.length * geojson.COORDINATE_PRECISION
    # Uqayribat's point lies in the pro-government area on 3 September, in (lon, lat) order.
    assert frame.loc["pro-government"].geometry.contains(Point(37.4628, 35.0422))


def test_retracted_change_leaves_the_province_and_area_layers(client, seeded):
    before = json.loads(client.get("/api/control-areas.geojson?date=2017-09-03").content)
    change = ControlChange.objects.get(town__slug="uqayribat", effective_date=dt.date(2017, 9, 3))
    # Through the one door for a retraction: it bumps the revision, so the cached layers go stale.
    services.control_change_retract(change=change, by=SYSTEM, reason="misreported")
    after = json.loads(client.get("/api/control-areas.geojson?date=2017-09-03").content)
    area = {f["id"]: shape(f["geometry"]) for f in after["features"]}
    assert area["contested"].contains(Point(37.4628, 35.0422))
    assert before != after
