"""load_towns matches rather than duplicates: ids, names within 5 km, merges, near misses, one transaction."""

import io

import pytest
from django.core.management import CommandError, call_command

from geodata.models import Town
from geodata.town_files import TownRecord
from geodata.town_matching import NameMatcher
from tests.factories import TownFactory
from tests.geodata.ocha_towns import Place, write_geojson


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_towns", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def tabqa(db):
    return TownFactory(name="Tabqa", slug="tabqa", latitude=35.8367, longitude=38.5481, alt_names=["Al-Thawrah"],
                       external_ids={"ocha_pcode": "C5001"})


def test_a_town_matches_by_pcode_wherever_the_file_puts_it_and_by_name_within_5_km(tabqa, tmp_path):
    path = write_geojson(tmp_path / "p.geojson", [
        Place("Madinat al-Thawra", "الطبقة", "C5001", 35.90, 38.60, "SY11"),  # 8 km off, but the same P-code
    ])
    assert "merged: feature 1 (Madinat al-Thawra) = Tabqa (tabqa): adds alternate name Madinat al-Thawra, " \
           "alternate name الطبقة" in load(path, "--preset", "ocha", "--allow-outside", "--commit")
    csv = tmp_path / "t.csv"
    csv.write_text("name,lat,lon,geonames_id\nThawrah,35.8700,38.5481,172374\n", encoding="utf-8")  # 3.7 km
    out = load(csv, "--allow-outside", "--commit")
    # "Thawrah" is "Al-Thawrah" without the article: no new name, only the id.
    assert "merged: line 2 (Thawrah) = Tabqa (tabqa): adds GeoNames id 172374" in out
    tabqa.refresh_from_db()
    assert tabqa.geonames_id == 172374 and tabqa.alt_names == ["Al-Thawrah", "Madinat al-Thawra", "الطبقة"]
    assert Town.objects.count() == 1


def test_near_misses_are_listed_for_review_and_not_merged(tabqa, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "name,lat,lon\n"
        "Tabqa,35.9000,38.5481\n"  # the same name 7 km off: perhaps the same town, perhaps not
        "Tabqah,35.8400,38.5500\n"  # a similar name 0.4 km off
        "Raqqa,35.9528,39.0089\n",
        encoding="utf-8",
    )
    out = load(path, "--allow-outside")
    assert "near miss, review: line 2 (Tabqa) and stored Tabqa (tabqa): same name, 7.0 km apart; not merged" in out
    assert "near miss, review: line 3 (Tabqah) and stored Tabqa (tabqa): similar name (tabqah ~ tabqa), 0.4 km " \
           "apart; not merged" in out
    assert "line 4" not in out.split("near miss")[-1]
    assert "3 would be created" in out and "2 near misses to review" in out


def test_two_towns_of_one_name_within_10_km_in_the_file_are_named_both(db, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name,lat,lon\nKafr Nabl,35.6140,36.5610\nKafr Nabl,35.6770,36.5610\n", encoding="utf-8")
    out = load(path, "--allow-outside")
    assert "near miss, review: line 3 (Kafr Nabl) and line 2 (Kafr Nabl): same name, 7.0 km apart" in out


def test_two_places_with_different_pcodes_are_two_towns_though_one_name_is_close(db, tmp_path):
    path = write_geojson(tmp_path / "p.geojson", [
        Place("Tell Abyad", "", "C1", 36.6970, 38.9560, "SY11"),
        Place("Tell Abyad", "", "C2", 36.7100, 38.9560, "SY11"),  # 1.4 km: OCHA says two communities
    ])
    out = load(path, "--preset", "ocha", "--allow-outside", "--commit")
    assert "2 created" in out and "same name, 1.4 km apart" in out
    assert sorted(Town.objects.values_list("slug", flat=True)) == ["tell-abyad", "tell-abyad-2"]


def test_creates_and_merges_are_one_transaction(tabqa, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "name,lat,lon,geonames_id,slug\n"
        "Ayn Issa,36.3858,38.8597,,\n"
        "Thawrah,35.8400,38.5500,172374,\n"  # merges into Tabqa
        "Kobani,36.89,38.35,,Not A Slug\n",  # a bad row: nothing at all is written
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"line 4 \(Kobani\), slug: Enter a valid"):
        load(path, "--allow-outside", "--commit")
    tabqa.refresh_from_db()
    assert tabqa.geonames_id is None and list(Town.objects.all()) == [tabqa]


def test_the_matcher_finds_the_nearest_of_two_same_named_places():
    far = TownRecord(1, "Hazano", 36.00, 36.70)
    near = TownRecord(2, "Hazano", 36.03, 36.70)
    match = NameMatcher([far, near]).find(TownRecord(3, "Hazano", 36.035, 36.70))
    assert match.place is near and match.how == "name hazano, 0.6 km"


def test_the_progress_bar_follows_the_stages_and_is_quiet_off_a_terminal(db, tmp_path, progress_bars):
    path = tmp_path / "t.csv"
    path.write_text("name,lat,lon\nAyn Issa,36.3858,38.8597\n", encoding="utf-8")
    load(path, "--commit")
    (bar,) = progress_bars
    assert bar.kwargs["disable"] is None  # tqdm's own test: shown on a terminal, silent when piped
    assert bar.stages == ["reading", "matching", "checking and writing"]
