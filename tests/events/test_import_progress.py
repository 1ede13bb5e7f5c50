"""A long import shows how far its check is on a terminal, and stays quiet when piped."""

from io import StringIO

from django.core.management import call_command


def test_the_command_reports_progress_through_one_bar(seeded, tmp_path, progress_bars):
    rows = "".join(f"uqayribat,sdf,2017-10-{day:02d}\n" for day in range(1, 11))
    path = tmp_path / "changes.csv"
    path.write_text("town,faction,date\n" + rows, encoding="utf-8")
    call_command("import_changes", str(path), stdout=StringIO())
    (bar,) = progress_bars
    assert bar.kwargs["disable"] is None  # tqdm decides: a bar on a terminal, nothing when piped
    assert bar.stages == ["checking"] and bar.kwargs["unit"] == "row"
