"""python manage.py load_boundaries: presets, dry run, commit, repairs, overlaps, bad files."""

import io
import zipfile

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from geodata.models import AdminArea
from tests.factories import AdminAreaFactory, TownFactory

from .conftest import ALPHA, BETA, GAMMA, feature, ocha_frame, write_geojson


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_boundaries", *map(str, args), stdout=out)
    return out.getvalue()


def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(db, squares_file):
    out = load(squares_file, "--preset", "ocha")
    assert "would be created: Alpha (XA01)" in out
    assert "dry run: nothing written" in out
    assert AdminArea.objects.count() == 0


def test_commit_writes_every_area_and_a_second_run_changes_nothing(db, squares_file):
    load(squares_file, "--preset", "ocha", "--commit")
    gamma = AdminArea.objects.get(code="XA03")
    assert gamma.country_code == "XA" and gamma.level == 1
    assert shape(gamma.geometry).equals(GAMMA)  # the island kept: a MultiPolygon
    stamps = dict(AdminArea.objects.values_list("code", "updated_at"))
    out = load(squares_file, "--preset", "ocha", "--commit")
    assert "0 created, 0 updated, 3 unchanged" in out
    assert dict(AdminArea.objects.values_list("code", "updated_at")) == stamps


def test_commit_reassigns_the_towns(db, squares_file):
    town = TownFactory(latitude=35.5, longitude=37.5)
    out = load(squares_file, "--preset", "ocha", "--commit")
    town.refresh_from_db()
    assert town.admin_area.code == "XA02"
    assert "towns re-assigned: 1" in out


def test_existing_areas_match_by_name_ignoring_case_and_diacritics(db, tmp_path):
    hama = AdminAreaFactory(name="Hama", code="SY05")
    path = tmp_path / "gadm.geojson"
    write_geojson(path, [feature({"NAME_1": "ḨAMĀ", "GID_1": "SYR.6_1"}, ALPHA)])
    out = load(path, "--preset", "gadm", "--commit")
    assert "updated: Hama (SY05, matched by name, file code SYR.6_1)" in out
    hama.refresh_from_db()
    assert hama.code == "SY05" and shape(hama.geometry).equals(ALPHA)
    assert AdminArea.objects.count() == 1


def test_a_projected_file_is_reprojected_to_wgs84(db, tmp_path):
    path = tmp_path / "utm.gpkg"
    ocha_frame([("XA01", "Alpha", ALPHA)]).to_crs("EPSG:32637").to_file(path)
    out = load(path, "--preset", "ocha", "--commit")
    assert "32637" in out
    stored = shape(AdminArea.objects.get(code="XA01").geometry)
    assert stored.bounds == pytest.approx(ALPHA.bounds, abs=1e-6)


def test_a_self_intersecting_polygon_is_repaired_and_reported(db, tmp_path):
    # A figure of eight drawn as one ring: its drawn (shoelace) area is 0, so the repair is refused
    # (tests/geodata/test_load_boundaries_trust.py) unless forced.
    bowtie = shapely.Polygon([(36, 35), (37, 36), (37, 35), (36, 36), (36, 35)])
    path = tmp_path / "bowtie.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Bowtie"}, bowtie)])
    out = load(path, "--preset", "ocha", "--commit", "--force")
    assert "repaired: feature 1 (Bowtie, XA01): repaired Self-intersection" in out
    stored = shape(AdminArea.objects.get(code="XA01").geometry)
    assert stored.is_valid and stored.area == pytest.approx(0.5)


def test_holes_are_kept(db, tmp_path):
    rural = shapely.box(36, 33, 37, 34).difference(shapely.box(36.4, 33.4, 36.6, 33.6))
    path = tmp_path / "holes.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "SY03", "ADM1_EN": "Rural"}, rural)])
    load(path, "--preset", "ocha", "--commit")
    stored = shape(AdminArea.objects.get(code="SY03").geometry)
    assert len(stored.interiors) == 1


def test_overlapping_areas_are_reported_with_their_km2(db, tmp_path):
    path = tmp_path / "overlap.geojson"
    write_geojson(path, [
        feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, ALPHA),
        feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Wide Beta"}, shapely.box(36.9, 35, 38, 36)),
    ])
    out = load(path, "--preset", "ocha")
    # 0.1° x 1° at 35.5°N: about 9.1 km x 111 km.
    line = next(x for x in out.splitlines() if x.startswith("overlap:"))
    km2 = float(line.split(" by ")[1].split()[0].replace(",", ""))
    assert "Alpha and Wide Beta" in line and km2 == pytest.approx(1_008, rel=0.02)


def test_a_missing_name_field_names_it_and_the_fields_the_file_has(db, squares_file):
    with pytest.raises(CommandError) as excinfo:
        load(squares_file, "--name-field", "shapeName", "--code-field", "ADM1_PCODE", "--commit")
    message = str(excinfo.value)
    assert "shapeName" in message and "ADM1_EN" in message and "ADM1_PCODE" in message
    assert "\n" not in message
    assert AdminArea.objects.count() == 0


def test_empty_and_non_polygon_features_are_rejected_by_name_and_nothing_is_written(db, tmp_path):
    path = tmp_path / "mixed.geojson"
    write_geojson(path, [
        feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, ALPHA),
        feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Pointland"}, shapely.Point(37, 35)),
        feature({"ADM1_PCODE": "XA03", "ADM1_EN": "Nowhere"}, None),
    ])
    with pytest.raises(CommandError) as excinfo:
        load(path, "--preset", "ocha", "--commit")
    message = str(excinfo.value)
    assert "Pointland, XA02): a Point is not an area" in message
    assert "Nowhere, XA03): the geometry is empty" in message
    assert AdminArea.objects.count() == 0


@pytest.mark.parametrize("content", [b"\x00\x01garbage\xff", b"name,lat\nAleppo,36.2\n"])
def test_an_unreadable_or_non_geographic_file_fails_with_one_clear_line(db, tmp_path, content):
    path = tmp_path / ("bad.geojson" if content.startswith(b"\x00") else "table.csv")
    path.write_bytes(content)
    with pytest.raises(CommandError) as excinfo:
        load(path, "--preset", "ocha")
    message = str(excinfo.value)
    assert message.startswith(path.name) and "\n" not in message
    assert "Traceback" not in message


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        load(tmp_path / "absent.geojson", "--preset", "ocha")


def test_a_zipped_shapefile_with_geoboundaries_fields_loads(db, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = ocha_frame([("SY-AL", "Alpha", ALPHA), ("SY-BE", "Beta", BETA)]).rename(
        columns={"ADM1_PCODE": "shapeISO", "ADM1_EN": "shapeName"}
    )
    frame["shapeID"] = ["ID-1", "ID-2"]
    frame.to_file(folder / "adm1.shp")
    archive = tmp_path / "adm1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    load(archive, "--preset", "geoboundaries", "--commit")
    assert sorted(AdminArea.objects.values_list("code", "country_code")) == [("SY-AL", "SY"), ("SY-BE", "SY")]


def test_districts_need_their_governorate(db, tmp_path):
    AdminAreaFactory(name="Hama", code="SY05")
    path = tmp_path / "adm2.geojson"
    write_geojson(path, [
        feature({"ADM2_PCODE": "SY0500", "ADM2_EN": "Hama", "ADM1_PCODE": "SY05"}, ALPHA),
        feature({"ADM2_PCODE": "SY9900", "ADM2_EN": "Lost", "ADM1_PCODE": "SY99"}, BETA),
    ])
    with pytest.raises(CommandError, match="parent code 'SY99' is not a loaded governorate"):
        load(path, "--preset", "ocha", "--level", "2", "--commit")
    assert AdminArea.objects.filter(level=2).count() == 0


def test_a_shapefile_in_metres_without_its_prj_fails_clearly(db, tmp_path):
    ocha_frame([("XA01", "Alpha", ALPHA)]).to_crs("EPSG:32637").to_file(tmp_path / "utm.shp")
    (tmp_path / "utm.prj").unlink()
    with pytest.raises(CommandError, match="^utm.shp: has no CRS and its coordinates are not longitude/latitude$"):
        load(tmp_path / "utm.shp", "--preset", "ocha")
