"""The official OCHA boundaries shipped in seeds/ stay true to the originals and place every seed town."""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from events.seeding import SEED_DIR, SeedError, seed_scenario_load
from events.selectors import data_version
from geodata import spatial
from geodata.boundaries import FieldSpec, read_boundaries
from geodata.boundary_checks import MIN_SHIPPED_IOU, iou
from geodata.models import AdminArea, Town
from geodata.services import towns_assign_admin_areas
from tests.conftest import requires_file
from tests.seed_theatre import OCHA_ATTRIBUTION

HAMA_NEIGHBOURS = {"aleppo", "idlib", "latakia", "tartus", "homs", "raqqa"}
SHIPPED = {  # level: (shipped file, published original, areas)
    1: ("ocha_governorates.geojson", "syr_admin1.geojson", 14), 2: ("ocha_districts.geojson", "syr_admin2.geojson", 61),
}
AREAS = 14 + 61


def originals_dir() -> Path:
    """Where the published OCHA files are: $OCHA_SYRIA_DIR, else shared/data/ocha-syria beside the repository
    (as in CI) or above it; the place beside the repository when none holds them."""
    if os.environ.get("OCHA_SYRIA_DIR"):
        return Path(os.environ["OCHA_SYRIA_DIR"])
    repository = Path(SEED_DIR).resolve().parent
    places = [parent / "shared" / "data" / "ocha-syria" for parent in repository.parents]
    return next((p for p in places if (p / SHIPPED[1][1]).exists()), places[0])


@pytest.fixture(scope="module")
def originals() -> Path:
    """The folder holding both published files; skips without them, fails under CI."""
    for level in SHIPPED:
        requires_file(originals_dir() / SHIPPED[level][1],
                      provide="the published OCHA originals; set OCHA_SYRIA_DIR or see seeds/README.md")
    return originals_dir()


def shipped_layer(level: int):
    layer = read_boundaries(SEED_DIR / SHIPPED[level][0], FieldSpec.build(level=level, preset="ocha"))
    assert not layer.rejected and not layer.repairs and not layer.overlaps
    return layer.frame.set_index("code")


@pytest.fixture(scope="module")
def governorates():
    return shipped_layer(1)


@pytest.fixture(scope="module")
def metric(governorates):
    return spatial.to_metric(governorates.geometry, spatial.equal_area_crs(governorates))


@pytest.fixture(scope="module")
def slugs():
    with (SEED_DIR / "governorates.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["slug"] for row in csv.DictReader(handle)}


def seed_towns() -> list[dict]:
    with (SEED_DIR / "towns.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("level", [1, 2])
def test_every_shipped_area_keeps_an_iou_of_at_least_99_percent_against_the_ocha_original(originals, level):
    shipped = shipped_layer(level)
    original = gpd.read_file(originals / SHIPPED[level][1])
    original = original.set_index("ADM1_PCODE" if level == 1 else "PCODE").loc[shipped.index]
    scores = dict(zip(shipped.index, iou(original.geometry, shipped.geometry), strict=True))
    assert min(scores.values()) >= MIN_SHIPPED_IOU, sorted(scores.items(), key=lambda kv: kv[1])[:3]


def test_the_script_reproduces_the_shipped_files(originals):
    script = Path(SEED_DIR).parent / "scripts" / "simplify_boundaries.py"
    result = subprocess.run(
        [sys.executable, str(script), str(originals), "--check"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


def test_fourteen_governorates_and_sixty_one_districts_each_under_a_listed_governorate(governorates, slugs):
    districts = shipped_layer(2)
    assert sorted(governorates.index) == sorted(slugs) and len(districts) == SHIPPED[2][2]
    assert set(districts["parent_code"]) == set(slugs)
    for path in (SHIPPED[1][0], SHIPPED[2][0]):
        assert OCHA_ATTRIBUTION in (SEED_DIR / path).read_text(encoding="utf-8")[:300]


def test_no_two_governorates_overlap(metric):
    geoms = list(metric)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1:]:
            assert shapely.intersection(a, b).area < 10  # m²: float noise only


def test_hama_touches_exactly_the_six_governorates_the_report_names(metric, slugs):
    hama = metric.loc["SY05"]
    touching = {
        slugs[code] for code, geom in metric.items()
        if code != "SY05" and shapely.intersection(hama.boundary, geom.boundary).length > 1_000
    }
    assert touching == HAMA_NEIGHBOURS
    corners = {slugs[c] for c, g in metric.items() if c != "SY05" and g.distance(hama) < 1} - HAMA_NEIGHBOURS
    assert corners == set()


def test_damascus_is_a_hole_in_rural_damascus(governorates):
    damascus, rural = governorates.loc["SY01", "geometry"], governorates.loc["SY03", "geometry"]
    holes = [shapely.Polygon(ring) for poly in shapely.get_parts(rural) for ring in poly.interiors]
    assert any(h.equals(shapely.Polygon(damascus.exterior)) for h in holes)


def test_the_seed_places_every_town_in_a_district_of_the_governorate_towns_csv_names(seeded):
    expected = {t["slug"]: t["governorate"] for t in seed_towns()}
    placed = Town.objects.values_list("slug", "admin_area__level", "admin_area__parent__code")
    assert {slug: (level, parent) for slug, level, parent in placed} == {s: (2, g) for s, g in expected.items()}
    assert AdminArea.objects.filter(geometry__isnull=True).count() == 0
    assert towns_assign_admin_areas().changed == []


def test_every_seed_town_lies_in_its_governorate_by_the_loaders_join(governorates):
    # Within, or (Jableh and Tartus, on the coast) within the loader's 1 km of the coastline.
    towns = gpd.GeoDataFrame(
        {"slug": [t["slug"] for t in seed_towns()]},
        geometry=[shapely.Point(float(t["longitude"]), float(t["latitude"])) for t in seed_towns()], crs=spatial.WGS84,
    )
    areas = gpd.GeoDataFrame({"area_id": range(len(governorates)), "code": governorates.index},
                             geometry=governorates.geometry.to_numpy(), crs=spatial.WGS84)
    joined = spatial.towns_join_areas(towns, areas)
    codes = [governorates.index[int(i)] for i in joined["area_id"]]
    assert dict(zip(towns["slug"], codes, strict=True)) == {t["slug"]: t["governorate"] for t in seed_towns()}


def test_loading_the_seed_twice_changes_nothing(seeded):
    version = data_version()
    report = seed_scenario_load()
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.present["admin areas"] == AREAS
    assert data_version() == version


def test_an_old_database_without_boundaries_gets_them_and_keeps_its_towns(seeded):
    AdminArea.objects.update(geometry=None)
    Town.objects.update(admin_area=None)
    report = seed_scenario_load()
    assert (report.updated["admin areas"], report.created["admin areas"]) == (AREAS, 0)
    expected = {t["slug"]: t["governorate"] for t in seed_towns()}
    assert dict(Town.objects.values_list("slug", "admin_area__parent__code")) == expected


def test_a_town_outside_every_governorate_is_rejected_by_the_town_loader(db, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, seeds)
    text = (seeds / "towns.csv").read_text(encoding="utf-8")
    (seeds / "towns.csv").write_text(text.replace("35.0422,37.4628,,SY05", "31.0422,37.4628,,SY05"), encoding="utf-8")
    with pytest.raises(SeedError) as excinfo:
        seed_scenario_load(directory=seeds)
    assert "towns.csv, line 2, column latitude: " in str(excinfo.value)
    assert "outside" in str(excinfo.value)
    assert not Town.objects.exists() and not AdminArea.objects.exists()


def test_a_broken_boundary_file_is_reported_and_nothing_written(db, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, seeds)
    frame = gpd.read_file(seeds / SHIPPED[1][0])
    frame[frame["ADM1_PCODE"] != "SY14"].to_file(seeds / SHIPPED[1][0])
    with pytest.raises(SeedError, match="governorates.csv, line 15, column code: no boundary for SY14 in "
                                        "ocha_governorates.geojson"):
        seed_scenario_load(directory=seeds)
    assert not AdminArea.objects.exists()


@pytest.mark.parametrize("level", [1, 2])
def test_a_boundary_file_the_loader_refuses_is_named(db, tmp_path, level):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, seeds)
    (seeds / SHIPPED[level][0]).write_text("not json", encoding="utf-8")
    with pytest.raises(SeedError, match=f"{SHIPPED[level][0]}: .*cannot be read"):
        seed_scenario_load(directory=seeds)
    assert not AdminArea.objects.exists() and not Town.objects.exists()
