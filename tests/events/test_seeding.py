import shutil

import pytest
from django.core.management import CommandError, call_command

from events.models import ControlChange, Faction, Source
from events.seeding import SEED_DIR, SeedError, seed_scenario_load
from geodata.models import AdminArea, Town

pytestmark = pytest.mark.django_db

MODELS = (Faction, AdminArea, Town, Source, ControlChange)


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_seed_scenario_contents(seeded):
    assert AdminArea.objects.filter(level=1).count() == 14
    for area in AdminArea.objects.all():
        assert area.name_ar, area
        assert area.towns.count() >= 2, area
    for slug in ("uqayribat", "hama", "raqqa", "tabqa", "deir-ez-zor", "aleppo", "damascus",
                 "idlib", "homs"):
        assert Town.objects.filter(slug=slug).exists(), slug
    uqayribat = Town.objects.get(slug="uqayribat")
    assert "عقيربات" in uqayribat.alt_names and "‘Uqayribāt" in uqayribat.alt_names
    assert (round(uqayribat.longitude, 2), round(uqayribat.latitude, 2)) == (37.46, 35.04)
    assert uqayribat.admin_area.code == "SY05"
    assert set(Faction.objects.get(slug="islamic-state").aliases) >= {"Daesh", "ISIS", "ISIL"}
    assert Faction.objects.get(slug="russia").coalition.slug == "pro-government"
    assert all(c.sources.exists() for c in ControlChange.objects.all())


def test_loading_twice_gives_no_duplicates(seeded):
    before = counts()
    report = seed_scenario_load()
    assert counts() == before
    assert sum(report.created.values()) == 0


def copy_seeds(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, target)
    return target


def replace_line(path, line_no, text):
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_no - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_malformed_rows_are_reported_with_file_and_line_and_nothing_is_written(tmp_path):
    seeds = copy_seeds(tmp_path)
    replace_line(seeds / "towns.csv", 3, "hama,Hama,,95.0,36.75,,SY05,")
    replace_line(seeds / "factions.csv", 2,
                 "pro-government,Syrian government,Pro-government,red,,,")
    replace_line(seeds / "changes.csv", 3,
                 "uqayribat,2017-09-31,day,night,pro-government,controlled,,reported,"
                 "report-2017-09-03,")
    replace_line(seeds / "changes.csv", 4,
                 "uqayribat,2017-09-02,day,,islamic-state,contested,,reported,report-2017-09-03,")
    with pytest.raises(SeedError) as exc:
        seed_scenario_load(directory=seeds)
    messages = [str(e) for e in exc.value.errors]
    assert any(m.startswith("towns.csv, line 3, column latitude") for m in messages), messages
    assert any(m.startswith("factions.csv, line 2, column colour") for m in messages), messages
    assert any(m.startswith("changes.csv, line 3, column date") for m in messages), messages
    assert any(m.startswith("changes.csv, line 4, column contested_by") for m in messages), messages
    assert all(n == 0 for n in counts().values())


def test_unknown_town_in_changes_is_named(tmp_path):
    seeds = copy_seeds(tmp_path)
    with (seeds / "changes.csv").open("a", encoding="utf-8") as f:
        f.write("atlantis,2017-09-01,day,,sdf,controlled,,reported,report-2017-09-03,\n")
    with pytest.raises(CommandError, match=r"changes.csv, line \d+, column town: unknown town 'atlantis'"):
        call_command("load_seed", dir=seeds)
    assert counts()["Town"] == 0


def test_missing_column_fails_loudly(tmp_path):
    seeds = copy_seeds(tmp_path)
    replace_line(seeds / "towns.csv", 1, "slug,name,alt_names,latitude,population,governorate,geonames_id")
    with pytest.raises(SeedError, match="towns.csv, line 1, column longitude: missing column"):
        seed_scenario_load(directory=seeds)
