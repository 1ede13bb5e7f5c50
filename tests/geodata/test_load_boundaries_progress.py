"""load_boundaries shows how far it is on a terminal, and stays quiet when piped."""

import io

from django.core.management import call_command

from conflictmap import progress
from geodata.boundaries import FieldSpec
from geodata.models import AdminArea
from geodata.services import admin_areas_load
from tests.factories import TownFactory


def test_the_loader_reports_each_stage_through_the_callback(db, squares_file):
    TownFactory(latitude=35.5, longitude=37.5)
    heard = []
    admin_areas_load(path=squares_file, spec=FieldSpec.build(level=1, preset="ocha"), level=1, commit=True,
                     progress=lambda stage, done, total: heard.append((stage, done, total)))
    assert heard == [
        ("reading", 0, 1),
        ("matching", 0, 3), ("matching", 1, 3), ("matching", 2, 3),
        ("checking", 0, 2), ("checking", 1, 2),
        ("writing", 0, 2), ("writing", 1, 2), ("writing", 2, 2),
    ]
    assert AdminArea.objects.count() == 3


def test_the_command_shows_one_bar_through_the_stages_and_tqdm_hides_it_off_a_terminal(db, squares_file, monkeypatch):
    bars = []

    class Recorded(progress.tqdm):
        def __init__(self, **kwargs):
            self.kwargs, self.stages = kwargs, []
            super().__init__(**kwargs)
            bars.append(self)

        def set_description(self, desc=None, refresh=True):
            self.stages.append(desc)
            super().set_description(desc, refresh)

    monkeypatch.setattr(progress, "tqdm", Recorded)
    out = io.StringIO()
    call_command("load_boundaries", str(squares_file), "--preset", "ocha", stdout=out)  # a dry run: no writing
    (bar,) = bars
    assert bar.kwargs["disable"] is None and bar.kwargs["unit"] == "area"  # tqdm decides whether to draw
    assert bar.disable  # and under pytest stderr is not a terminal
    assert bar.stages == ["reading", "matching", "checking"]
    assert "dry run: nothing written" in out.getvalue()


def test_piped_the_command_prints_its_report_and_no_bar(db, squares_file, capsys):
    call_command("load_boundaries", str(squares_file), "--preset", "ocha", "--commit")
    captured = capsys.readouterr()
    assert "3 created" in captured.out
    assert captured.err == ""  # stderr is not a terminal here, so tqdm draws nothing
