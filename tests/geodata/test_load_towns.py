"""python manage.py load_towns: GeoNames dumps, CSV, GeoJSON; dedupe; all or nothing."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from geodata.models import Town
from tests.factories import TownFactory

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_towns", *map(str, args), stdout=out)
    return out.getvalue()


def geonames_row(gid, name, lat, lon, alt="", fclass="P", population=0) -> str:
    cells = [str(gid), name, name, alt, str(lat), str(lon), fclass, "PPL", "SY", "", "10", "", "", "",
             str(population), "", "300", "Asia/Damascus", "2024-01-01"]
    return "\t".join(cells)


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "SY.txt"
    path.write_text("\n".join([
        geonames_row(162803, "‘Uqayribāt", 35.0422, 37.4628, "Uqayribat,Oqeirbat,عقيربات"),
        geonames_row(170017, "Ḩamāh", 35.1318, 36.7578, "Hama,Hamah", population=312994),
        geonames_row(999001, "Jabal al Bishri", 35.4, 39.3, fclass="T"),  # a mountain, not a town
        geonames_row(170017, "Hama again", 35.1318, 36.7578),  # same GeoNames id
    ]) + "\n", encoding="utf-8")
    return path


def test_a_geonames_dump_loads_populated_places_with_their_alternate_names(seeded, dump):
    out = load(dump)
    assert "dry run" in out and Town.objects.filter(geonames_id=999001).count() == 0
    # The seed already has both towns (by GeoNames id): nothing new.
    assert "0 would be created, 2 already present, 1 duplicates in the file, 1 rows not populated places" in out


def test_geonames_rows_are_created_with_names_population_and_area(db, dump):
    out = load(dump, "--commit")
    assert "2 created" in out
    hama = Town.objects.get(geonames_id=170017)
    assert hama.name == "Ḩamāh" and "Hama" in hama.alt_names and hama.population == 312994
    assert hama.slug == "hamah"
    assert load(dump, "--commit", "-v", "2").count("already present:") == 2  # re-running creates nothing
    assert Town.objects.count() == 2


def test_a_csv_row_matching_an_existing_town_by_name_within_2_km_is_not_duplicated(db, tmp_path):
    TownFactory(name="Tabqa", slug="tabqa", latitude=35.8367, longitude=38.5481, alt_names=["Al-Thawrah"])
    path = tmp_path / "towns.csv"
    path.write_text(
        "name,alternate names,lat,lon,population\n"
        "al-thawrah,Ath Thawrah,35.84,38.55,69425\n"  # ~0.4 km away, an alternate name: the same place
        "Tabqa,,36.5,38.0,\n"  # same name but ~90 km away: another place
        "Ayn Issa,Ain Issa;عين عيسى,36.3858,38.8597,\n",
        encoding="utf-8",
    )
    out = load(path, "--commit", "-v", "2")
    assert "already present: line 2: al-thawrah = Tabqa" in out
    assert sorted(Town.objects.values_list("slug", flat=True)) == ["ayn-issa", "tabqa", "tabqa-2"]
    assert Town.objects.get(slug="ayn-issa").alt_names == ["Ain Issa", "عين عيسى"]


def test_geojson_points_are_read_longitude_first(db, tmp_path):
    path = tmp_path / "towns.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Palmyra", "alt_names": ["Tadmur"], "population": 51323},
         "geometry": {"type": "Point", "coordinates": [38.2692, 34.5561]}},
        {"type": "Feature", "properties": {"name": "Tadmur"},  # 1 km off, an alternate name: a duplicate
         "geometry": {"type": "Point", "coordinates": [38.28, 34.56]}},
    ]}), encoding="utf-8")
    out = load(path, "--commit")
    assert "duplicate in file: feature 2: Tadmur repeats feature 1 (Palmyra)" in out
    palmyra = Town.objects.get()
    assert (palmyra.latitude, palmyra.longitude) == (34.5561, 38.2692)


def test_one_bad_row_rejects_the_whole_file_with_every_problem(db, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text(
        "name,lat,lon,population\n"
        "Good,35.0,37.0,10\n"
        ",35.0,37.1,\n"
        "Northpole,95,37.0,\n"
        "Wordy,35.0,east,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as excinfo:
        load(path, "--commit")
    message = str(excinfo.value)
    assert "line 3, name: a name is required" in message
    assert "line 4 (Northpole), latitude: 95.0 is not between -90 and 90" in message
    assert "line 5 (Wordy), longitude: 'east' is not a number" in message
    assert not Town.objects.exists()


def test_towns_outside_the_loaded_boundaries_are_rejected_unless_allowed(seeded, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("name,lat,lon\nBeirut,33.8938,35.5018\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 2 \(Beirut\), latitude: .* outside every loaded boundary"):
        load(path, "--commit")
    load(path, "--commit", "--allow-outside")
    beirut = Town.objects.get(name="Beirut")
    assert beirut.outside_boundaries and beirut.admin_area is None


def test_new_towns_are_placed_in_their_governorate(seeded, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("name,lat,lon\nSuran,35.2897,36.7433\n", encoding="utf-8")
    load(path, "--commit")
    suran = Town.objects.get(name="Suran")
    assert suran.admin_area.level == 2 and suran.admin_area.parent.slug == "hama"


def test_a_csv_without_coordinates_names_the_missing_columns(db, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("name,x,y\nA,1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column\\(s\\) latitude, longitude; the file has name, x, y"):
        load(path)


def test_a_file_may_give_each_town_its_slug(db, tmp_path):
    csv_path = tmp_path / "towns.csv"
    csv_path.write_text("slug,name,lat,lon\nraqqa-city,Raqqa,35.95,39.01\n", encoding="utf-8")
    geojson_path = tmp_path / "towns.geojson"
    geojson_path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Palmyra", "slug": "tadmur"},
         "geometry": {"type": "Point", "coordinates": [38.2692, 34.5561]}},
    ]}), encoding="utf-8")
    load(csv_path, "--commit"), load(geojson_path, "--commit")
    assert sorted(Town.objects.values_list("slug", flat=True)) == ["raqqa-city", "tadmur"]
    assert "already present: line 2: Raqqa = Raqqa" in load(csv_path, "--commit", "-v", "2")  # again: no error


def test_a_slug_already_taken_rejects_the_file_naming_the_line(db, tmp_path):
    TownFactory(name="Hama", slug="hama", latitude=35.1318, longitude=36.7578)
    path = tmp_path / "towns.csv"
    path.write_text(
        "slug,name,lat,lon\n"
        "hama,Suran,35.2897,36.7433\n"  # another place under a stored town's slug
        "twin,Twin A,35.0,37.0\n"
        "twin,Twin B,36.0,38.0\n"  # the file's own slugs must differ too
        "Not A Slug,Kobani,36.89,38.35\n"
        "tabqa,Hama,35.1318,36.7578\n",  # the stored Hama under another slug
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as excinfo:
        load(path, "--commit")
    message = str(excinfo.value)
    assert "line 2 (Suran), slug: Town with this Slug already exists." in message
    assert "line 4 (Twin B), slug: Town with this Slug already exists." in message
    assert "line 5 (Kobani), slug: Enter a valid “slug”" in message
    assert "line 6 (Hama), slug: the file says 'tabqa', but Hama is stored as Hama with the slug 'hama'" in message
    assert "line 3" not in message
    assert list(Town.objects.values_list("slug", flat=True)) == ["hama"]


def test_the_seed_towns_load_with_their_slugs_and_alternate_names(db):
    out = load(SEEDS / "towns.csv", "--commit")
    assert "0 duplicates in the file" in out
    uqayribat = Town.objects.get(slug="uqayribat")
    assert uqayribat.alt_names == ["‘Uqayribāt", "Oqeirbat", "Uqeirbat", "Aqayribat", "عقيربات"]
    assert uqayribat.geonames_id == 162803
    assert Town.objects.count() == len((SEEDS / "towns.csv").read_text(encoding="utf-8").splitlines()) - 1
