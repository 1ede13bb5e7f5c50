"""A long import shows how far its check is on a terminal, and stays quiet when piped."""

from io import StringIO

from django.core.management import call_command

from conflictmap import progress


def test_the_command_reports_progress_through_one_bar(seeded, tmp_path, monkeypatch):
    bars = []

    class FakeBar:
        def __init__(self, **kwargs):
            self.kwargs, self.n, self.seen = kwargs, 0, []
            bars.append(self)

        def reset(self, total):
            self.n, self.total = 0, total

        def set_description(self, stage):
            self.seen.append(stage)

        def update(self, n):
            self.n += n

        def close(self):
            pass

    monkeypatch.setattr(progress, "tqdm", FakeBar)
    rows = "".join(f"uqayribat,sdf,2017-10-{day:02d}\n" for day in range(1, 11))
    path = tmp_path / "changes.csv"
    path.write_text("town,faction,date\n" + rows, encoding="utf-8")
    call_command("import_changes", str(path), stdout=StringIO())
    (bar,) = bars
    assert bar.kwargs["disable"] is None  # tqdm decides: a bar on a terminal, nothing when piped
    assert bar.seen == ["checking"] and bar.kwargs["unit"] == "row"
