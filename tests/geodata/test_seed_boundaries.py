"""The approximate governorate boundaries shipped in seeds/ meet the issue's requirements."""

import csv
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
from geodata.models import AdminArea, Town
from geodata.services import towns_assign_admin_areas

HAMA_NEIGHBOURS = {"aleppo", "idlib", "latakia", "tartus", "homs", "raqqa"}


@pytest.fixture(scope="module")
def shipped():
    layer = read_boundaries(SEED_DIR / "governorates.geojson", FieldSpec.build(level=1, preset="ocha"))
    assert not layer.rejected and not layer.repairs and not layer.overlaps
    return layer.frame.set_index("code")


@pytest.fixture(scope="module")
def metric(shipped):
    return spatial.to_metric(shipped.geometry, spatial.equal_area_crs(shipped))


@pytest.fixture(scope="module")
def slugs():
    with (SEED_DIR / "governorates.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["slug"] for row in csv.DictReader(handle)}


def seed_towns() -> list[dict]:
    with (SEED_DIR / "towns.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_there_are_fourteen_valid_polygonal_governorates(shipped, slugs):
    assert sorted(shipped.index) == sorted(slugs) and len(shipped) == 14
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in shipped.geometry)


def test_no_two_governorates_overlap(metric):
    geoms = list(metric)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1:]:
            assert shapely.intersection(a, b).area < 10  # m²: float noise only


def test_there_are_no_gaps_inside_the_outline(shipped):
    union = shapely.union_all(shipped.geometry.to_numpy())
    assert [len(p.interiors) for p in shapely.get_parts(union)] == [0] * len(shapely.get_parts(union))
    # And the pieces add up to the union: nothing double counted, nothing missing.
    total = sum(g.area for g in shipped.geometry)  # square degrees: a comparison, not a measurement
    assert union.area == pytest.approx(total, rel=1e-9)


def test_every_seed_town_lies_inside_its_true_governorate(shipped):
    for town in seed_towns():
        point = shapely.Point(float(town["longitude"]), float(town["latitude"]))
        assert shipped.loc[town["governorate"], "geometry"].contains(point), town["slug"]


def test_hama_touches_exactly_the_six_governorates_the_report_names(metric, slugs):
    hama = metric.loc["SY05"]
    touching = {
        slugs[code] for code, geom in metric.items()
        if code != "SY05" and shapely.intersection(hama.boundary, geom.boundary).length > 1_000
    }
    assert touching == HAMA_NEIGHBOURS
    # and no other governorate even meets Hama at a point
    corners = {slugs[c] for c, g in metric.items() if c != "SY05" and g.distance(hama) < 1} - HAMA_NEIGHBOURS
    assert corners == set()


def test_damascus_is_a_hole_in_rural_damascus(shipped):
    damascus, rural = shipped.loc["SY01", "geometry"], shipped.loc["SY03", "geometry"]
    holes = [shapely.Polygon(ring) for poly in shapely.get_parts(rural) for ring in poly.interiors]
    assert any(h.equals(shapely.Polygon(damascus.exterior)) for h in holes)
    shell = shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(rural)])
    assert shell.contains(damascus)


def test_the_committed_script_reproduces_the_shipped_file():
    # requirements-dev.txt pulls in the script's packages, so this never skips under `make test`.
    script = Path(SEED_DIR).parent / "scripts" / "make_boundaries.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_the_seed_places_every_town_by_spatial_join_in_its_true_governorate(seeded):
    expected = {t["slug"]: t["governorate"] for t in seed_towns()}
    assert dict(Town.objects.values_list("slug", "admin_area__code")) == expected
    assert AdminArea.objects.filter(geometry__isnull=True).count() == 0
    assert towns_assign_admin_areas().changed == []


def test_loading_the_seed_twice_changes_nothing(seeded):
    version = data_version()
    report = seed_scenario_load()
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.present["admin areas"] == 14
    assert data_version() == version


def test_an_old_database_without_boundaries_gets_them_and_keeps_its_towns(seeded):
    AdminArea.objects.update(geometry=None)
    Town.objects.update(admin_area=None)
    report = seed_scenario_load()
    assert (report.updated["admin areas"], report.created["admin areas"]) == (14, 0)
    expected = {t["slug"]: t["governorate"] for t in seed_towns()}
    assert dict(Town.objects.values_list("slug", "admin_area__code")) == expected


def test_a_town_outside_every_governorate_is_rejected_by_the_town_loader(db, tmp_path):
    # The town loader's spatial join places every town; that it puts each in the governorate of
    # towns.csv's `governorate` column is checked on the shipped file above.
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
    frame = gpd.read_file(seeds / "governorates.geojson")
    frame[frame["ADM1_PCODE"] != "SY14"].to_file(seeds / "governorates.geojson")
    with pytest.raises(SeedError, match="governorates.csv, line 15, column code: no boundary for SY14 in "
                                        "governorates.geojson"):
        seed_scenario_load(directory=seeds)
    assert not AdminArea.objects.exists()


def test_a_boundary_file_the_loader_refuses_is_named(db, tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, seeds)
    (seeds / "governorates.geojson").write_text("not json", encoding="utf-8")
    with pytest.raises(SeedError, match="governorates.geojson: .*cannot be read"):
        seed_scenario_load(directory=seeds)
    assert not AdminArea.objects.exists() and not Town.objects.exists()
