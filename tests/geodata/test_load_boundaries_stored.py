"""load_boundaries against the areas already stored: other spellings match, duplicates are refused or replaced."""

import io
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from geodata.boundaries import normalise_name
from geodata.models import AdminArea, Town
from tests.factories import AdminAreaFactory

from .conftest import ALPHA, BETA, feature, write_geojson

SEED_BOUNDARIES = Path(__file__).resolve().parents[2] / "seeds" / "ocha_governorates.geojson"
# GADM 4.1's NAME_1 for Syria, by OCHA P-code.
GADM_NAMES = {
    "SY01": "Damascus", "SY02": "Aleppo", "SY03": "Rif Dimashq", "SY04": "Ḥimş", "SY05": "Ḥamāh",
    "SY06": "Lattakia", "SY07": "Idlib", "SY08": "Al Ḥasakah", "SY09": "Dayr Az Zawr", "SY10": "Tartus",
    "SY11": "Ar Raqqah", "SY12": "Dar`a", "SY13": "As Suwayda'", "SY14": "Quneitra",
}


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_boundaries", *map(str, args), stdout=out)
    return out.getvalue()


def governorate_suffix(code: str, name: str) -> tuple[str, str]:
    return f"SY-X{code[2:]}", f"{name} Governorate"


def seed_polygons_renamed(path: Path, rename) -> Path:
    """The shipped governorate polygons under other field names, names and codes: (code, name) -> (code, name)."""
    frame = gpd.read_file(SEED_BOUNDARIES)
    pairs = [rename(code, name) for code, name in zip(frame["ADM1_PCODE"], frame["ADM1_EN"], strict=True)]
    out = gpd.GeoDataFrame(
        {"GID_1": [p[0] for p in pairs], "NAME_1": [p[1] for p in pairs]}, geometry=frame.geometry, crs=frame.crs
    )
    out.to_file(path)
    return path


@pytest.mark.parametrize(("gadm", "seed"), [
    ("Dayr Az Zawr", "Dayr az-Zawr"), ("Ar Raqqah", "Al-Raqqah"), ("Dar`a", "Dar'a"), ("Darʿa", "Dar'a"),
    ("As Suwayda'", "As-Suwayda"), ("Al Ḥasakah", "Al-Hasakah"), ("Ḥimş", "Hims"), ("Deir-ez-Zor", "Deir ez-Zor"),
])
def test_spellings_of_one_name_normalise_alike(gadm, seed):
    assert normalise_name(gadm) == normalise_name(seed)


@pytest.mark.parametrize(("one", "other"), [("Damascus", "Rural Damascus"), ("Homs", "Hama"), ("Al", "")])
def test_different_names_stay_different(one, other):
    assert normalise_name(one) != normalise_name(other)


def test_gadm_names_replace_the_seed_polygons_in_place(seeded, tmp_path):
    path = seed_polygons_renamed(tmp_path / "gadm.geojson", lambda code, name: (f"SYR.{code[2:]}_1", GADM_NAMES[code]))
    out = load(path, "--preset", "gadm", "--commit")
    assert "0 created, 0 updated, 14 unchanged" in out  # the same polygons: every governorate matched by name
    assert AdminArea.objects.filter(level=1).count() == 14


def test_a_renamed_copy_of_the_stored_areas_is_refused_naming_both_and_the_km2(seeded, tmp_path):
    path = seed_polygons_renamed(tmp_path / "renamed.geojson", governorate_suffix)
    before = sorted(AdminArea.objects.values_list("code", "updated_at"))
    with pytest.raises(CommandError) as excinfo:
        load(path, "--preset", "gadm", "--commit")
    message = str(excinfo.value)
    hama = next(line for line in message.splitlines() if "Hama Governorate" in line)
    assert "Hama Governorate (SY-X05) overlaps the stored Hama (SY05) by " in hama and "km² (100% of it)" in hama
    assert "give --replace" in hama
    assert message.count("overlaps the stored") >= 14
    assert sorted(AdminArea.objects.values_list("code", "updated_at")) == before


def test_replace_matches_areas_that_are_mostly_one_another_and_keeps_their_names_codes_and_towns(seeded, tmp_path):
    path = seed_polygons_renamed(tmp_path / "renamed.geojson", governorate_suffix)
    towns_before = dict(Town.objects.values_list("pk", "admin_area__code"))
    dry = load(path, "--preset", "gadm", "--replace")
    assert (
        "would be updated: Hama (SY05, matched by overlap with Hama Governorate (SY-X05): each is 100% or more of "
        "the other; Hama Governorate becomes an alternate name)"
    ) in dry
    assert "Hama Governorate" not in AdminArea.objects.get(code="SY05").alt_names
    out = load(path, "--preset", "gadm", "--replace", "--commit")
    assert "0 created, 14 updated, 0 unchanged" in out
    codes = sorted(AdminArea.objects.filter(level=1).values_list("code", flat=True))
    assert codes == [f"SY{n:02d}" for n in range(1, 15)]
    assert "Hama Governorate" in AdminArea.objects.get(code="SY05").alt_names
    assert dict(Town.objects.values_list("pk", "admin_area__code")) == towns_before
    # The file's names are now alternate names: the next load matches by name, no --replace needed.
    assert "0 created, 0 updated, 14 unchanged" in load(path, "--preset", "gadm", "--commit")


def test_a_small_overlap_is_refused_and_with_replace_kept_and_reported(db, tmp_path):
    AdminAreaFactory(name="Alpha", code="XA01", geometry=shapely.geometry.mapping(ALPHA))
    wide_beta = shapely.box(36.95, 35, 38, 36)  # 0.05° into Alpha: about 500 km²
    path = tmp_path / "beta.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Beta"}, wide_beta)])
    refusal = r"Beta \(XA02\) overlaps the stored Alpha \(XA01\) by 5\d\d\.\d km² \(5% of it\)"
    with pytest.raises(CommandError, match=refusal):
        load(path, "--preset", "ocha", "--commit")
    # --replace keeps it, but 5% of Alpha is more than the 1% overlap a commit takes without --force.
    with pytest.raises(CommandError, match=r"Beta \(XA02\) overlaps the stored Alpha \(XA01\) by 5\d\d\.\d km² "
                       r"\(5\.\d% of the smaller\), more than the 1% allowed"):
        load(path, "--preset", "ocha", "--replace", "--commit")
    out = load(path, "--preset", "ocha", "--replace", "--commit", "--force")
    assert "overlap with a stored area: Beta (XA02) overlaps the stored Alpha (XA01) by" in out and "; kept" in out
    assert sorted(AdminArea.objects.values_list("code", flat=True)) == ["XA01", "XA02"]
    assert shape(AdminArea.objects.get(code="XA01").geometry).equals(ALPHA)


def test_an_overlap_under_the_tolerance_passes(db, tmp_path):
    AdminAreaFactory(name="Alpha", code="XA01", geometry=shapely.geometry.mapping(ALPHA))
    path = tmp_path / "beta.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Beta"}, shapely.box(36.99995, 35, 38, 36))])
    out = load(path, "--preset", "ocha", "--commit")  # 1° x 0.00005°: 111 km x 4.5 m, about 0.5 km²
    assert "1 created" in out and "overlap" not in out


def test_replace_refuses_a_merge_it_cannot_tell_apart(db, tmp_path):
    AdminAreaFactory(name="Alpha", code="XA01", geometry=shapely.geometry.mapping(ALPHA))
    AdminAreaFactory(name="Beta", code="XA02", geometry=shapely.geometry.mapping(BETA))
    path = tmp_path / "merged.geojson"
    merged = shapely.box(36, 35, 38, 36.2)  # Alpha, Beta and a strip: each is under half of it
    write_geojson(path, [feature({"ADM1_PCODE": "XB01", "ADM1_EN": "Alphabeta"}, merged)])
    with pytest.raises(CommandError) as excinfo:
        load(path, "--preset", "ocha", "--replace", "--commit")
    message = str(excinfo.value)
    assert "Alphabeta (XB01) overlaps the stored Alpha (XA01) by" in message and "(100% of it): one covers" in message
    assert "delete or redraw Alpha in the admin first" in message
    assert "delete or redraw Beta in the admin first" in message
    assert AdminArea.objects.count() == 2


def test_an_updated_area_overlapping_a_stored_neighbour_is_refused_unless_forced(db, tmp_path):
    AdminAreaFactory(name="Alpha", code="XA01", geometry=shapely.geometry.mapping(ALPHA))
    AdminAreaFactory(name="Beta", code="XA02", geometry=shapely.geometry.mapping(BETA))
    path = tmp_path / "alpha.geojson"
    write_geojson(path, [feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Alpha"}, shapely.box(36, 35, 37.1, 36))])
    with pytest.raises(CommandError, match=r"Alpha \(XA01\) overlaps the stored Beta \(XA02\) by 1,0\d\d\.\d km² "
                       r"\(10\.0% of the smaller\), more than the 1% allowed \(--max-overlap\)"):
        load(path, "--preset", "ocha", "--commit")
    assert shape(AdminArea.objects.get(code="XA01").geometry).equals(ALPHA)
    assert "refused on --commit" not in load(path, "--preset", "ocha", "--max-overlap", "11")
    out = load(path, "--preset", "ocha", "--commit", "--force")
    assert "loaded although untrusted (--force): Alpha (XA01) overlaps the stored Beta (XA02)" in out
    assert "overlap with a stored area: Alpha (XA01) overlaps the stored Beta (XA02) by 1,0" in out
    assert shape(AdminArea.objects.get(code="XA01").geometry).bounds[2] == pytest.approx(37.1)


def test_two_features_matching_one_stored_area_are_refused(db, tmp_path):
    AdminAreaFactory(name="Raqqa", code="SY11", alt_names=["Ar-Raqqa"], geometry=None)
    path = tmp_path / "twice.geojson"
    write_geojson(path, [
        feature({"ADM1_PCODE": "XA01", "ADM1_EN": "Ar Raqqa"}, ALPHA),
        feature({"ADM1_PCODE": "XA02", "ADM1_EN": "Raqqa"}, BETA),
    ])
    with pytest.raises(CommandError, match=r"Raqqa \(XA02\) and Ar Raqqa \(XA01\) both match Raqqa \(SY11\)"):
        load(path, "--preset", "ocha", "--country", "SY", "--commit")
