"""load_towns --preset ocha: OCHA's populated places through each path, bad bytes, admin codes, the seed's Uqayribat."""

import io

import pytest
from django.core.management import CommandError, call_command

from geodata.models import Town
from tests.geodata.ocha_towns import WRITERS, Place

HALAB_CP1256 = "حلب".encode("cp1256")  # b"\xcd\xe1\xc8": not UTF-8


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_towns", *map(str, args), stdout=out)
    return out.getvalue()


def places(bad: bool = False) -> list[Place]:
    return [
        # The seed's Uqayribat as OCHA spells it, 0.6 km from the seed's point: one town, merged.
        Place("Aqirbat", "عقيربات", "C4268", 35.0450, 37.4680, "SY05", "SY0503", "SY050301"),
        Place("Suran", "صوران", "C4301", 35.2897, 36.7433, "SY05", "SY0501", "SY050100"),
        Place("Bad Town", HALAB_CP1256 if bad else "حلب", "C4302", 35.20, 37.10, "SY05", "SY0503", "SY050300"),
    ]


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_an_ocha_file_loads_through_each_path_and_merges_the_seed_uqayribat(seeded, tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"syr_pplp.{kind}", places())
    before = Town.objects.count()
    out = load(path, "--preset", "ocha")
    row = "line" if kind == "csv" else "feature"
    first = 2 if kind == "csv" else 1
    assert f"would be merged: {row} {first} (Aqirbat) = Uqayribat (uqayribat): adds alternate name Aqirbat, " \
           "ocha_pcode C4268" in out
    assert "2 would be created" in out and "dry run" in out and Town.objects.count() == before

    out = load(path, "--preset", "ocha", "--commit")
    assert "2 created" in out and "1 merged into stored towns" in out
    assert Town.objects.count() == before + 2
    uqayribat = Town.objects.get(slug="uqayribat")
    assert uqayribat.external_ids == {"ocha_pcode": "C4268"} and "Aqirbat" in uqayribat.alt_names
    assert Town.objects.filter(name="Aqirbat").count() == 0
    suran = Town.objects.get(external_ids__ocha_pcode="C4301")
    assert (suran.name, suran.alt_names, suran.admin_area.code) == ("Suran", ["صوران"], "SY0501")
    assert suran.admin_area.parent.code == "SY05"  # the district of Hama, in the governorate
    assert (suran.latitude, suran.longitude) == (35.2897, 36.7433)
    assert uqayribat.history.count() == 2  # the seed's row, then the merge

    again = load(path, "--preset", "ocha", "--commit")  # matched by P-code now: nothing new
    assert "0 created, 3 already present" in again and Town.objects.count() == before + 2


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_bad_byte_is_a_row_error_naming_the_feature_and_the_byte_and_encoding_reads_it(db, tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"syr_pplp.{kind}", places(bad=True))
    with pytest.raises(CommandError) as caught:
        load(path, "--preset", "ocha")
    row = "line 4" if kind == "csv" else "feature 3"
    assert str(caught.value).splitlines()[1:] == [
        f"  {row} (Bad Town), NAME_ARA: byte 0xcd (position 0) is not UTF-8; it reads as cp1256 'حلب' or as "
        "cp1252 'ÍáÈ'; give --encoding with the file's encoding"
    ]
    out = load(path, "--preset", "ocha", "--encoding", "cp1256", "--commit")
    assert f"decoded: {row} (Bad Town), NAME_ARA: not UTF-8, read as cp1256" in out
    assert Town.objects.get(name="Bad Town").alt_names == ["حلب"]
    assert Town.objects.get(name="Aqirbat").alt_names == ["عقيربات"]  # the UTF-8 values stay as they were


def test_admin_codes_that_disagree_with_the_point_are_reported(seeded, tmp_path):
    rows = places()
    rows[1].admin1 = "SY07"  # Suran lies in Hama (SY05), not Idlib
    path = WRITERS["geojson"](tmp_path / "pplp.geojson", rows)
    out = load(path, "--preset", "ocha")
    assert "admin code mismatch: feature 2 (Suran): the file says ADMIN1_COD SY07, but the point is in SY05 " \
           "(Hama)" in out
    assert "1 admin code mismatches" in out


def test_districts_are_checked_with_their_governorate(db, tmp_path, squares):
    import shapely

    from geodata.models import AdminArea
    from geodata.services import admin_area_save, geometry_json

    admin_area_save(area=AdminArea(code="XA0101", name="West Alpha", slug="west-alpha", level=2, country_code="XA",
                                   parent=squares["XA01"], geometry=geometry_json(shapely.box(36.0, 35.0, 36.5, 36.0))))
    path = WRITERS["geojson"](tmp_path / "pplp.geojson", [
        Place("Right", "", "C1", 35.5, 36.2, "XA01", "XA0101"),
        Place("Wrong district", "", "C2", 35.5, 36.3, "XA01", "XA0102"),
    ])
    out = load(path, "--preset", "ocha", "--commit")
    assert Town.objects.get(name="Right").admin_area.code == "XA0101"
    assert "admin code mismatch: feature 2 (Wrong district): the file says ADMIN2_COD XA0102, but the point is " \
           "in XA0101 (West Alpha)" in out
    assert "feature 1 (Right)" not in out


def test_a_multipoint_of_several_points_is_a_row_error(db, tmp_path):
    rows = places()
    rows[1].points = 2
    path = WRITERS["geojson"](tmp_path / "pplp.geojson", rows)
    with pytest.raises(CommandError, match=r"feature 2 \(Suran\): a MultiPoint of 2 points is not one town"):
        load(path, "--preset", "ocha")


def test_a_file_without_the_name_field_says_which_fields_it_has(db, tmp_path):
    path = WRITERS["geojson"](tmp_path / "pplp.geojson", places())
    with pytest.raises(CommandError) as caught:
        load(path)
    message = str(caught.value)
    assert "missing field(s) name; the file has NAME_EN, NAME_ARA, PCODE" in message and "--preset" in message
    assert message.count("\n") == 1  # one line, not one per feature


def test_field_options_name_the_fields_of_any_file(db, tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text("town,y,x,other,code\nSuran,35.2897,36.7433,Sooran,V-1\n", encoding="utf-8")
    load(path, "--name-field", "town", "--lat-field", "y", "--lon-field", "x", "--alt-name-fields", "other",
         "--id-field", "code", "--commit")
    suran = Town.objects.get()
    assert (suran.name, suran.alt_names, suran.external_ids) == ("Suran", ["Sooran"], {"code": "V-1"})
