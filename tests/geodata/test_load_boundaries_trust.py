"""load_boundaries --commit refuses what it cannot trust unless --force; the dry run lists every town's move."""

import io
import json

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from events.seeding import SEED_DIR
from geodata.boundary_checks import swapped
from geodata.models import AdminArea, Town
from tests.factories import AdminAreaFactory, TownFactory

from .conftest import ALPHA, BETA, feature, write_geojson

GOVERNORATES = SEED_DIR / "ocha_governorates.geojson"
REFUSED = "Boundaries rejected, nothing written"


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_boundaries", *map(str, args), stdout=out)
    return out.getvalue()


def refusal(*args) -> str:
    with pytest.raises(CommandError) as excinfo:
        load(*args)
    assert str(excinfo.value).startswith(REFUSED) and "refused unless --force" in str(excinfo.value)
    return str(excinfo.value)


def one_governorate(tmp_path, code: str, edit) -> str:
    """The shipped file's governorate ``code`` alone, its geometry passed through ``edit``."""
    collection = json.loads(GOVERNORATES.read_text(encoding="utf-8"))
    (found,) = [f for f in collection["features"] if f["properties"]["ADM1_PCODE"] == code]
    path = tmp_path / f"{code}.geojson"
    write_geojson(path, [feature(found["properties"], edit(shape(found["geometry"])))])
    return path


@pytest.fixture
def governorates_only(db):
    """The official governorates and a few Hama towns, without districts (as the issue tried it)."""
    load(GOVERNORATES, "--preset", "ocha", "--commit")
    towns = [("Hama", 35.1318, 36.7578), ("Salamiyah", 35.0113, 37.0527), ("Uqayribat", 35.0422, 37.4628)]
    for name, lat, lon in towns:
        TownFactory(name=name, slug=name.lower(), latitude=lat, longitude=lon)
    return AdminArea.objects.get(code="SY05")


def test_a_repair_that_changes_an_area_by_more_than_one_percent_is_refused_unless_forced(db, tmp_path):
    # Alpha with a loop twisted across itself into Beta's side: drawn, the loop counts against the area
    # (the ring runs the other way round it); make_valid keeps it as a second piece.
    looped = shapely.Polygon([(36, 35), (37, 35), (37, 35.5), (37.3, 35.8), (37.3, 35.2), (37, 35.5), (37, 36),
                              (36, 36)])
    path = tmp_path / "looped.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, looped)])
    message = refusal(path, "--preset", "ocha", "--commit")
    assert "Alpha (XA01): repairing its invalid geometry changed its area by" in message and "more than 1%" in message
    assert not AdminArea.objects.exists()
    out = load(path, "--preset", "ocha", "--commit", "--force")
    assert "loaded although untrusted (--force): Alpha (XA01): repairing" in out
    assert AdminArea.objects.get(code="XA01").geometry


def test_a_repair_that_barely_changes_the_area_passes(db, tmp_path):
    # A 100 m figure of eight on the edge: a self-intersection whose repair changes nothing visible.
    spiked = shapely.Polygon([(36, 35), (37, 35), (37, 35.5), (37.001, 35.501), (37.001, 35.5), (37, 35.501), (37, 36),
                              (36, 36)])
    assert not spiked.is_valid
    path = tmp_path / "spiked.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, spiked)])
    out = load(path, "--preset", "ocha", "--commit")
    assert "repaired: feature 1 (Alpha, XA01)" in out and "changed by 0.0%" in out and "untrusted" not in out


def test_areas_of_one_file_overlapping_above_the_threshold_are_refused_and_the_option_moves_it(db, tmp_path):
    path = tmp_path / "overlap.geojson"
    write_geojson(path, [
        feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, ALPHA),
        feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Wide Beta"}, shapely.box(36.9, 35, 38, 36)),
    ])
    message = refusal(path, "--preset", "ocha", "--commit")
    assert "Alpha (XA01) and Wide Beta (XA02) in the file overlap by 1,0" in message
    assert "(10.0% of the smaller), more than the 1% allowed (--max-overlap)" in message
    assert not AdminArea.objects.exists()
    assert "2 created" in load(path, "--preset", "ocha", "--commit", "--max-overlap", "15")


def test_a_hama_drawn_over_tartus_is_refused(governorates_only, tmp_path):
    tartus = shape(AdminArea.objects.get(code="SY10").geometry)
    path = one_governorate(tmp_path, "SY05", lambda hama: hama.union(tartus.buffer(-0.01)))
    message = refusal(path, "--preset", "ocha", "--commit")
    assert "Hama (SY05) overlaps the stored Tartous (SY10) by" in message  # the file's names: no curated ones here
    assert shape(AdminArea.objects.get(code="SY05").geometry).intersection(tartus).area < 1e-6


def test_districts_outside_the_stored_country_are_refused(governorates_only, tmp_path):
    path = tmp_path / "districts.geojson"
    write_geojson(path, [
        feature({"PCODE": "SY0500", "NAME_EN": "Hama", "ADMIN1_COD": "SY05"}, shapely.box(36.6, 35.0, 36.9, 35.3)),
        feature({"PCODE": "SY0599", "NAME_EN": "Seaside", "ADMIN1_COD": "SY05"}, shapely.box(34.5, 35.0, 35.5, 35.5)),
    ])
    message = refusal(path, "--preset", "ocha", "--level", "2", "--commit")
    assert "Seaside (SY0599): " in message and "lies outside SY as stored (the union of its governorates)" in message
    assert "Hama (SY0500)" not in message
    assert not AdminArea.objects.filter(level=2).exists()


def test_hama_with_latitude_and_longitude_swapped_is_refused_naming_the_likely_cause(governorates_only, tmp_path):
    path = one_governorate(tmp_path, "SY05", swapped)
    dry = load(path, "--preset", "ocha")
    assert "refused on --commit unless --force: Hama (SY05): " in dry
    assert "  Salamiyah: would leave Hama and be outside every area" in dry
    message = refusal(path, "--preset", "ocha", "--commit")
    assert "Hama (SY05): " in message and "lies outside SY as stored" in message
    assert "coordinates in latitude, longitude order? (with its axes exchanged it lies inside)" in message
    assert "3 towns now in Hama would be left outside every area (Hama, Salamiyah, Uqayribat)" in message
    assert "coordinates in latitude, longitude order? (with its axes exchanged it covers them)" in message
    assert Town.objects.filter(admin_area__code="SY05").count() == 3
    out = load(path, "--preset", "ocha", "--commit", "--force")
    assert "loaded although untrusted (--force)" in out
    assert Town.objects.filter(admin_area__isnull=True).count() == 3


def test_the_dry_run_lists_every_town_that_would_change_area(db, tmp_path):
    AdminAreaFactory(name="Alpha", code="XA01", geometry=shapely.geometry.mapping(ALPHA))
    AdminAreaFactory(name="Beta", code="XA02", geometry=shapely.geometry.mapping(BETA))
    TownFactory(name="Borderton", latitude=35.5, longitude=36.95)
    TownFactory(name="Stayput", latitude=35.5, longitude=36.5)
    path = tmp_path / "moved.geojson"
    write_geojson(path, [
        feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, shapely.box(36, 35, 36.9, 36)),
        feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Beta"}, shapely.box(36.9, 35, 38, 36)),
    ])
    out = load(path, "--preset", "ocha")
    assert "towns that would change area: 1\n  Borderton: Alpha → Beta\n" in out
    assert "Stayput" not in out and "untrusted" not in out and "refused" not in out
    assert Town.objects.get(name="Borderton").admin_area.code == "XA01"
