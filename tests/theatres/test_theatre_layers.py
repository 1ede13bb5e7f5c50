"""The map's other layers per theatre: the change dates and the control areas hold one theatre's towns when
asked with theatre=SLUG, and answer byte for byte as before without it."""

import re

import pytest
from rest_framework.test import APIClient

from tests.theatres.test_theatres import body, build_zenda, files  # noqa: F401  (files: a fixture)

UNKNOWN = {"theatre": ["No theatre is called 'atlantis'; known theatres: syria, zenda."]}


@pytest.fixture
def api():
    return APIClient()


def test_change_dates_of_a_theatre_are_its_towns_dates_only(seeded, files, api):  # noqa: F811
    before = api.get("/api/change-dates.json").content
    build_zenda(files)
    zenda = api.get("/api/change-dates.json?theatre=zenda")
    assert zenda.status_code == 200
    assert zenda.json() == {"dates": ["2021-03-01", "2021-03-02", "2021-04-10"]}
    assert "change-dates-zenda.json" in zenda["Content-Disposition"]
    # Syria's dates, asked for by theatre, are the file of before; every theatre's hold both.
    assert api.get("/api/change-dates.json?theatre=syria").content == before
    everything = api.get("/api/change-dates.json").json()["dates"]
    assert everything == sorted(
        set(api.get("/api/change-dates.json?theatre=syria").json()["dates"])
        | {"2021-03-01", "2021-03-02", "2021-04-10"}
    )


@pytest.mark.parametrize("url", ["/api/change-dates.json", "/api/control-areas.geojson?date=2017-10-20"])
def test_with_the_seed_alone_the_theatres_file_is_the_file_without_one(seeded, api, url):
    joiner = "&" if "?" in url else "?"
    assert body(api.get(url + joiner + "theatre=syria")) == body(api.get(url))


def test_control_areas_of_a_theatre_are_its_towns_cells_only(seeded, files, api):  # noqa: F811
    syria = "/api/control-areas.geojson?date=2017-10-20"
    before = body(api.get(syria))
    build_zenda(files)
    assert body(api.get(syria + "&theatre=syria")) == before
    zenda = api.get("/api/control-areas.geojson?date=2021-04-10&theatre=zenda")
    assert zenda.status_code == 200
    assert "control-areas-zenda-2021-04-10.geojson" in zenda["Content-Disposition"]
    features = zenda.json()["features"]
    assert {(f["properties"]["faction"], f["properties"]["towns"]) for f in features} == {
        ("islamic-state", 1),
        ("black-elphberg", 2),
    }
    for feature in features:  # inside Zenda's two governorates, nowhere near Syria
        xs = [x for ring in _rings(feature["geometry"]) for x, _ in ring]
        ys = [y for ring in _rings(feature["geometry"]) for _, y in ring]
        assert 10.0 <= min(xs) and max(xs) <= 11.0 and 0.0 <= min(ys) and max(ys) <= 1.0
    # The same day for every theatre is another file (the key carries the theatre): Syria's towns are in it.
    everything = api.get("/api/control-areas.geojson?date=2021-04-10").json()["features"]
    assert sum(f["properties"]["towns"] for f in everything) > 3


def _rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


@pytest.mark.parametrize("url", ["/api/change-dates.json", "/api/control-areas.geojson"])
def test_an_unknown_theatre_is_a_400_naming_it(seeded, files, api, url):  # noqa: F811
    build_zenda(files)
    answer = api.get(url + "?theatre=atlantis")
    assert answer.status_code == 400
    assert answer.json() == UNKNOWN


def test_export_geojson_writes_a_theatres_control_areas(seeded, files, tmp_path, api):  # noqa: F811
    from tests.theatres.test_theatres import run

    build_zenda(files)
    out = tmp_path / "areas.geojson"
    run("export_geojson", "--layer", "areas", "--date", "2021-04-10", "--theatre", "zenda", "--out", str(out))
    assert out.read_bytes() == api.get("/api/control-areas.geojson?date=2021-04-10&theatre=zenda").content


def test_a_theatres_map_asks_for_its_own_dates_and_control_areas(seeded, files):  # noqa: F811
    import json

    from django.test import Client

    build_zenda(files)
    html = Client().get("/?theatre=zenda").content.decode()
    config = json.loads(html.split('id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["endpoints"]["areas"] == "/api/control-areas.geojson?layer=all&theatre=zenda"  # with drawn overlays
    assert config["datesUrl"].startswith("/api/change-dates.json?rev=") and config["datesUrl"].endswith(
        "&theatre=zenda"
    )
    links = {d["id"]: d["href"] for d in config["downloads"]}
    assert links["dl-areas"] == "/api/control-areas.geojson?theatre=zenda&date={date}&download=1"
    syria = json.loads(
        Client().get("/").content.decode().split('id="map-config" type="application/json">')[1].split("</script>")[0]
    )
    # With two theatres, / is the default theatre's (the oldest, syria) map: its layers and dates only.
    assert syria["endpoints"]["areas"] == "/api/control-areas.geojson?layer=all&theatre=syria"
    assert syria["datesUrl"].endswith("&theatre=syria")


def test_territory_change_of_a_theatre_counts_its_towns_land_only(seeded, files, api):  # noqa: F811
    syria = "/api/territory-change.json?from=2017-01-01&to=2017-12-31"
    before = api.get(syria).content
    build_zenda(files)
    assert api.get(syria + "&theatre=syria").content == before
    zenda = api.get("/api/territory-change.json?from=2021-03-01&to=2021-04-10&theatre=zenda")
    assert zenda.status_code == 200
    towns = {town["name"] for flows in zenda.json()["newly_recorded"] for town in flows["towns"]}
    assert towns == {"Tarlenheim", "Zenda"}  # Strelsau was recorded on the first day already
    # Its factions' land is its towns' cells: Strelsau's and the two southern towns', nothing of Syria.
    assert {(f["faction"], f["before_km2"] > 0, f["after_km2"] > 0) for f in zenda.json()["factions"]} == {
        ("islamic-state", True, True),
        ("black-elphberg", False, True),
    }
    answer = api.get("/api/territory-change.json?from=2021-03-01&to=2021-04-10&theatre=atlantis")
    assert answer.status_code == 400
    assert answer.json() == UNKNOWN


def test_the_what_changed_page_of_a_theatre_holds_its_towns_only(seeded, files):  # noqa: F811
    import json

    from django.test import Client

    client = Client()
    syria = "/changes/?from=2017-01-01&to=2017-12-31"
    before = client.get(syria).content.decode()
    build_zenda(files)
    # Syria's numbers, towns and changes are those of before (the map and links name the theatre).
    assert _findings(client.get(syria + "&theatre=syria").content.decode()) == _findings(before)
    page = client.get("/changes/?theatre=zenda")  # its own dates: the change before its latest to its latest
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="from" value="2021-03-02"' in html and 'name="to" value="2021-04-10"' in html
    assert '<input type="hidden" name="theatre" value="zenda">' in html
    page = client.get("/changes/?theatre=zenda&from=2021-01-01&to=2021-04-10").content.decode()
    for name in ("Strelsau", "Tarlenheim", "Zenda"):
        assert name in page
    assert "Raqqa" not in page and "Tabqa" not in page
    assert "/api/changes.csv?theatre=zenda&amp;from=2021-01-02&amp;to=2021-04-10" in page
    config = json.loads(page.split('id="changes-map-config" type="application/json">')[1].split("</script>")[0])
    assert config["endpoints"]["areas"] == "/api/control-areas.geojson?layer=all&theatre=zenda"  # with drawn overlays
    missing = client.get("/changes/?theatre=atlantis")
    assert missing.status_code == 404
    assert "No theatre is called &#x27;atlantis&#x27;" in missing.content.decode()


def _findings(html: str) -> tuple[str, str]:
    """The what-changed page's numbers and towns, and its list of changes: what the theatre narrows."""
    html = re.sub(r"(\?|&amp;)theatre=syria", "", html)  # a theatre's page keeps it in every link
    numbers = html.split("<h2>Painted area per faction</h2>")[1].split("Every change of the period:")[0]
    changes = html.split('id="changes-geojson">GeoJSON</a>.</p>')[1].split("<script")[0]
    return numbers, re.sub(r"map_[0-9a-f]{32}", "map", changes)  # the map's id hashes its settings
