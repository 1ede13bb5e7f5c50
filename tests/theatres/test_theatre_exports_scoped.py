"""A theatre's exports read that theatre's rows: its changes CSV names its towns among its own towns (as the
import with ``--theatre`` reads them back), so another theatre's towns are neither read nor able to turn a
name into a slug."""

import pytest
from rest_framework.test import APIClient

from tests.theatres.test_theatres import CHANGES, TOWNS, build_zenda, changes_csv, rows_csv
from tests.theatres.test_theatres import files as zenda_files  # noqa: F401  (a fixture)

SYRIA_CSV = "/api/changes.csv?from=2017-01-01&to=2017-12-31&theatre=syria"


@pytest.fixture
def files(zenda_files, tmp_path):  # noqa: F811
    """Zenda's files, with a fourth town called Deir ez-Zor, like a Syrian town of the
    seed, and a change of it."""
    towns = [*TOWNS, ("zenda-deir", "Deir ez-Zor", 0.2, 10.2)]
    return {
        **zenda_files,
        "towns": rows_csv(tmp_path / "towns-deir.csv", ["slug", "name", "latitude", "longitude"], towns),
        "changes": changes_csv(
            tmp_path / "changes-deir.csv", [*CHANGES, ("Deir ez-Zor", "Islamic State", "2021-04-11")]
        ),
    }


def _town_cells(content: bytes) -> list[str]:
    lines = content.decode().splitlines()
    column = lines[0].split(",").index("town")
    return [line.split(",")[column] for line in lines[1:]]


def test_a_theatres_changes_csv_is_the_same_after_another_theatre_names_a_town_alike(seeded, files):
    api = APIClient()
    before = api.get(SYRIA_CSV).getvalue()
    assert "Deir ez-Zor" in _town_cells(before)
    build_zenda(files)
    # Syria's file names Deir ez-Zor as before: `import_changes --theatre syria` reads it as Syria's.
    assert api.get(SYRIA_CSV).getvalue() == before


def test_a_theatres_changes_csv_names_its_towns_as_its_import_reads_them(seeded, files):
    build_zenda(files)
    zenda = APIClient().get("/api/changes.csv?from=2021-01-01&to=2021-12-31&theatre=zenda").getvalue()
    assert _town_cells(zenda) == ["Strelsau", "Tarlenheim", "Zenda", "Deir ez-Zor"]
    # Without a theatre, every town is read: Deir ez-Zor names two towns, so the file names it by its slug.
    everything = APIClient().get("/api/changes.csv?from=2021-01-01&to=2021-12-31").getvalue()
    assert _town_cells(everything)[-1] == "zenda-deir"
