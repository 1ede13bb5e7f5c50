"""What each imported row does to the map: who held the town before it, read from the towns' logs
around the file's dates (not every town's whole log), with drafts, corrections and parts of day."""

import datetime as dt
from io import StringIO

from django.core.management import call_command

from events import services
from events.imports import changes_import_check
from tests.factories import ControlChangeFactory, FactionFactory, TownFactory

D = dt.date


def test_each_row_names_the_change_in_force_before_it(db):
    town = TownFactory(slug="held")
    TownFactory(slug="quiet")
    first, second, third = (FactionFactory(slug=s, short_name=s.upper()) for s in ("first", "second", "third"))
    ControlChangeFactory(town=town, faction=first, effective_date=D(2015, 1, 1))
    ControlChangeFactory(town=town, faction=third, effective_date=D(2016, 5, 1), state="draft")  # not on the map
    wrong = ControlChangeFactory(town=town, faction=third, effective_date=D(2016, 6, 1))
    ControlChangeFactory(town=town, faction=second, effective_date=D(2016, 6, 1), supersedes=wrong)  # corrects it
    ControlChangeFactory(town=town, faction=third, effective_date=D(2017, 3, 1), day_part=3)  # evening
    text = ("town,faction,date,day_part\n"
            "held,third,2016-07-01,\n"         # after the correction: second held it
            "held,first,2016-01-01,\n"         # the file's first date: first held it since 2015
            "held,second,2017-03-01,morning\n"  # the same day, before the evening's change
            "held,first,2017-03-02,\n"         # after it
            "quiet,first,2016-01-01,\n")       # a town with nothing recorded
    plan = changes_import_check(text=text)
    assert plan.ok, plan.errors
    before = [row.effect.rsplit(": ", 1)[1].split(" → ")[0] for row in plan.rows]
    assert before == ["SECOND", "FIRST", "SECOND", "THIRD", "nothing recorded"]


def test_a_committed_import_shows_a_bar_for_checking_then_one_for_writing(seeded, tmp_path, monkeypatch,
                                                                           progress_bars):
    monkeypatch.setattr(services.bulk, "ROWS_PER_ROUND", 4)
    rows = "".join(f"uqayribat,sdf,2017-10-{day:02d}\n" for day in range(1, 11))
    path = tmp_path / "changes.csv"
    path.write_text("town,faction,date\n" + rows, encoding="utf-8")
    call_command("import_changes", str(path), "--commit", stdout=StringIO())
    checking, writing = progress_bars
    assert (checking.stages, writing.stages) == (["checking"], ["writing"])
    assert (writing.n, writing.total, writing.kwargs["disable"]) == (10, 10, None)  # quiet when piped
    assert checking.closed and writing.closed
