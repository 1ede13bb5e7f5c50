"""The load_boundaries commands in seeds/README.md work as written, on files shaped like the real ones.

The files are made here from the shipped polygons with each source's layer names, field names,
names and codes (OCHA COD-AB zip of shapefiles in a folder, geoBoundaries GeoJSON, GADM 4.1
GeoPackage), and the commands are read from the README and run in its order on the seeded database.
"""

import io
import shlex
import zipfile
from pathlib import Path

import geopandas as gpd
from django.core.management import call_command

from geodata.models import AdminArea, Town

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# P-code: (OCHA ADM1_EN, ISO 3166-2, GADM GID_1, GADM NAME_1)
SOURCES = {
    "SY01": ("Damascus", "SY-DI", "SYR.5_1", "Damascus"),
    "SY02": ("Aleppo", "SY-HL", "SYR.2_1", "Aleppo"),
    "SY03": ("Rural Damascus", "SY-RD", "SYR.13_1", "Rif Dimashq"),
    "SY04": ("Homs", "SY-HI", "SYR.9_1", "Ḥimş"),
    "SY05": ("Hama", "SY-HM", "SYR.8_1", "Ḥamāh"),
    "SY06": ("Lattakia", "SY-LA", "SYR.11_1", "Lattakia"),
    "SY07": ("Idleb", "SY-ID", "SYR.10_1", "Idlib"),
    "SY08": ("Al-Hasakeh", "SY-HA", "SYR.1_1", "Al Ḥasakah"),
    "SY09": ("Deir-ez-Zor", "SY-DY", "SYR.7_1", "Dayr Az Zawr"),
    "SY10": ("Tartous", "SY-TA", "SYR.14_1", "Tartus"),
    "SY11": ("Ar-Raqqa", "SY-RA", "SYR.3_1", "Ar Raqqah"),
    "SY12": ("Dar'a", "SY-DR", "SYR.6_1", "Dar`a"),
    "SY13": ("As-Sweida", "SY-SU", "SYR.4_1", "As Suwayda'"),
    "SY14": ("Quneitra", "SY-QU", "SYR.12_1", "Quneitra"),
}


def readme_commands() -> list[list[str]]:
    lines = (SEEDS / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [shlex.split(line.split("#")[0]) for line in lines if line.strip().startswith("python manage.py")]
    assert commands and all(c[2] == "load_boundaries" for c in commands)
    return [c[3:] for c in commands]


def seed_frame() -> gpd.GeoDataFrame:
    frame = gpd.read_file(SEEDS / "ocha_governorates.geojson").sort_values("ADM1_PCODE")
    return frame.assign(geometry=frame.geometry.buffer(0))


def seed_districts() -> gpd.GeoDataFrame:
    return gpd.read_file(SEEDS / "ocha_districts.geojson").sort_values("PCODE")


def ocha_zip(path: Path) -> None:
    seed = seed_frame()
    codes = list(seed["ADM1_PCODE"])
    base = {"ADM0_EN": ["Syrian Arab Republic"] * len(seed), "ADM0_PCODE": ["SY"] * len(seed)}
    adm0 = gpd.GeoDataFrame(
        {"ADM0_EN": ["Syrian Arab Republic"], "ADM0_PCODE": ["SY"]}, geometry=[seed.union_all()], crs=seed.crs
    )
    adm1 = gpd.GeoDataFrame(
        {"ADM1_EN": [SOURCES[c][0] for c in codes], "ADM1_AR": list(seed["ADM1_AR"]), "ADM1_PCODE": codes, **base},
        geometry=seed.geometry, crs=seed.crs,
    )
    districts = seed_districts()  # the shipped districts under the field names of OCHA's current release
    adm2 = gpd.GeoDataFrame(
        {"ADM2_EN": list(districts["NAME_EN"]), "ADM2_AR": list(districts["NAME_ARA"]),
         "ADM2_PCODE": list(districts["PCODE"]), "ADM1_EN": list(districts["ADMIN1_EN"]),
         "ADM1_PCODE": list(districts["ADMIN1_COD"]), "ADM0_EN": ["Syrian Arab Republic"] * len(districts),
         "ADM0_PCODE": ["SY"] * len(districts)},
        geometry=districts.geometry, crs=districts.crs,
    )
    folder = path.parent / "ocha"
    folder.mkdir()
    for level, frame in enumerate([adm0, adm1, adm2]):
        frame.to_file(folder / f"syr_admbnda_adm{level}_uncs_unocha_20201217.shp")
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, f"syr_adm_unocha_20201217_SHP/{part.name}")


def geoboundaries_geojson(path: Path) -> None:
    seed = seed_frame()
    codes = list(seed["ADM1_PCODE"])
    gpd.GeoDataFrame(
        {"shapeName": [SOURCES[c][0] for c in codes], "shapeISO": [SOURCES[c][1] for c in codes],
         "shapeID": [f"59472583B{n}" for n in range(len(codes))], "shapeGroup": ["SYR"] * len(codes),
         "shapeType": ["ADM1"] * len(codes)},
        geometry=seed.geometry, crs=seed.crs,
    ).to_file(path)


def gadm_geopackage(path: Path) -> None:
    seed = seed_frame()
    codes = list(seed["ADM1_PCODE"])
    gpd.GeoDataFrame({"GID_0": ["SYR"], "COUNTRY": ["Syria"]}, geometry=[seed.union_all()], crs=seed.crs).to_file(
        path, layer="ADM_ADM_0"
    )
    adm1 = {"GID_1": [SOURCES[c][2] for c in codes], "GID_0": ["SYR"] * len(codes),
            "COUNTRY": ["Syria"] * len(codes), "NAME_1": [SOURCES[c][3] for c in codes]}
    gpd.GeoDataFrame(adm1, geometry=seed.geometry, crs=seed.crs).to_file(path, layer="ADM_ADM_1")
    gpd.GeoDataFrame(
        {**adm1, "GID_2": [f"{g[:-2]}.1_1" for g in adm1["GID_1"]], "NAME_2": adm1["NAME_1"]},
        geometry=seed.geometry, crs=seed.crs,
    ).to_file(path, layer="ADM_ADM_2")


MAKERS = {".zip": ocha_zip, ".geojson": geoboundaries_geojson, ".gpkg": gadm_geopackage}


def test_the_readme_commands_load_the_official_files_onto_the_seed(seeded, tmp_path):
    towns_before = dict(Town.objects.values_list("slug", "admin_area__code"))
    commands = readme_commands()
    assert len(commands) >= 5
    for args in commands:
        path = tmp_path / args[0]
        if not path.exists():
            MAKERS[path.suffix](path)
        out = io.StringIO()
        call_command("load_boundaries", str(path), *args[1:], stdout=out)
        # The governorates match the seed's by code or name, the districts by code: no duplicates.
        expected = "0 created" if "--commit" in args else "0 would be created"
        assert expected in out.getvalue(), (args, out.getvalue())
        assert "untrusted" not in out.getvalue() and "refused" not in out.getvalue()
    governorates = AdminArea.objects.filter(level=1)
    assert sorted(governorates.values_list("code", flat=True)) == sorted(SOURCES)
    assert AdminArea.objects.filter(level=2).count() == 61
    assert dict(Town.objects.values_list("slug", "admin_area__code")) == towns_before
