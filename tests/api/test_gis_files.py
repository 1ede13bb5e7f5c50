"""The layers as GeoPackage (QGIS) and KML (Google Earth), and the whole history as spans of control:
read back the way a GIS user would and compared with the GeoJSON of the same request."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import orjson
import pandas as pd
import pyogrio
import pytest

from events import selectors, services
from events.models import ControlChange, Faction, Source
from geodata.models import Town
from tests.factories import SYSTEM, ControlChangeFactory, TownFactory

pytestmark = pytest.mark.django_db

KML = "{http://www.opengis.net/kml/2.2}"
# (route, query): every dated layer and the changes of a period, with and without a theatre
LAYERS = [
    ("control", "date=2017-09-02"),
    ("control", "date=2017-09-02&theatre=syria&faction=islamic-state"),
    ("provinces", "date=2017-09-02"),
    ("provinces", "date=2017-09-02&level=2"),
    ("control-areas", "date=2017-09-02"),
    ("changes", "from=2017-08-01&to=2017-09-03"),
    ("changes", "from=2017-08-01&to=2017-09-03&theatre=syria"),
]
JSON_COLUMNS = {"sources", "shares", "population_shares"}


def geojson_of(client, route: str, query: str) -> dict:
    response = client.get(f"/api/{route}.geojson?{query}")
    assert response.status_code == 200, response.content
    return orjson.loads(response.getvalue())


def gpkg_frame(tmp_path, content: bytes):
    path = tmp_path / "layer.gpkg"
    path.write_bytes(content)
    return pyogrio.read_dataframe(path)


def comparable(value, column: str):
    """A GeoJSON property and the same cell of a GeoPackage, as one value."""
    if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
        return None
    if column in JSON_COLUMNS:
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer() and column != "area_km2":
        return int(value)
    return value


@pytest.mark.parametrize(("route", "query"), LAYERS)
def test_geopackage_has_the_rows_and_attributes_of_the_geojson(client, seeded, tmp_path, route, query):
    collection = geojson_of(client, route, query)
    response = client.get(f"/api/{route}.gpkg?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geopackage+sqlite3"
    frame = gpkg_frame(tmp_path, response.getvalue())
    features = collection["features"]
    assert len(frame) == len(features) > 0
    for (_, row), feature in zip(frame.iterrows(), features, strict=True):
        for column, value in feature["properties"].items():
            assert comparable(row[column], column) == comparable(value, column), (column, feature["id"])
        if feature["geometry"] is None:
            assert row.geometry is None
        elif feature["geometry"]["type"] == "Point":
            assert [row.geometry.x, row.geometry.y] == feature["geometry"]["coordinates"]
        else:
            from shapely.geometry import shape

            assert row.geometry.equals_exact(shape(feature["geometry"]), 1e-9) or row.geometry.equals(
                shape(feature["geometry"])
            )
    if route == "changes":
        assert list(frame["change_id"]) == [f["id"] for f in features]


@pytest.mark.parametrize(("route", "query"), LAYERS)
def test_kml_parses_with_a_placemark_per_feature_styled_by_faction(client, seeded, route, query):
    collection = geojson_of(client, route, query)
    response = client.get(f"/api/{route}.kml?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.google-earth.kml+xml"
    root = ET.fromstring(response.getvalue())
    styles = {s.get("id"): s.find(f"{KML}IconStyle/{KML}color").text for s in root.iter(f"{KML}Style")}
    placemarks = list(root.iter(f"{KML}Placemark"))
    assert len(placemarks) == len(collection["features"]) > 0
    colours = {f.slug: f.colour for f in Faction.objects.all()}
    for placemark, feature in zip(placemarks, collection["features"], strict=True):
        data = {d.get("name"): d.find(f"{KML}value").text or "" for d in placemark.iter(f"{KML}Data")}
        for column, value in feature["properties"].items():
            expected = (
                ""
                if value is None
                else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
                if isinstance(value, list | dict)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            if isinstance(value, bool):
                assert data[column] == expected
            elif isinstance(value, list | dict):
                assert json.loads(data[column]) == value
            else:
                assert data[column] == expected, column
        faction = {
            "control": "faction",
            "provinces": "dominant_faction",
            "control-areas": "faction",
            "changes": "to_faction",
        }[route]
        style = placemark.find(f"{KML}styleUrl").text.removeprefix("#")
        slug = feature["properties"][faction]
        if slug in colours:
            rgb = colours[slug].lower()
            assert styles[style] == f"ff{rgb[5:7]}{rgb[3:5]}{rgb[1:3]}"


def test_kml_escapes_names(client, seeded):
    town = TownFactory(name='Tall <b>"&amp;" \x07', slug="escaped", theatre=Town.objects.get(slug="uqayribat").theatre)
    ControlChangeFactory(
        town=town,
        faction=Faction.objects.get(slug="sdf"),
        effective_date=dt.date(2017, 9, 3),
        state="published",
        sources=[Source.objects.first()],
    )
    content = client.get("/api/control.kml?date=2017-09-03").getvalue()
    root = ET.fromstring(content)  # well-formed
    names = [p.find(f"{KML}name").text for p in root.iter(f"{KML}Placemark")]
    assert 'Tall <b>"&amp;" \ufffd' in names
    assert b"<b>" not in content


def test_file_names_carry_theatre_and_date(client, seeded):
    response = client.get("/api/control.gpkg?date=2017-09-02&theatre=syria&download=1")
    assert response["Content-Disposition"] == 'attachment; filename="control-syria-2017-09-02.gpkg"'
    response = client.get("/api/control-areas.kml?date=2017-09-02&theatre=syria")
    assert response["Content-Disposition"] == 'inline; filename="control-areas-syria-2017-09-02.kml"'
    response = client.get("/api/control-spans.gpkg?theatre=syria")
    assert response["Content-Disposition"] == 'inline; filename="control-spans-syria.gpkg"'


@pytest.mark.parametrize(
    "url",
    [
        "/api/control.gpkg?date=2017-13-01",
        "/api/control.kml?date=2099-01-01",
        "/api/provinces.gpkg?level=3",
        "/api/control-areas.kml?theatre=atlantis",
        "/api/changes.gpkg?from=2017-09-03&to=2017-09-01",
        "/api/control.kml?faction=nobody",
        "/api/control-spans.geojson?theatre=atlantis",
        "/api/control-spans.gpkg?theatre=atlantis",
        "/api/control-spans.kml?theatre=",
    ],
)
def test_bad_parameters_are_refused_naming_them(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    name = url.split("?")[1].split("=")[0]
    assert name in response.json() or name in json.dumps(response.json()), response.json()


def test_files_are_cached_by_revision_304_until_the_data_changes(client, seeded):
    first = client.get("/api/control.gpkg?date=2017-09-02")
    again = client.get("/api/control.gpkg?date=2017-09-02", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert first["X-Slice-Date"] == "2017-09-02"
    spans = client.get("/api/control-spans.kml")
    assert client.get("/api/control-spans.kml", HTTP_IF_NONE_MATCH=spans["ETag"]).status_code == 304
    change = ControlChange.objects.filter(state="published").first()
    services.control_change_retract(change=change, by=SYSTEM, reason="test")
    assert client.get("/api/control.gpkg?date=2017-09-02", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def spans_of(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/control-spans.geojson?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return orjson.loads(response.getvalue())["features"]


def test_uqayribat_has_the_spans_its_changes_imply(client, seeded):
    town = Town.objects.get(slug="uqayribat")
    spans = [f["properties"] for f in spans_of(client) if f["properties"]["town_id"] == town.pk]
    assert [(s["valid_from"], s["valid_to"], s["faction"], s["status"], s["contested_by"]) for s in spans] == [
        ("2014-01-01", "2017-09-01", "islamic-state", "controlled", None),
        ("2017-09-01", "2017-09-02", "pro-government", "controlled", None),
        ("2017-09-02", "2017-09-03", "islamic-state", "contested", "pro-government"),
        ("2017-09-03", None, "pro-government", "controlled", None),
    ]
    changes = list(ControlChange.objects.filter(town=town).order_by(*selectors.CHRONOLOGICAL))
    assert [s["change_id"] for s in spans] == [c.pk for c in changes]
    assert [s["precision"] for s in spans] == ["approximate", "day", "day", "day"]
    assert all(s["sources"] and s["sources"][0]["title"] for s in spans)


def playing(features: list[dict], on: str) -> dict[int, dict]:
    """What QGIS's Temporal Controller shows on ``on``: features with valid_from <= D < valid_to."""
    return {
        f["properties"]["town_id"]: f
        for f in features
        if f["properties"]["valid_from"] <= on
        and (f["properties"]["valid_to"] is None or on < f["properties"]["valid_to"])
    }


def test_spans_play_back_the_control_layer_on_every_change_date(client, seeded, tmp_path):
    features = spans_of(client)
    frame = gpkg_frame(tmp_path, client.get("/api/control-spans.gpkg").getvalue())
    assert len(frame) == len(features)
    from_file = [
        {
            "properties": {
                "town_id": int(r.town_id),
                "valid_from": r.valid_from.date().isoformat(),
                "valid_to": None if pd.isna(r.valid_to) else r.valid_to.date().isoformat(),
                "faction": r.faction,
                "status": r.status,
            }
        }
        for r in frame.itertuples()
    ]
    dates = sorted({f["properties"]["valid_from"] for f in features})
    assert len(dates) > 5
    for on in [*dates, (dt.date.fromisoformat(dates[0]) - dt.timedelta(days=1)).isoformat()]:
        control = {
            f["properties"]["town_id"]: f["properties"]
            for f in geojson_of(client, "control", f"date={on}")["features"]
            if f["properties"]["faction"]
        }
        for played in (playing(features, on), playing(from_file, on)):
            assert set(played) == set(control), on
            for town_id, feature in played.items():
                shown = feature["properties"]
                assert (shown["faction"], shown["status"]) == (control[town_id]["faction"], control[town_id]["status"])
        for town_id, feature in playing(features, on).items():
            shown = feature["properties"]
            assert shown["valid_from"] == control[town_id]["since"]
            assert (shown["contested_by"], shown["precision"], shown["sources"]) == (
                control[town_id]["contested_by"],
                control[town_id]["precision"],
                control[town_id]["sources"],
            )


def test_spans_leave_out_unpublished_and_superseded_changes_and_keep_to_a_theatre(client, hidden_changes):
    town = Town.objects.get(slug="uqayribat")
    spans = [f["properties"] for f in spans_of(client, "theatre=syria") if f["properties"]["town_id"] == town.pk]
    assert spans[-1]["valid_from"] == "2017-09-03" and spans[-1]["valid_to"] is None
    assert {f["properties"]["town_id"] for f in spans_of(client, "theatre=syria")} <= set(
        Town.objects.filter(theatre__slug="syria").values_list("pk", flat=True)
    )


def test_spans_kml_has_time_spans(client, seeded):
    root = ET.fromstring(client.get("/api/control-spans.kml").getvalue())
    placemarks = list(root.iter(f"{KML}Placemark"))
    assert len(placemarks) == len(spans_of(client))
    current = [p for p in placemarks if p.find(f"{KML}TimeSpan/{KML}end") is None]
    assert current and all(p.find(f"{KML}TimeSpan/{KML}begin").text for p in placemarks)


def test_schema_documents_the_files(client, seeded):
    schema = client.get("/api/schema/?format=json").json()
    for path, media_type in [
        ("/api/control.gpkg", "application/geopackage+sqlite3"),
        ("/api/changes.kml", "application/vnd.google-earth.kml+xml"),
        ("/api/control-spans.gpkg", "application/geopackage+sqlite3"),
        ("/api/control-spans.geojson", "application/geo+json"),
    ]:
        operation = schema["paths"][path]["get"]
        assert media_type in operation["responses"]["200"]["content"]
        assert "400" in operation["responses"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2017-09-01", "2017-09-02"),
        ("2017-09-02", "2017-09-02"),
        ("2014-01-01", "2017-08-31"),
        ("2017-09-03", "2017-09-30"),
    ],
)
def test_a_period_of_spans_is_the_whole_historys_spans_in_force_then(client, seeded, start, end):
    """``from``/``to`` bound the work to the period, and keep each span's own valid_from and valid_to; a
    change followed on its own day holds no whole day (an empty span), so a period leaves it out."""
    tabqa, source = Town.objects.get(slug="tabqa"), Source.objects.first()
    for part, faction in [(ControlChange.DayPart.MORNING, "islamic-state"), (ControlChange.DayPart.NIGHT, "sdf")]:
        ControlChangeFactory(
            town=tabqa,
            faction=Faction.objects.get(slug=faction),
            effective_date=dt.date(2017, 9, 2),
            day_part=part,
            state="published",
            sources=[source],
        )
    whole = spans_of(client)
    assert [f["properties"]["valid_to"] for f in whole if f["properties"]["town_id"] == tabqa.pk][-3:] == [
        "2017-09-02",
        "2017-09-02",
        None,
    ]
    expected = [
        f
        for f in whole
        if f["properties"]["valid_from"] <= end
        and f["properties"]["valid_from"] != f["properties"]["valid_to"]
        and (f["properties"]["valid_to"] is None or f["properties"]["valid_to"] > start)
    ]
    period = spans_of(client, f"from={start}&to={end}")
    assert sorted(f["id"] for f in period) == sorted(f["id"] for f in expected)
    assert sorted(period, key=lambda f: f["id"]) == sorted(expected, key=lambda f: f["id"])


def test_a_period_with_from_after_to_is_refused(client, seeded):
    response = client.get("/api/control-spans.gpkg?from=2017-09-03&to=2017-09-01")
    assert response.status_code == 400
    assert "from" in response.json()


def test_export_command_writes_the_files_the_api_serves(client, seeded, tmp_path):
    from django.core.management import call_command

    for layer, url, options in [
        ("control.gpkg", "/api/control.gpkg?date=2017-09-02", ["--date", "2017-09-02"]),
        ("control-spans.kml", "/api/control-spans.kml", ["--theatre", "syria"]),  # the only theatre: every town
    ]:
        out = tmp_path / layer
        call_command("export_geojson", "--layer", layer, *options, "--out", str(out))
        if layer.endswith(".kml"):
            assert out.read_bytes() == client.get(url).getvalue()
        else:  # a GeoPackage records when it was written: compare what it holds
            assert gpkg_frame(tmp_path, client.get(url).getvalue()).equals(pyogrio.read_dataframe(out))


@pytest.mark.parametrize("query", ["changes.{fmt}?from=2000-01-01&to=2000-01-02", "control.{fmt}?date=2000-01-01"])
def test_a_layer_with_no_change_recorded_is_still_a_file_that_opens(client, seeded, tmp_path, query):
    collection = geojson_of(client, *query.format(fmt="geojson").split(".geojson?"))
    frame = gpkg_frame(tmp_path, client.get(f"/api/{query.format(fmt='gpkg')}").getvalue())
    assert len(frame) == len(collection["features"])
    assert {"faction" if query.startswith("control") else "to_faction", "sources"} <= set(frame.columns)
    root = ET.fromstring(client.get(f"/api/{query.format(fmt='kml')}").getvalue())
    assert len(list(root.iter(f"{KML}Placemark"))) == len(collection["features"])
