"""load_boundaries on multi-layer files: GeoPackages and zips of shapefiles holding several levels."""

import io
import zipfile

import geopandas as gpd
import pytest
import shapely
from django.core.management import CommandError, call_command

from geodata.boundaries import country_from_code
from geodata.models import AdminArea
from tests.factories import AdminAreaFactory

from .conftest import ALPHA, BETA, ocha_frame

SYRIA = shapely.box(36.0, 35.0, 38.0, 36.0)


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_boundaries", *map(str, args), stdout=out)
    return out.getvalue()


def ocha_levels() -> dict[str, gpd.GeoDataFrame]:
    """OCHA COD-AB layers as shipped: adm0, adm1, and adm2 repeating the adm1 fields; boundary lines."""
    adm0 = gpd.GeoDataFrame({"ADM0_EN": ["Syria"], "ADM0_PCODE": ["SY"]}, geometry=[SYRIA], crs="EPSG:4326")
    adm1 = ocha_frame([("SY01", "Alpha", ALPHA), ("SY02", "Beta", BETA)])
    adm1["ADM0_EN"], adm1["ADM0_PCODE"] = "Syria", "SY"
    adm2 = gpd.GeoDataFrame(
        {"ADM2_EN": ["Alpha West", "Alpha East", "Beta"], "ADM2_PCODE": ["SY0100", "SY0101", "SY0200"],
         "ADM2_AR": ["", "", ""], "ADM1_EN": ["Alpha", "Alpha", "Beta"], "ADM1_PCODE": ["SY01", "SY01", "SY02"],
         "ADM0_EN": ["Syria"] * 3},
        geometry=[shapely.box(36, 35, 36.5, 36), shapely.box(36.5, 35, 37, 36), BETA], crs="EPSG:4326",
    )
    border = shapely.LineString([(37, 35), (37, 36)])
    lines = gpd.GeoDataFrame({"ADM1_EN": ["Alpha"]}, geometry=[border], crs="EPSG:4326")
    return {
        "syr_admbnda_adm0_uncs_unocha": adm0, "syr_admbnda_adm1_uncs_unocha": adm1,
        "syr_admbnda_adm2_uncs_unocha": adm2, "syr_admbndl_admall_uncs_unocha": lines,
    }


def zip_of_shapefiles(tmp_path, layers: dict[str, gpd.GeoDataFrame], folder: str = "") -> object:
    shp = tmp_path / "shp"
    shp.mkdir()
    for name, frame in layers.items():
        frame.to_file(shp / f"{name}.shp")
    archive = tmp_path / "syr_adm_unocha_shp.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(shp.iterdir()):
            zf.write(part, f"{folder}{part.name}")
    return archive


def test_a_geopackage_whose_first_layer_is_points_loads_its_polygon_layer(db, tmp_path):
    path = tmp_path / "two.gpkg"
    points = gpd.GeoDataFrame(
        {"ADM1_EN": ["Alpha town"], "ADM1_PCODE": ["XA99"]}, geometry=[shapely.Point(36.5, 35.5)], crs="EPSG:4326"
    )
    points.to_file(path, layer="towns")
    ocha_frame([("XA01", "Alpha", ALPHA), ("XA02", "Beta", BETA)]).to_file(path, layer="governorates")
    out = load(path, "--preset", "ocha", "--commit")
    assert "read 2 level-1 areas from layer governorates" in out
    assert sorted(AdminArea.objects.values_list("code", flat=True)) == ["XA01", "XA02"]


def test_a_zip_of_the_adm0_and_adm1_shapefiles_loads_adm1(db, tmp_path):
    layers = ocha_levels()
    archive = zip_of_shapefiles(tmp_path, {k: v for k, v in layers.items() if "adm2" not in k})
    out = load(archive, "--preset", "ocha", "--commit")
    assert "from layer syr_admbnda_adm1_uncs_unocha" in out
    assert sorted(AdminArea.objects.values_list("code", "name")) == [("SY01", "Alpha"), ("SY02", "Beta")]


def test_an_ocha_zip_in_a_folder_gives_each_level_its_own_layer(db, tmp_path):
    archive = zip_of_shapefiles(tmp_path, ocha_levels(), folder="syr_adm_unocha_20201217_SHP/")
    load(archive, "--preset", "ocha", "--commit")
    out = load(archive, "--preset", "ocha", "--level", "2", "--commit")
    assert "from layer syr_admbnda_adm2_uncs_unocha" in out
    districts = dict(AdminArea.objects.filter(level=2).values_list("code", "parent__code"))
    assert districts == {"SY0100": "SY01", "SY0101": "SY01", "SY0200": "SY02"}


def test_the_layer_can_be_named_where_the_fields_alone_do_not_tell(db, tmp_path):
    path = tmp_path / "levels.gpkg"
    for name, frame in ocha_levels().items():
        frame.to_file(path, layer=name)
    fields = ("--name-field", "ADM1_EN", "--code-field", "ADM1_PCODE")  # adm1 and adm2 both have them
    with pytest.raises(CommandError, match="2 layers have polygons and the name field ADM1_EN"):
        load(path, *fields)
    out = load(path, *fields, "--layer", "syr_admbnda_adm1_uncs_unocha")
    assert "would be created: Alpha (SY01)" in out and "2 would be created" in out


def test_several_fitting_layers_fail_with_one_line_listing_every_layer(db, tmp_path):
    path = tmp_path / "twice.gpkg"
    ocha_frame([("XA01", "Alpha", ALPHA)]).to_file(path, layer="old")
    ocha_frame([("XA01", "Alpha", BETA)]).to_file(path, layer="new")
    with pytest.raises(CommandError) as excinfo:
        load(path, "--preset", "ocha", "--commit")
    message = str(excinfo.value)
    assert message == (
        "twice.gpkg: 2 layers have polygons and the name field ADM1_EN (old, new); give --layer, one of: "
        "old (Polygon), new (Polygon)"
    )
    assert AdminArea.objects.count() == 0


def test_no_fitting_layer_fails_naming_the_layers_and_their_geometry(db, tmp_path):
    path = tmp_path / "gadm41_SYR.gpkg"
    for name, frame in ocha_levels().items():
        frame.to_file(path, layer=name)
    with pytest.raises(CommandError) as excinfo:
        load(path, "--preset", "gadm")
    message = str(excinfo.value)
    assert message.startswith("gadm41_SYR.gpkg: no layer has polygons and the name field NAME_1; give --layer")
    assert "syr_admbndl_admall_uncs_unocha (LineString)" in message and "\n" not in message


def test_an_unknown_layer_is_named_with_the_ones_there(db, tmp_path):
    path = tmp_path / "one.gpkg"
    ocha_frame([("XA01", "Alpha", ALPHA)]).to_file(path, layer="adm1")
    with pytest.raises(CommandError, match=r"^one.gpkg: has no layer 'adm2'; its layers: adm1 \(Polygon\)$"):
        load(path, "--preset", "ocha", "--layer", "adm2")


def test_districts_of_a_gadm_geopackage_come_from_its_adm2_layer(db, tmp_path):
    AdminAreaFactory(name="Alpha", code="SYR.1_1", country_code="SY")
    path = tmp_path / "gadm41_SYR.gpkg"
    gpd.GeoDataFrame({"GID_0": ["SYR"], "COUNTRY": ["Syria"]}, geometry=[SYRIA], crs="EPSG:4326").to_file(
        path, layer="ADM_ADM_0"
    )
    gpd.GeoDataFrame({"GID_1": ["SYR.1_1"], "NAME_1": ["Alpha"], "GID_0": ["SYR"]}, geometry=[ALPHA],
                     crs="EPSG:4326").to_file(path, layer="ADM_ADM_1")
    gpd.GeoDataFrame({"GID_2": ["SYR.1.1_1"], "NAME_2": ["Alpha West"], "GID_1": ["SYR.1_1"], "NAME_1": ["Alpha"]},
                     geometry=[shapely.box(36, 35, 36.5, 36)], crs="EPSG:4326").to_file(path, layer="ADM_ADM_2")
    out = load(path, "--preset", "gadm", "--level", "2", "--country", "SY", "--commit")
    assert "from layer ADM_ADM_2" in out
    assert AdminArea.objects.get(code="SYR.1.1_1").parent.code == "SYR.1_1"


def gadm_geopackage(path, rows: list[tuple[str, str, object]]):
    """A GADM 4.1 country file: ADM_ADM_0 and ADM_ADM_1 layers with GADM's field names."""
    gpd.GeoDataFrame({"GID_0": ["SYR"], "COUNTRY": ["Syria"]}, geometry=[SYRIA], crs="EPSG:4326").to_file(
        path, layer="ADM_ADM_0"
    )
    gpd.GeoDataFrame(
        {"GID_1": [r[0] for r in rows], "GID_0": ["SYR"] * len(rows), "COUNTRY": ["Syria"] * len(rows),
         "NAME_1": [r[1] for r in rows], "VARNAME_1": ["NA"] * len(rows), "HASC_1": ["NA"] * len(rows)},
        geometry=[r[2] for r in rows], crs="EPSG:4326",
    ).to_file(path, layer="ADM_ADM_1")
    return path


def test_new_gadm_areas_take_their_country_from_the_iso3_code(db, tmp_path):
    path = gadm_geopackage(tmp_path / "gadm41_SYR.gpkg", [("SYR.1_1", "Alpha", ALPHA), ("SYR.2_1", "Beta", BETA)])
    out = load(path, "--preset", "gadm", "--commit")
    assert "from layer ADM_ADM_1" in out
    assert sorted(AdminArea.objects.values_list("code", "country_code")) == [("SYR.1_1", "SY"), ("SYR.2_1", "SY")]


@pytest.mark.parametrize(("code", "country"), [
    ("SY05", "SY"), ("SY-HM", "SY"), ("SYR.6_1", "SY"), ("SYR-ADM1-3_0_0-B5", "SY"), ("IRQ.1_1", "IQ"),
    ("TUR.12_1", "TR"), ("XYZ.1_1", None), ("59472583B12", None), ("SYRIA", None),
])
def test_the_country_is_read_from_the_code(code, country):
    assert country_from_code(code) == country


def test_a_code_of_a_country_not_in_the_table_asks_for_country(db, tmp_path):
    path = gadm_geopackage(tmp_path / "gadm41_XYZ.gpkg", [("XYZ.1_1", "Alpha", ALPHA)])
    with pytest.raises(CommandError, match=r"Alpha \(XYZ.1_1\): cannot tell the country from the code; give --country"):
        load(path, "--preset", "gadm")
    load(path, "--preset", "gadm", "--country", "sy", "--commit")
    assert AdminArea.objects.get(code="XYZ.1_1").country_code == "SY"
