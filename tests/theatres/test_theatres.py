"""A second conflict beside Syria, built end to end through the commands a user runs: add_theatre, then its
boundaries (two levels), towns and changes; every error naming both theatres; /api/theatres/; coalitions per
theatre; Syria's API answers unchanged."""

import csv
import io
import json

import pytest
import shapely
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from events.models import ControlChange, Faction, FactionRole
from events.permissions import SEED
from events.selectors.coalitions import coalition_in
from events.services.coalitions import faction_role_set
from geodata.models import AdminArea, Theatre, Town
from tests.factories import FactionFactory

# Zenda: two governorates side by side at the equator, each with one district, far from Syria.
NORTH = shapely.box(10.0, 0.5, 11.0, 1.0)
SOUTH = shapely.box(10.0, 0.0, 11.0, 0.5)
TOWNS = [  # slug, name, latitude, longitude
    ("strel", "Strelsau", 0.75, 10.5),
    ("tarlenheim", "Tarlenheim", 0.25, 10.5),
    ("zenda-castle", "Zenda", 0.3, 10.8),
]
CHANGES = [
    ("Strelsau", "Islamic State", "2021-03-01"),  # a faction Syria has too
    ("Tarlenheim", "Black Elphberg", "2021-03-02"),  # a faction of this theatre only
    ("Zenda", "Black Elphberg", "2021-04-10"),
]
SYRIA_READS = [
    "/api/towns/?limit=1000",
    "/api/areas/?limit=1000",
    "/api/control-changes/?limit=1000",
    "/api/towns/?governorate=SY05",
    "/api/control-changes/?faction=sdf",
]


def feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}


def write(path, features) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return str(path)


def rows_csv(path, header, rows) -> str:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def changes_csv(path, rows) -> str:
    return rows_csv(
        path,
        ["town", "faction", "date", "source_title", "source_publisher"],
        [(town, faction, day, f"{town} report", "Ruritania Wire") for town, faction, day in rows],
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def files(tmp_path):
    return {
        "governorates": write(
            tmp_path / "adm1.geojson",
            [
                feature({"ADM1_PCODE": "ZZ01", "ADM1_EN": "North March"}, NORTH),
                feature({"ADM1_PCODE": "ZZ02", "ADM1_EN": "South March"}, SOUTH),
            ],
        ),
        "districts": write(
            tmp_path / "adm2.geojson",
            [
                feature({"ADM2_PCODE": "ZZ0101", "ADM2_EN": "Strelsau District", "ADM1_PCODE": "ZZ01"}, NORTH),
                feature({"ADM2_PCODE": "ZZ0201", "ADM2_EN": "Zenda District", "ADM1_PCODE": "ZZ02"}, SOUTH),
            ],
        ),
        "towns": rows_csv(tmp_path / "towns.csv", ["slug", "name", "latitude", "longitude"], TOWNS),
        "changes": changes_csv(tmp_path / "changes.csv", CHANGES),
        "dir": tmp_path,
    }


def build_zenda(files) -> Theatre:
    run("add_theatre", "zenda", "--name", "Ruritania", "--boundaries-credit", "Boundaries: Ruritanian Survey",
        "--control-credit", "Control: Strelsau Monitor")
    for level, name in ((1, "governorates"), (2, "districts")):
        run("load_boundaries", files[name], "--preset", "ocha", "--level", str(level), "--theatre", "zenda", "--commit")
    run("load_towns", files["towns"], "--theatre", "zenda", "--commit")
    FactionFactory(slug="black-elphberg", name="Black Elphberg", short_name="Black Elphberg", colour="#123456")
    run("import_changes", files["changes"], "--theatre", "zenda", "--commit", "--publish")
    return Theatre.objects.get(slug="zenda")


def reads(api) -> dict[str, bytes]:
    return {url: api.get(url).content for url in SYRIA_READS}


def test_a_second_theatre_is_built_by_the_commands_and_syria_reads_as_before(seeded, files):
    api = APIClient()
    before = reads(api)
    syria_counts = (AdminArea.objects.count(), Town.objects.count(), ControlChange.objects.count())

    zenda = build_zenda(files)

    areas = AdminArea.objects.filter(theatre=zenda)
    assert sorted(areas.values_list("code", "level")) == [("ZZ01", 1), ("ZZ0101", 2), ("ZZ02", 1), ("ZZ0201", 2)]
    towns = {t.slug: t for t in Town.objects.filter(theatre=zenda).select_related("admin_area")}
    assert {s: t.admin_area.code for s, t in towns.items()} == {
        "strel": "ZZ0101",
        "tarlenheim": "ZZ0201",
        "zenda-castle": "ZZ0201",
    }
    changes = ControlChange.objects.filter(town__theatre=zenda, state="published")
    assert sorted(changes.values_list("town__slug", "faction__slug")) == [
        ("strel", "islamic-state"),
        ("tarlenheim", "black-elphberg"),
        ("zenda-castle", "black-elphberg"),
    ]
    # Syria's rows are where they were, and every one of them is still Syria's.
    assert (
        AdminArea.objects.filter(theatre__slug="syria").count(),
        Town.objects.filter(theatre__slug="syria").count(),
        ControlChange.objects.filter(town__theatre__slug="syria").count(),
    ) == syria_counts
    # Syria's answers, asked for by theatre, are byte for byte those of before; its lists say the same.
    after = {url: api.get(url + "&theatre=syria").content for url in SYRIA_READS}
    assert after == before
    zenda_towns = api.get("/api/towns/?theatre=zenda").json()
    assert [t["slug"] for t in zenda_towns["results"]] == ["strel", "tarlenheim", "zenda-castle"]
    assert api.get("/api/control-changes/?theatre=zenda").json()["count"] == 3
    assert api.get("/api/areas/?theatre=zenda&level=2").json()["count"] == 2


def test_api_theatres_lists_each_theatres_extent_dates_and_counts(seeded, files):
    api = APIClient()
    build_zenda(files)
    answer = api.get("/api/theatres/")
    assert answer.status_code == 200
    listed = {t["slug"]: t for t in answer.json()["results"]}
    assert set(listed) == {"syria", "zenda"}
    zenda = listed["zenda"]
    assert zenda["name"] == "Ruritania"
    assert zenda["bbox"] == [10.0, 0.0, 11.0, 1.0]  # the governorates' extent
    assert (zenda["first_change"], zenda["last_change"]) == ("2021-03-01", "2021-04-10")
    assert zenda["counts"] == {"areas": 4, "towns": 3, "changes": 3}
    syria = listed["syria"]
    west, south, east, north = syria["bbox"]
    assert [west, south, east, north] == [35.5, 32.2, 42.5, 37.4]  # the seed's view (seeds/theatre.json)
    assert syria["counts"]["towns"] == Town.objects.filter(theatre__slug="syria").count()
    assert syria["counts"]["changes"] > 0 and syria["last_change"] < "2021-01-01"
    assert api.get("/api/theatres/zenda/").json() == zenda
    assert api.get("/api/theatres/atlantis/").status_code == 404


def test_a_theatre_without_areas_takes_its_towns_extent_then_the_default_bounds(db, tmp_path):
    api = APIClient()
    run("add_theatre", "zenda", "--name", "Ruritania")
    assert api.get("/api/theatres/zenda/").json()["bbox"] == [-170.0, -56.0, 180.0, 72.0]  # nothing loaded: the world
    path = rows_csv(tmp_path / "t.csv", ["slug", "name", "latitude", "longitude"], TOWNS[:2])
    run("load_towns", path, "--theatre", "zenda", "--commit", "--allow-outside")
    assert api.get("/api/theatres/zenda/").json()["bbox"] == [10.5, 0.25, 10.5, 0.75]


def test_an_unknown_theatre_is_a_400_naming_it_on_every_list(seeded):
    api = APIClient()
    for url in ("/api/towns/", "/api/areas/", "/api/control-changes/"):
        answer = api.get(url + "?theatre=atlantis")
        assert answer.status_code == 400, url
        assert answer.json() == {"theatre": ["No theatre is called 'atlantis'; known theatres: syria."]}
        assert api.get(url + "?theatre=").status_code == 400


def test_with_several_theatres_a_command_without_one_stops_and_lists_them(seeded, files):
    run("add_theatre", "zenda", "--name", "Ruritania")
    for command, path in (
        ("load_towns", files["towns"]),
        ("import_changes", files["changes"]),
        ("load_boundaries", files["governorates"]),
    ):
        with pytest.raises(CommandError, match="Several theatres exist; name one with --theatre: syria, zenda"):
            run(command, path)
        with pytest.raises(CommandError, match="No theatre is called 'ruritania'; known theatres: syria, zenda"):
            run(command, path, "--theatre", "ruritania")


def test_with_one_theatre_no_flag_is_needed(db, files):
    run("load_boundaries", files["governorates"], "--preset", "ocha", "--commit")
    assert set(AdminArea.objects.values_list("theatre__slug", flat=True)) == {"syria"}


def test_a_town_inside_another_theatres_area_is_refused_naming_both(seeded, files, tmp_path):
    build_zenda(files)
    path = rows_csv(
        tmp_path / "astray.csv",
        ["slug", "name", "latitude", "longitude"],
        [("rupert", "Rupert", 0.6, 10.2), ("hentzau", "Hentzau", 35.0, 37.4)],
    )  # the 2nd is in Syria
    before = Town.objects.count()
    with pytest.raises(CommandError) as refused:
        run("load_towns", path, "--theatre", "zenda", "--commit")
    assert "Hentzau" in str(refused.value)
    assert "of the theatre Syria (syria), not in the theatre Ruritania (zenda)" in str(refused.value)
    assert Town.objects.count() == before  # all or nothing


def test_a_change_for_a_town_of_another_theatre_is_refused_naming_both(seeded, files, tmp_path):
    build_zenda(files)
    path = changes_csv(
        tmp_path / "mixed.csv",
        [("Strelsau", "Black Elphberg", "2021-05-01"), ("Raqqa", "Black Elphberg", "2021-05-02")],
    )
    before = ControlChange.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_changes", path, "--theatre", "zenda", "--commit", stdout=io.StringIO(), stderr=err)
    assert "'Raqqa' is a town of the theatre Syria (syria), not of Ruritania (zenda) imported into" in err.getvalue()
    assert ControlChange.objects.count() == before
    # Syria's names are not Zenda's: the same file into syria finds Raqqa, and refuses Strelsau as Zenda's.
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_changes", path, "--theatre", "syria", stdout=io.StringIO(), stderr=err)
    assert "'Strelsau' is a town of the theatre Ruritania (zenda), not of Syria (syria)" in err.getvalue()


def test_an_area_code_of_another_theatre_is_refused_naming_both(seeded, tmp_path):
    run("add_theatre", "zenda", "--name", "Ruritania")
    path = write(tmp_path / "taken.geojson", [feature({"ADM1_PCODE": "SY05", "ADM1_EN": "Hama"}, NORTH)])
    with pytest.raises(
        CommandError,
        match=r"SY05\): the code is used by an area of the theatre Syria \(syria\), "
        r"not of Ruritania \(zenda\)",
    ):
        run("load_boundaries", path, "--preset", "ocha", "--theatre", "zenda", "--commit")


def test_add_theatre_refuses_a_taken_slug_and_bad_values(db):
    run("add_theatre", "zenda", "--name", "Ruritania")
    with pytest.raises(CommandError, match="SLUG: Theatre with this Slug already exists"):
        run("add_theatre", "zenda", "--name", "Other")
    with pytest.raises(CommandError, match="--bbox"):
        run("add_theatre", "other", "--name", "Other", "--bbox", "12,1,11,2")
    with pytest.raises(CommandError, match="--default-date: '2021-13-01' is not a date"):
        run("add_theatre", "other", "--name", "Other", "--default-date", "2021-13-01")
    assert list(Theatre.objects.values_list("slug", flat=True).order_by("slug")) == ["syria", "zenda"]


def test_a_faction_keeps_its_coalition_in_syria_and_stands_alone_elsewhere(seeded):
    zenda = Theatre.objects.create(slug="zenda", name="Ruritania")
    syria = Theatre.objects.get(slug="syria")
    russia, government = Faction.objects.get(slug="russia"), Faction.objects.get(slug="pro-government")
    assert coalition_in(faction=russia, theatre=syria) == government
    assert coalition_in(faction=russia, theatre=zenda) == government  # no row: the default coalition
    faction_role_set(theatre=zenda, faction=russia, coalition=None, by=SEED)
    assert coalition_in(faction=russia, theatre=zenda) == russia
    assert coalition_in(faction=russia, theatre=syria) == government
    assert russia.coalition == government  # the seed's (default) coalition is untouched
    assert FactionRole.objects.count() == 1


def test_a_coalition_loop_within_a_theatre_is_refused(seeded):
    from django.core.exceptions import ValidationError

    zenda = Theatre.objects.create(slug="zenda", name="Ruritania")
    russia, government = Faction.objects.get(slug="russia"), Faction.objects.get(slug="pro-government")
    with pytest.raises(ValidationError, match="would be its own coalition"):
        faction_role_set(theatre=zenda, faction=government, coalition=russia, by=SEED)


def test_a_theatres_slice_holds_its_towns_only_and_syrias_is_the_slice_of_before(seeded, files):
    import datetime as dt

    from events import selectors

    on = dt.date(2017, 10, 20)
    before = selectors.control_as_of(on=on)
    counts_before = selectors.control_counts_as_of(on=on)
    zenda = build_zenda(files)
    syria = Theatre.objects.get(slug="syria")
    for moved_from in (None, dt.date(2021, 3, 1)):  # read afresh, and moved from a nearby slice
        if moved_from:
            selectors.control_as_of(on=moved_from, theatre=syria)
        mine = selectors.control_as_of(on=on, theatre=syria)
        assert (mine.towns, mine.changes) == (before.towns, before.changes)
    assert selectors.control_counts_as_of(on=on, theatre=syria) == counts_before
    theirs = selectors.control_as_of(on=dt.date(2021, 3, 31), theatre=zenda)
    assert [t.slug for t in theirs.towns] == ["strel", "tarlenheim", "zenda-castle"]
    assert {theirs.factions[c.faction_id].slug for c in theirs.changes.values()} == {"islamic-state", "black-elphberg"}
    assert len(selectors.control_as_of(on=on).towns) == len(before.towns) + 3  # no theatre: every town


def test_the_map_page_of_a_theatre_opens_on_its_extent_under_its_name(seeded, files):
    from django.test import Client

    build_zenda(files)
    page = Client().get("/?theatre=zenda")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Who controls what in Ruritania, 1\u00a0Mar\u00a02021 – 10\u00a0Apr\u00a02021" in html
    assert "[[0.0, 10.0], [1.0, 11.0]]" in html  # fitBounds: the governorates' extent
    assert '{"date": "2021-04-10"' in html  # the map's config: it opens on the theatre's latest change
    config = json.loads(html.split('id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["endpoints"]["towns"] == "/api/control.geojson?theatre=zenda"  # its towns only
    links = {d["id"]: d["href"] for d in config["downloads"]}
    assert links["dl-towns"] == "/api/control.geojson?theatre=zenda&date={date}&download=1"
    assert links["dl-changes"] == "/api/changes.csv?theatre=zenda&from=2021-03-01&to={date}&download=1"
    assert "Boundaries: Ruritanian Survey" in html and "Control: Strelsau Monitor" in html  # its credit lines
    assert "Syrian Arab Republic" not in html
    syria = Client().get("/").content.decode()
    assert "Who controls what in Syria" in syria
    assert syria.count("Ruritania") == 1 and '<a href="/?theatre=zenda">Ruritania</a>' in syria  # the switcher only
    assert "Syrian Arab Republic" in syria
    # With two theatres, / is the default theatre's (the oldest, syria) map: its towns only.
    assert '"towns": "/api/control.geojson?theatre=syria"' in syria


def test_an_unknown_theatre_is_a_404_page_naming_it(seeded):
    from django.test import Client

    page = Client().get("/?theatre=<b>atlantis</b>")
    assert page.status_code == 404
    html = page.content.decode()
    assert "No theatre is called &#x27;&lt;b&gt;atlantis&lt;/b&gt;&#x27;; known theatres: syria." in html


def test_a_coalition_filter_in_a_theatre_reads_that_theatres_coalitions(seeded):
    from events.params import parse_faction

    zenda = Theatre.objects.create(slug="zenda", name="Ruritania")
    russia, government = Faction.objects.get(slug="russia"), Faction.objects.get(slug="pro-government")
    everywhere = parse_faction("pro-government")
    assert russia.pk in everywhere and parse_faction("pro-government", theatre=zenda) == everywhere
    faction_role_set(theatre=zenda, faction=russia, coalition=None, by=SEED)
    assert parse_faction("pro-government", theatre=zenda) == everywhere - {russia.pk}
    assert government.pk in parse_faction("pro-government", theatre=zenda)
    assert parse_faction("pro-government", theatre=Theatre.objects.get(slug="syria")) == everywhere


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


SYRIA_LAYERS = [
    "/api/control.geojson?date=2017-10-20",
    "/api/provinces.geojson?date=2017-10-20",
    "/api/provinces.geojson?date=2017-10-20&level=2",
    "/api/control.geojson?date=2017-10-20&faction=sdf",
    "/api/changes.geojson?from=2017-01-01&to=2017-12-31",
    "/api/changes.csv?from=2017-01-01&to=2017-12-31",
]


def test_syrias_layers_are_byte_identical_and_a_theatres_layers_hold_its_towns_only(seeded, files):
    api = APIClient()
    before = {url: body(api.get(url)) for url in SYRIA_LAYERS}
    build_zenda(files)
    for url in SYRIA_LAYERS:
        assert body(api.get(url + "&theatre=syria")) == before[url], url
    control = api.get("/api/control.geojson?date=2021-04-10&theatre=zenda").json()
    assert {(f["properties"]["name"], f["properties"]["faction"]) for f in control["features"]} == {
        ("Strelsau", "islamic-state"), ("Tarlenheim", "black-elphberg"), ("Zenda", "black-elphberg")}
    provinces = api.get("/api/provinces.geojson?date=2021-04-10&theatre=zenda").json()
    assert {(f["properties"]["code"], f["properties"]["dominant_faction"]) for f in provinces["features"]} == {
        ("ZZ01", "islamic-state"), ("ZZ02", "black-elphberg")}
    districts = api.get("/api/provinces.geojson?date=2021-04-10&level=2&theatre=zenda").json()
    assert {(f["properties"]["code"], f["properties"]["towns"]) for f in districts["features"]} == {
        ("ZZ0101", 1), ("ZZ0201", 2)}
    changes = body(api.get("/api/changes.csv?from=2021-01-01&to=2021-12-31&theatre=zenda")).decode()
    assert [row["town"] for row in csv.DictReader(io.StringIO(changes))] == ["Strelsau", "Tarlenheim", "Zenda"]
    features = json.loads(body(api.get("/api/changes.geojson?theatre=zenda")))["features"]
    assert [f["properties"]["town"] for f in features] == ["Strelsau", "Tarlenheim", "Zenda"]
    for url in ("/api/control.geojson", "/api/provinces.geojson", "/api/changes.geojson", "/api/changes.csv"):
        answer = api.get(url + "?theatre=atlantis")
        assert answer.status_code == 400
        assert answer.json() == {"theatre": ["No theatre is called 'atlantis'; known theatres: syria, zenda."]}


def test_export_geojson_takes_the_theatre_and_stops_without_one_when_there_are_several(seeded, files, tmp_path):
    out = tmp_path / "zenda.geojson"
    build_zenda(files)
    with pytest.raises(CommandError, match="Several theatres exist; name one with --theatre: syria, zenda"):
        run("export_geojson", "--layer", "control", "--out", str(out))
    with pytest.raises(CommandError, match="No theatre is called 'atlantis'; known theatres: syria, zenda"):
        run("export_geojson", "--layer", "changes-csv", "--theatre", "atlantis", "--out", str(out))
    run("export_geojson", "--layer", "control", "--date", "2021-04-10", "--theatre", "zenda", "--out", str(out))
    assert len(json.loads(out.read_text())["features"]) == 3
    api = APIClient()
    served = api.get("/api/control.geojson?date=2021-04-10&theatre=zenda").content
    assert out.read_bytes() == served  # the same bytes the API serves


def test_with_one_theatre_export_geojson_needs_no_flag_and_writes_the_file_of_before(seeded, tmp_path):
    out = tmp_path / "control.geojson"
    run("export_geojson", "--layer", "control", "--date", "2017-10-20", "--out", str(out))
    assert out.read_bytes() == APIClient().get("/api/control.geojson?date=2017-10-20").content
