"""The shipped seed goes through the user's loaders: same rules, same row errors, loading twice changes nothing.

The tests that load the seed themselves request the plain ``db`` fixture (an empty database) and
assert on the loader's report; the contents test reads the session's seeded database.
"""

import datetime as dt
import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from events.models import ControlChange, Faction, Source
from events.seeding import SEED_DIR, SeedError, seed_scenario_load
from geodata.models import AdminArea, Town

MODELS = (Faction, AdminArea, Town, Source, ControlChange)
SHIPPED = {"admin areas": 14 + 61, "towns": 42, "factions": 7, "sources": 8, "control changes": 53}


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_seed_scenario_contents(seeded):
    assert AdminArea.objects.filter(level=1).count() == 14
    assert AdminArea.objects.filter(level=2, parent__level=1).count() == 61
    for area in AdminArea.objects.all():
        assert area.name_ar, area
    # Towns are placed in districts; every governorate has at least two through its districts.
    for area in AdminArea.objects.filter(level=1):
        assert Town.objects.filter(admin_area__parent=area).count() >= 2, area
    # governorates.csv's curated names win over the official file's spellings (Idleb, Lattakia)
    assert AdminArea.objects.get(code="SY07").name == "Idlib" and AdminArea.objects.get(code="SY06").slug == "latakia"
    # governorates.csv's curated names, which the boundary file does not carry
    assert {"Dayr az-Zawr", "Deir Ezzor"} <= set(AdminArea.objects.get(code="SY09").alt_names)
    assert AdminArea.objects.get(code="SY03").slug == "rural-damascus"
    for slug in ("uqayribat", "hama", "raqqa", "tabqa", "deir-ez-zor", "aleppo", "damascus",
                 "idlib", "homs"):
        assert Town.objects.filter(slug=slug).exists(), slug
    uqayribat = Town.objects.get(slug="uqayribat")
    assert "عقيربات" in uqayribat.alt_names and "‘Uqayribāt" in uqayribat.alt_names
    assert (round(uqayribat.longitude, 2), round(uqayribat.latitude, 2)) == (37.46, 35.04)
    assert (uqayribat.admin_area.parent.code, uqayribat.geonames_id) == ("SY05", 162803)
    assert uqayribat.admin_area.level == AdminArea.Level.DISTRICT
    assert Town.objects.get(slug="hama").population == 312994
    assert set(Faction.objects.get(slug="islamic-state").aliases) >= {"Daesh", "ISIS", "ISIL"}
    assert Faction.objects.get(slug="russia").coalition.slug == "pro-government"
    assert all(c.sources.exists() for c in ControlChange.objects.all())
    night = ControlChange.objects.get(town=uqayribat, effective_date=dt.date(2017, 9, 1))
    assert sorted(s.publisher for s in night.sources.all()) == [
        "Syrian Observatory for Human Rights (as cited in the report)",
        "Wire report, Beirut dateline (seed document 000_13bbf000efdeee0a)",
    ]
    assert (night.day_part, night.state) == (ControlChange.DayPart.NIGHT, ControlChange.State.PUBLISHED)
    assert Source.objects.get(title__startswith="Government recaptures Palmyra").published == dt.date(2017, 3, 2)


def test_loading_once_creates_every_shipped_row_and_counts_each_kind(db):
    report = seed_scenario_load()
    assert dict(report.created) == SHIPPED
    assert sum(report.present.values()) == sum(report.updated.values()) == 0
    assert counts() == {"Faction": 7, "AdminArea": 75, "Town": 42, "Source": 8, "ControlChange": 53}
    assert set(ControlChange.objects.values_list("state", flat=True)) == {ControlChange.State.PUBLISHED}


def test_loading_twice_changes_nothing_and_says_so(db):
    seed_scenario_load()
    before = counts()
    stamps = sorted(ControlChange.objects.values_list("pk", "updated_at"))
    report = seed_scenario_load()
    assert counts() == before and sorted(ControlChange.objects.values_list("pk", "updated_at")) == stamps
    assert dict(report.present) == SHIPPED
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    out = io.StringIO()
    call_command("load_seed", stdout=out)
    assert "already loaded, nothing changed" in out.getvalue()
    assert "control changes: 0 new, 53 already present" in out.getvalue()


def copy_seeds(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, target)
    return target


def edit_line(path, line_no, edit):
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_no - 1] = edit(lines[line_no - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_new_row_is_added_beside_the_rows_already_present(db, tmp_path):
    seed_scenario_load()
    seeds = copy_seeds(tmp_path)
    with (seeds / "changes.csv").open("a", encoding="utf-8") as f:
        f.write("raqqa,sdf,2017-10-20,day,,controlled,,confirmed,https://example.org/raqqa,Raqqa taken,"
                "Example Wire,,Casualties and control changes around Uqayribat,"
                "Syrian Observatory for Human Rights (as cited in the report),,\n")  # published_at left empty
    report = seed_scenario_load(directory=seeds)
    assert (report.created["control changes"], report.present["control changes"]) == (1, 53)
    assert (report.created["sources"], report.present["sources"]) == (0, 8)
    change = ControlChange.objects.get(town__slug="raqqa", effective_date=dt.date(2017, 10, 20))
    assert sorted(s.publisher for s in change.sources.all()) == [
        "Example Wire", "Syrian Observatory for Human Rights (as cited in the report)"]


def test_bad_rows_in_every_file_are_named_by_file_line_and_column_and_nothing_is_written(db, tmp_path):
    seeds = copy_seeds(tmp_path)
    edit_line(seeds / "towns.csv", 3, lambda _: "hama,Hama,,95.0,36.75,,SY05,")
    edit_line(seeds / "factions.csv", 2, lambda line: line.replace("#d7191c", "red"))
    edit_line(seeds / "sources.csv", 2, lambda line: line.replace("2017-09-03", "2017-9-3"))
    edit_line(seeds / "changes.csv", 3, lambda line: line.replace("2017-09-01", "2017-09-31"))
    edit_line(seeds / "changes.csv", 4, lambda line: line.replace(",contested,pro-government,", ",contested,,"))
    edit_line(seeds / "governorates.csv", 3, lambda line: line.replace(",aleppo,", ",aleppo city,"))
    with pytest.raises(SeedError) as exc:
        seed_scenario_load(directory=seeds)
    messages = [str(e) for e in exc.value.errors]
    for start in ("governorates.csv, line 3, column slug", "towns.csv, line 3, column latitude: 95.0",
                  "factions.csv, line 2, column colour", "sources.csv, line 2, column published: '2017-9-3' is not "
                  "a date in YYYY-MM-DD form", "changes.csv, line 3, column date",
                  "changes.csv, line 4, column contested_by"):
        assert any(m.startswith(start) for m in messages), (start, messages)
    assert all(n == 0 for n in counts().values())


def test_unknown_town_in_changes_is_named(db, tmp_path):
    seeds = copy_seeds(tmp_path)
    with (seeds / "changes.csv").open("a", encoding="utf-8") as f:
        f.write("atlantis,sdf,2017-09-01,day,,controlled,,reported,https://en.wikipedia.org/wiki/Syrian_civil_war"
                ",,,,,,,\n")
    with pytest.raises(CommandError, match=r"changes.csv, line 55, column town: no town is called 'atlantis'"):
        call_command("load_seed", dir=seeds)
    assert counts()["Town"] == 0


def test_missing_columns_and_files_fail_loudly(db, tmp_path):
    seeds = copy_seeds(tmp_path)
    edit_line(seeds / "factions.csv", 1, lambda line: line.replace(",colour", ""))
    edit_line(seeds / "towns.csv", 1, lambda line: line.replace(",longitude", ""))
    (seeds / "sources.csv").unlink()
    with pytest.raises(SeedError) as exc:
        seed_scenario_load(directory=seeds)
    text = str(exc.value)
    assert "factions.csv, line 1, column colour: missing column(s)" in text
    assert "towns.csv, line 1, column -: missing column(s) longitude" in text
    assert "sources.csv: cannot be read" in text
    assert all(n == 0 for n in counts().values())


def test_a_second_faction_with_the_same_slug_is_a_row_error(db, tmp_path):
    seeds = copy_seeds(tmp_path)
    with (seeds / "factions.csv").open("a", encoding="utf-8") as f:
        f.write("sdf,Another SDF,SDF2,#123456,,,\n")
    with pytest.raises(SeedError, match="factions.csv, line 9, column slug: 'sdf' repeats line 6"):
        seed_scenario_load(directory=seeds)
