import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from events.imports import changes_import_check, changes_import_commit
from events.models import ControlChange, Source
from geodata.models import Town
from tests.events.roles import user_in
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

HEADER = ("town,faction,date,precision,day_part,status,contested_by,confidence,"
          "source_url,source_title,source_publisher,note")
GOOD = [
    "Raqqa,SDF,2017-10-20,day,,controlled,,confirmed,https://example.org/r,Raqqa taken,Example Wire,",
    # alias for the town, alias for the faction, contested
    "Oqeirbat,Daesh,2017-09-05,day,morning,contested,Pro-government,claimed,,Fighting resumes,Example Wire,",
]
TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()


def csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_good_rows_dry_run_then_commit(seeded):
    before = ControlChange.objects.count()
    plan = changes_import_check(text=csv_text(*GOOD))
    assert plan.ok and [r.line for r in plan.rows] == [2, 3]
    assert "Raqqa from 2017-10-20" in plan.rows[0].effect and "→ SDF" in plan.rows[0].effect
    assert ControlChange.objects.count() == before  # the check writes nothing
    editor = user_in("editor")
    created = changes_import_commit(plan=plan, by=editor)
    assert ControlChange.objects.count() == before + 2
    raqqa = ControlChange.objects.get(pk=created[0].pk)
    assert (raqqa.town.slug, raqqa.faction.slug, raqqa.state, raqqa.entered_by) == ("raqqa", "sdf", "draft", editor)
    assert [s.url for s in raqqa.sources.all()] == ["https://example.org/r"]
    uqayribat = ControlChange.objects.get(pk=created[1].pk)
    assert (uqayribat.town.slug, uqayribat.contested_by.slug, uqayribat.day_part) == ("uqayribat", "pro-government", 1)
    assert raqqa.history.get().history_user == editor


def test_three_kinds_of_bad_rows_write_nothing_and_name_each_row(seeded):
    text = csv_text(
        GOOD[0],
        "Atlantis,SDF,2017-10-20,day,,controlled,,confirmed,,A,B,",                   # unknown town
        f"Raqqa,SDF,{TOMORROW},day,morning,controlled,,confirmed,,A,B,",               # future date
        "Tabqa,SDF,2017-10-21,day,,contested,,confirmed,,A,B,",                       # contested without who
        "Uqayribat,IS,2017-09-02,day,,controlled,,reported,,A,B,",                     # clashes with seed change
        "Raqqa,SDF,1899-12-31,day,,controlled,,confirmed,,A,B,",                        # before 1900
        "Raqqa,Martians,2017-10-22,day,,controlled,,confirmed,,A,B,",                   # unknown faction
    )
    before = (ControlChange.objects.count(), Source.objects.count())
    plan = changes_import_check(text=text)
    found = {(e.line, e.column) for e in plan.errors}
    assert found == {(3, "town"), (4, "date"), (5, "contested_by"), (6, "date"), (7, "date"), (8, "faction")}
    reasons = {e.line: e.reason for e in plan.errors}
    assert "Atlantis" in reasons[3] and "future" in reasons[4] and "contesting faction" in reasons[5]
    assert "supersedes" in reasons[6] and "1900" in reasons[7] and "Martians" in reasons[8]
    with pytest.raises(ValueError):
        changes_import_commit(plan=plan, by=SYSTEM)
    assert (ControlChange.objects.count(), Source.objects.count()) == before


def test_two_rows_for_the_same_town_date_and_part_of_day_clash(seeded):
    plan = changes_import_check(text=csv_text(GOOD[0], GOOD[0].replace(",SDF,", ",IS,")))
    assert [(e.line, e.column) for e in plan.errors] == [(3, "date")]


def test_a_row_may_supersede_an_existing_change(seeded):
    existing = ControlChange.objects.get(town__slug="uqayribat", effective_date=dt.date(2017, 9, 2))
    text = "town,faction,date,supersedes\n" + f"uqayribat,pro-government,2017-09-02,{existing.pk}\n"
    plan = changes_import_check(text=text)
    assert plan.ok and f"correcting change {existing.pk}" in plan.rows[0].effect
    bad = changes_import_check(text="town,faction,date,supersedes\nuqayribat,pro-government,2017-09-02,999999\n")
    assert [(e.line, e.column) for e in bad.errors] == [(2, "supersedes")]


def test_publishing_import_needs_a_source_per_row(seeded):
    plan = changes_import_check(text="town,faction,date\nraqqa,sdf,2017-10-20\n", publish=True)
    assert [(e.line, e.column) for e in plan.errors] == [(2, "source_url")]
    assert "at least one source" in plan.errors[0].reason


def test_town_by_id_slug_and_ambiguous_names(seeded):
    raqqa = Town.objects.get(slug="raqqa")
    Town.objects.create(name="Twin", slug="twin-a", latitude=35, longitude=38)
    Town.objects.create(name="Twin", slug="twin-b", latitude=35, longitude=38.1)
    plan = changes_import_check(text=f"town,faction,date\n{raqqa.pk},sdf,2017-10-20\nTwin,sdf,2017-10-20\n")
    assert [(e.line, e.column) for e in plan.errors] == [(3, "town")]
    assert "twin-a, twin-b" in plan.errors[0].reason


def test_header_problems_are_reported(db):
    plan = changes_import_check(text="town,factoin,date\nraqqa,sdf,2017-10-20\n")
    assert {(e.line, e.column) for e in plan.errors} == {(1, "faction"), (1, "factoin")}


def test_command_dry_run_commit_and_failure(seeded, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(csv_text(*GOOD), encoding="utf-8")
    before = ControlChange.objects.count()
    call_command("import_changes", str(good))
    assert "Dry run" in capsys.readouterr().out and ControlChange.objects.count() == before
    call_command("import_changes", str(good), "--commit")
    assert "Imported 2 change(s)" in capsys.readouterr().out
    assert ControlChange.objects.count() == before + 2

    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text("Atlantis,SDF,2017-10-20,,,,,,,,,", f"Raqqa,SDF,{TOMORROW},,,,,,,,,"), encoding="utf-8")
    with pytest.raises(CommandError, match="2 bad row"):
        call_command("import_changes", str(bad), "--commit")
    err = capsys.readouterr().err
    assert "line 2, column town" in err and "line 3, column date" in err
    assert ControlChange.objects.count() == before + 2


def test_command_checks_the_users_role(seeded, tmp_path):
    user_in("editor", "ed")
    good = tmp_path / "good.csv"
    good.write_text(csv_text(*GOOD), encoding="utf-8")
    before = ControlChange.objects.count()
    for args in (["--commit"], []):  # refused up front, before the file is checked, dry run or not
        with pytest.raises(CommandError, match="'ed' cannot import.*permission to publish.*Leave out --publish"):
            call_command("import_changes", str(good), *args, "--publish", "--user", "ed")
    assert ControlChange.objects.count() == before
    call_command("import_changes", str(good), "--commit", "--user", "ed")  # as drafts it may
    assert ControlChange.objects.count() == before + 2


def test_shipped_template_is_a_good_import(seeded):
    from django.conf import settings

    text = (settings.BASE_DIR / "seeds/examples/changes.csv").read_text(encoding="utf-8")
    assert changes_import_check(text=text).ok


SOURCES_HEADER = ("town,faction,date,source_url,source_title,source_publisher,"
                  "source_url_2,source_title_2,source_publisher_2")


def test_a_row_may_cite_several_sources_new_or_stored(seeded):
    baseline = Source.objects.get(title="Control at the start of 2017 from widely published accounts")
    text = (f"{SOURCES_HEADER}\n"
            "Raqqa,SDF,2017-10-20,https://example.org/r,Raqqa taken,Example Wire,,"  # new, then stored by title
            "control at the start of 2017 from widely published accounts,Conflictmap editors\n"
            f"Tabqa,SDF,2017-10-21,,,,{baseline.url},,\n")  # a stored source by URL, in the second group
    plan = changes_import_check(text=text, publish=True)
    assert plan.ok and plan.new_sources == 1, plan.errors
    raqqa, tabqa = changes_import_commit(plan=plan, by=SYSTEM)
    assert sorted(s.publisher for s in raqqa.sources.all()) == ["Example Wire", "conflictmap editors"]
    assert list(tabqa.sources.all()) == [baseline]
    assert Source.objects.filter(url="https://example.org/r").count() == 1


def test_a_bad_second_source_is_named_by_its_column(seeded):
    text = (f"{SOURCES_HEADER}\n"
            "Raqqa,SDF,2017-10-20,,T,P,https://example.org/unknown,,\n"   # a new source without title/publisher
            "Raqqa,SDF,2017-10-21,,T,P,,Title only,\n"                   # neither a URL nor a publisher
            "Raqqa,SDF,2017-10-22,,T,P,not a url,T2,P2\n")               # the model's own check
    plan = changes_import_check(text=text)
    assert [(e.line, e.column) for e in plan.errors] == [
        (2, "source_title_2"), (3, "source_publisher_2"), (4, "source_url_2")]
    assert "title and a publisher" in plan.errors[0].reason and "URL" in plan.errors[2].reason


def test_the_same_source_twice_is_cited_once_and_extra_groups_stop_at_the_maximum(seeded):
    plan = changes_import_check(text=f"{SOURCES_HEADER}\nRaqqa,SDF,2017-10-20,,T,P,,t,p\n")
    assert plan.ok and len(plan.rows[0].new.sources) == 1
    bad = changes_import_check(text="town,faction,date,source_url_6\nRaqqa,SDF,2017-10-20,https://example.org\n")
    assert [(e.line, e.column) for e in bad.errors] == [(1, "source_url_6")]
    assert "source_url_2 ... source_publisher_5" in bad.errors[0].reason


def test_rows_already_stored_can_be_skipped_instead_of_refused(seeded, tmp_path, capsys):
    text = csv_text(*GOOD)
    changes_import_commit(plan=changes_import_check(text=text), by=SYSTEM)
    assert [e.column for e in changes_import_check(text=text).errors] == ["date", "date"]
    again = changes_import_check(text=text, skip_present=True)
    assert (again.errors, again.rows, again.present) == ([], [], [2, 3])
    path = tmp_path / "again.csv"
    path.write_text(text, encoding="utf-8")
    before = ControlChange.objects.count()
    call_command("import_changes", str(path), "--commit", "--skip-present")
    assert "0 row(s) good, 0 new source(s), 2 row(s) already present. Nothing to import." in capsys.readouterr().out
    assert ControlChange.objects.count() == before


PUBLISHED_HEADER = HEADER + ",published_at"


def test_published_at_keeps_when_an_older_record_was_published(seeded):
    row = "Raqqa,SDF,2017-10-20,day,,controlled,,confirmed,https://example.org/r,Raqqa taken,Example Wire,,{}"
    text = "\n".join([PUBLISHED_HEADER, row.format("2017-10-21T09:30:00+03:00"), GOOD[1] + ","]) + "\n"
    plan = changes_import_check(text=text, publish=True)
    assert plan.ok, plan.errors
    kept, now = changes_import_commit(plan=plan, by=SYSTEM)
    assert ControlChange.objects.get(pk=kept.pk).reviewed_at == dt.datetime(2017, 10, 21, 6, 30, tzinfo=dt.UTC)
    assert ControlChange.objects.get(pk=now.pk).reviewed_at > dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # left empty


@pytest.mark.parametrize("cell, publish, reason", [
    ("2017-10-21T09:30:00+03:00", False, "only an import that publishes"),
    ("2017-10-21", True, "not a timestamp"),
    ("yesterday", True, "not a timestamp"),
    ("2017-10-19T23:00:00+03:00", True, "before the day the change reports"),
    (f"{TOMORROW}T12:00:00+00:00", True, "in the future"),
    ("0001-01-01T00:00:00+01:00", True, "not a timestamp"),
])
def test_published_at_is_checked(seeded, cell, publish, reason):
    row = f"Raqqa,SDF,2017-10-20,day,,controlled,,confirmed,https://example.org/r,Raqqa taken,Example Wire,,{cell}"
    plan = changes_import_check(text=f"{PUBLISHED_HEADER}\n{row}\n", publish=publish)
    assert [(e.line, e.column) for e in plan.errors] == [(2, "published_at")]
    assert reason in plan.errors[0].reason
