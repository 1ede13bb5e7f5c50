"""load_towns on a gazetteer as OCHA publishes it (syr_admin4_point): names cut mid-letter at 50 bytes,
joined names near a stored town, every problem in one dry run, a summary before the list."""

import io

import pytest
from django.core.management import CommandError, call_command

from geodata.models import Town
from geodata.town_files import TownRecord
from geodata.town_matching import NameMatcher
from tests.factories import TownFactory
from tests.geodata.ocha_towns import WRITERS, Place

# OCHA's NAME_ARA is a 50-byte field: a longer UTF-8 name is cut there, here inside its 26th letter.
FULL_AR = "معارة النعمان الشرقية والغربية الجديدة"
CUT_AR = FULL_AR.encode("utf-8")[:50]  # ends in 0xd8, the first of the letter's two bytes
KEPT_AR = "معارة النعمان الشرقية والغ"  # what is left once the incomplete letter is dropped
HALAB_CP1256 = "حلب".encode("cp1256")  # not UTF-8 at all: a code page


def load(*args, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("load_towns", *map(str, args), stdout=out, verbosity=verbosity)
    return out.getvalue()


def refused(*args) -> tuple[str, str]:
    """(what was printed, the error) of a load that is refused."""
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("load_towns", *map(str, args), stdout=out)
    return out.getvalue(), str(caught.value)


def admin4_points(name_ar=CUT_AR) -> list[Place]:
    return [
        Place("Suran", "صوران", "C4301", 35.2897, 36.7433, "SY05", "SY0501", "SY050100"),
        Place("Maaret Sharqiya", name_ar, "C3301", 35.6000, 36.6000, "SY07", "SY0703", "SY070300"),
    ]


def test_the_cut_value_is_unchanged_in_the_test_file():
    assert len(CUT_AR) == 50 and CUT_AR[-1] == 0xD8 and CUT_AR[:49].decode("utf-8") == KEPT_AR


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_an_arabic_name_cut_mid_letter_is_named_as_such_and_its_letter_dropped_on_request(
    seeded, tmp_path, client, kind
):
    path = WRITERS[kind](tmp_path / f"syr_admin4_point.{kind}", admin4_points())
    _, error = refused(path, "--preset", "ocha")
    row = "line 3" if kind == "csv" else "feature 2"
    (line,) = [e for e in error.splitlines() if "NAME_ARA" in e]
    assert line.startswith(f"  {row} (Maaret Sharqiya), NAME_ARA: UTF-8 cut off mid-letter at byte 50")
    assert f"'{KEPT_AR}'" in line and "--drop-cut-letters" in line
    assert "cp1256" not in error and "--encoding" not in error  # no code page: it is UTF-8

    # The old advice no longer stores mojibake: a code page is not used on a cut UTF-8 value.
    _, error = refused(path, "--preset", "ocha", "--encoding", "cp1256")
    assert "UTF-8 cut off mid-letter at byte 50" in error and "ظ" not in error

    out = load(path, "--preset", "ocha", "--drop-cut-letters", "--commit")
    assert (
        f"cut letter dropped: {row} (Maaret Sharqiya), NAME_ARA: cut off mid-letter at byte 50; kept '{KEPT_AR}'" in out
    )
    town = Town.objects.get(external_ids__ocha_pcode="C3301")
    assert town.alt_names == [KEPT_AR]
    found = client.get("/api/towns/", {"q": "معارة النعمان الشرقية"}).json()["results"]
    assert [t["name"] for t in found] == ["Maaret Sharqiya"]


def test_a_name_garbled_by_the_old_advice_is_mended_when_the_file_is_loaded_again(seeded, tmp_path, client):
    # What `--encoding cp1256` stored before: the 50 bytes read as cp1256 (ظ…ط¹ط§ط±ط©...).
    garbled = CUT_AR.decode("cp1256")
    TownFactory(
        name="Maaret Sharqiya",
        slug="maaret-sharqiya",
        latitude=35.6,
        longitude=36.6,
        alt_names=["Maaret", garbled],
        external_ids={"ocha_pcode": "C3301"},
    )
    path = WRITERS["geojson"](tmp_path / "syr_admin4_point.geojson", admin4_points())
    out = load(path, "--preset", "ocha", "--drop-cut-letters", "--commit")
    assert (
        f"merged: feature 2 (Maaret Sharqiya) = Maaret Sharqiya (maaret-sharqiya): adds alternate name "
        f"{KEPT_AR} in place of {garbled} (its UTF-8 read as cp1256)" in out
    )
    assert Town.objects.get(slug="maaret-sharqiya").alt_names == ["Maaret", KEPT_AR]
    found = client.get("/api/towns/", {"q": "معارة النعمان"}).json()["results"]
    assert [t["name"] for t in found] == ["Maaret Sharqiya"]


def test_a_code_page_is_suggested_only_for_a_value_that_is_not_utf8(db, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_bytes(
        b"name,lat,lon,alt_names\n"
        b"Halab," + b"36.2,37.15," + HALAB_CP1256 + b"\n"
        b"Maaret Sharqiya,35.6,36.6," + CUT_AR + b"\n"
    )
    _, error = refused(path, "--allow-outside")
    halab, maaret = error.splitlines()[1:3]
    assert halab.startswith("  line 2 (Halab), alt_names: byte 0xcd (position 0) is not UTF-8")
    assert "cp1256 'حلب'" in halab and "--encoding" in halab
    assert maaret.startswith("  line 3 (Maaret Sharqiya), alt_names: UTF-8 cut off mid-letter at byte 50")
    assert "cp1256" not in maaret

    # Each value is read its own way: the code page for one, the cut letter dropped from the other.
    out = load(path, "--allow-outside", "--encoding", "cp1256", "--drop-cut-letters", "--commit")
    assert "decoded: line 2 (Halab), alt_names: not UTF-8, read as cp1256" in out
    assert "cut letter dropped: line 3 (Maaret Sharqiya), alt_names" in out
    assert Town.objects.get(name="Halab").alt_names == ["حلب"]
    assert Town.objects.get(name="Maaret Sharqiya").alt_names == [KEPT_AR]


def test_a_latin1_value_ending_in_an_accent_is_no_cut_letter(db, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_bytes(b"name,lat,lon\nCaf\xe9,36.2,37.15\n")  # 0xe9 alone at the end looks like a cut letter
    _, error = refused(path, "--allow-outside")
    assert "cp1252 'Café'" in error and "cut off mid-letter" in error  # both readings are named
    load(path, "--allow-outside", "--encoding", "cp1252", "--commit")
    assert Town.objects.get().name == "Café"


# 4. A joined name, or a name containing a stored one, close by is at least a near miss ----------------


def test_a_joined_name_holding_a_stored_alternate_name_close_by_is_a_near_miss(seeded, tmp_path):
    path = WRITERS["geojson"](
        tmp_path / "syr_admin4_point.geojson",
        [
            # The seed's Maskanah (alternate name Maskana) is 0.6 km away.
            Place("Maskana - Onaiza", "مسكنة - عنيزة", "C1933", 35.9721, 38.0333, "SY02"),
            Place("Maskanah al-Jadida", "", "C1934", 35.9700, 38.0400, "SY02"),  # contains the stored name
            Place("Onaiza", "", "C1935", 36.1000, 38.2000, "SY02"),  # 20 km off: nothing to say
        ],
    )
    out = load(path, "--preset", "ocha")
    assert (
        "near miss, review: feature 1 (Maskana - Onaiza) and stored Maskanah (maskanah): joined name "
        "(Maskana - Onaiza: Maskana = Maskana), 0.6 km apart; not merged" in out
    )
    assert (
        "near miss, review: feature 2 (Maskanah al-Jadida) and stored Maskanah (maskanah): Maskanah "
        "al-Jadida contains Maskanah, 0.7 km apart; not merged" in out
    )
    assert "feature 3 (Onaiza) and stored" not in out
    assert "3 would be created" in out


def test_the_matcher_names_joined_and_containing_names_within_the_match_distance_only():
    stored = TownRecord(1, "Maskanah", 35.9667, 38.0333, alt_names=["Maskana"])
    matcher = NameMatcher([stored])
    near = TownRecord(2, "Maskana - Onaiza", 35.9721, 38.0333)
    assert [m.reason for m in matcher.near_misses(near)] == [
        "joined name (Maskana - Onaiza: Maskana = Maskana), 0.6 km apart"
    ]
    assert matcher.find(near) is None  # reviewed, not merged
    assert matcher.near_misses(TownRecord(3, "Maskana - Onaiza", 36.0300, 38.0333)) == []  # 7 km: too far
    assert [m.reason for m in matcher.near_misses(TownRecord(4, "Onaiza / Maskanah", 35.98, 38.0333))] == [
        "joined name (Onaiza / Maskanah: Maskanah = Maskanah), 1.5 km apart"
    ]
    # A part spelled a little differently from the stored name.
    spelled = NameMatcher([TownRecord(12, "Maskana", 35.9667, 38.0333)])
    assert [m.reason for m in spelled.near_misses(TownRecord(13, "Maskanah - Onaiza", 35.9721, 38.0333))] == [
        "joined name (Maskanah - Onaiza: Maskanah ~ Maskana), 0.6 km apart"
    ]
    # A short word inside a longer name is no evidence ("Tal" in "Tal Abyad").
    assert NameMatcher([TownRecord(5, "Tal", 35.0, 38.0)]).near_misses(TownRecord(6, "Tal Abyad", 35.0, 38.001)) == []
    # Two ids of one kind: the publisher says two places ("Jurah" and its lower quarter), no review.
    jurah = TownRecord(9, "Jurah", 35.0, 38.0, external_ids={"ocha_pcode": "C1"})
    assert NameMatcher([jurah]).near_misses(TownRecord(10, "Jurah Tahtani", 35.0, 38.005)) != []
    lower = TownRecord(11, "Jurah Tahtani", 35.0, 38.005, external_ids={"ocha_pcode": "C2"})
    assert NameMatcher([jurah]).near_misses(lower) == []
    # The other way round: a stored joined name holding the incoming one.
    joined = NameMatcher([TownRecord(7, "Maskana - Onaiza", 35.9721, 38.0333)])
    assert [m.reason for m in joined.near_misses(TownRecord(8, "Onaiza", 35.9721, 38.0340))] == [
        "joined name (Maskana - Onaiza: Onaiza = Onaiza), 0.1 km apart"
    ]


# 5. Every problem of every kind in one dry run, each naming the town --------------------------------


def test_a_dry_run_lists_every_problem_of_every_kind_naming_each_town(seeded, tmp_path):
    places = [
        *admin4_points(),
        Place("Beirut", "بيروت", "C9001", 33.8938, 35.5018, "SY07"),  # far outside every area
        Place("Maskana - Onaiza", "", "C1933", 35.9721, 38.0333, "SY02"),  # a near miss, not a problem
    ]
    path = WRITERS["geojson"](tmp_path / "syr_admin4_point.geojson", places)
    out, error = refused(path, "--preset", "ocha")
    problems = error.splitlines()
    assert problems[0] == "Towns rejected, nothing written: 2 problems"
    assert problems[1].startswith("  feature 2 (Maaret Sharqiya), NAME_ARA: UTF-8 cut off mid-letter")
    assert problems[2].startswith("  feature 3 (Beirut), latitude: 33.8938, 35.5018 lies ")
    assert "km outside every loaded boundary" in problems[2]
    assert "--allow-outside" in error and "--drop-cut-letters" in error  # what would let each kind through
    # The summary is printed all the same: the rest of the file is reviewed in the same run.
    assert "near miss, review: feature 4 (Maskana - Onaiza)" in out and "2 problems" in out

    _, error = refused(path, "--preset", "ocha", "--drop-cut-letters")
    assert "Maaret Sharqiya" not in error and "feature 3 (Beirut)" in error


def test_a_bad_number_does_not_hide_a_town_outside_every_area(seeded, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("name,lat,lon,population\nBeirut,33.8938,35.5018,many\n", encoding="utf-8")
    _, error = refused(path)
    assert "line 2 (Beirut), population: 'many' is not a number" in error
    assert "line 2 (Beirut), latitude: 33.8938, 35.5018 lies" in error


# 15. A summary first; the full list with -v 2 ------------------------------------------------------


def test_the_dry_run_prints_the_summary_first_and_the_towns_only_with_verbosity_2(seeded, tmp_path):
    places = [Place(f"Village {n}", "", f"C70{n:02d}", 35.30 + n * 0.01, 36.80, "") for n in range(30)]
    places += [
        Place("Aqirbat", "عقيربات", "C4268", 35.0450, 37.4680, "SY05"),  # merges into the seed's Uqayribat
        Place("Maskana - Onaiza", "", "C1933", 35.9721, 38.0333, "SY02"),  # a near miss
    ]
    path = WRITERS["geojson"](tmp_path / "syr_admin4_point.geojson", places)
    out = load(path, "--preset", "ocha")
    lines = out.splitlines()
    assert lines[0] == "31 would be created, 0 already present, 0 duplicates in the file, 0 rows not populated places"
    assert lines[1].startswith("1 would be merged into stored towns, 1 near misses to review, 0 admin code")
    assert lines[2].startswith("would be merged: feature 31 (Aqirbat) = Uqayribat")
    assert lines[3].startswith("near miss, review: feature 32 (Maskana - Onaiza) and stored Maskanah")
    assert "would be created:" not in out and "-v 2 lists the 31 towns that would be created" in out
    assert lines[-1] == "dry run: nothing written; add --commit to write"

    full = load(path, "--preset", "ocha", verbosity=2)
    assert full.count("would be created: ") == 31
    assert full.index("near miss, review:") < full.index("would be created: feature 1 (Village 0) at 35.3, 36.8")
    assert "-v 2 lists" not in full
