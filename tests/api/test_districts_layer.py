"""The provinces layer at district level, and the boundaries' credit in every GeoJSON export."""

import json

import pytest

from tests.seed_theatre import OCHA_ATTRIBUTION, OCHA_LICENCE_URL


def test_districts_layer_has_every_district_with_shares(client, seeded):
    collection = client.get("/api/provinces.geojson?date=2017-09-03&level=2").json()
    assert len(collection["features"]) == 61
    salamiyeh = next(f for f in collection["features"] if f["properties"]["code"] == "SY0503")
    assert salamiyeh["properties"]["towns"] == 2
    assert salamiyeh["properties"]["shares"] == {"pro-government": 1.0}
    governorates = client.get("/api/provinces.geojson?date=2017-09-03").json()
    assert len(governorates["features"]) == 14


def test_a_bad_level_is_a_400_naming_it(client, seeded):
    response = client.get("/api/provinces.geojson?level=3")
    assert response.status_code == 400
    assert "level" in response.json()


@pytest.mark.parametrize("url", [
    "/api/control.geojson?date=2017-09-03", "/api/provinces.geojson?date=2017-09-03",
    "/api/control-areas.geojson?date=2017-09-03", "/api/changes.geojson?from=2017-08-31&to=2017-09-03",
])
def test_every_geojson_export_credits_the_boundaries(client, seeded, url):
    collection = json.loads(client.get(url).getvalue())  # a streamed layer has no .json()
    assert collection["type"] == "FeatureCollection"
    assert collection["attribution"] == OCHA_ATTRIBUTION and collection["licence"] == OCHA_LICENCE_URL


def test_the_command_writes_the_districts_layer_as_the_api_serves_it(client, seeded, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "districts.geojson"
    call_command("export_geojson", "--layer", "provinces", "--date", "2017-09-03", "--level", "2", "--out", str(out))
    assert out.read_bytes() == client.get("/api/provinces.geojson?date=2017-09-03&level=2").content
