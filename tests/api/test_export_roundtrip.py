"""changes.csv is the import's format: exported, emptied and imported back, the published log is the same."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from events import imports, selectors
from events.csv_cells import cell_quote, cell_unquote
from events.models import ControlChange, Faction, Source
from geodata.models import Town
from tests.factories import ControlChangeFactory, SourceFactory
from tests.seed_theatre import OCHA_ATTRIBUTION

pytestmark = pytest.mark.django_db

WHOLE_LOG = "/api/changes.csv"  # no from/to: every day with a record


def published_log() -> list[tuple]:
    """The changes in force as a reader compares them; sources as (url, title, publisher) sets."""
    changes = selectors.changes_in_force().select_related("town", "faction", "contested_by").prefetch_related(
        "sources")
    return sorted(
        (
            c.town.slug, c.effective_date, c.date_precision, c.day_part, c.faction.slug, c.status,
            c.contested_by.slug if c.contested_by else None, c.confidence,
            frozenset((s.url, s.title, s.publisher) for s in c.sources.all()), c.note,
        )
        for c in changes
    )


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.fixture
def corrected_log(seeded):
    """The seed plus what the seed lacks: a correction, a month, awkward notes and more sources."""
    tabqa, raqqa = Town.objects.get(slug="tabqa"), Town.objects.get(slug="raqqa")
    sdf, gov = Faction.objects.get(slug="sdf"), Faction.objects.get(slug="pro-government")
    wrong = ControlChange.objects.get(town=tabqa, effective_date=dt.date(2017, 5, 10))
    ControlChangeFactory(
        town=tabqa, faction=wrong.faction, effective_date=dt.date(2017, 5, 12), supersedes=wrong,
        note='=1+1, "quoted"\nand a second line', day_part=ControlChange.DayPart.EVENING,
        sources=[SourceFactory(url="https://example.org/tabqa", title="-Tabqa taken", publisher="@wire")],
    )
    ControlChangeFactory(
        town=raqqa, faction=sdf, effective_date=dt.date(2016, 3, 1), date_precision="month",
        status="contested", contested_by=gov, confidence="claimed", note="'=already quoted by its author",
        sources=[SourceFactory(title=f"Raqqa report {n}") for n in range(4)] + [Source.objects.first()],
    )
    return wrong


def test_export_then_import_into_an_empty_log_gives_the_same_published_log(client, corrected_log, tmp_path):
    before = published_log()
    assert len(before) > 40
    exported = client.get(WHOLE_LOG)
    assert exported.status_code == 200
    path = tmp_path / "changes.csv"
    path.write_bytes(exported.getvalue())

    # An empty database with the same places: towns and factions stay, the log and sources go.
    ControlChange.objects.filter(supersedes__isnull=False).delete()
    ControlChange.objects.all().delete()
    Source.objects.all().delete()
    call_command("import_changes", str(path), "--commit", "--publish", stdout=io.StringIO())

    assert published_log() == before
    # Only changes in force travel: the corrected change is not in the file and does not come back.
    assert not ControlChange.objects.filter(town__slug="tabqa", effective_date=corrected_log.effective_date).exists()
    assert not ControlChange.objects.filter(supersedes__isnull=False).exists()


def test_the_csv_has_every_import_column_then_the_export_only_ones(client, corrected_log):
    content = client.get(WHOLE_LOG).getvalue()
    header = next(csv.reader(io.StringIO(content.decode())))
    assert sorted(header) == sorted(imports.COLUMNS + imports.EXPORT_ONLY)
    assert header[:5] == ["change_id", "date", "date_label", "town", "faction"]  # a log's reading order
    # Read back into the database it came from, every row is one already stored: none is refused.
    plan = imports.changes_import_check(text=content, skip_present=True)
    assert plan.errors == [] and plan.rows == [] and len(plan.present) == len(csv_rows(content))


def test_a_row_carries_sources_part_of_day_note_and_the_date_label(client, corrected_log):
    rows = csv_rows(client.get("/api/changes.csv?from=2016-01-01&to=2017-05-31").getvalue())
    tabqa = next(r for r in rows if r["town"] == "Tabqa" and r["date"] == "2017-05-12")
    assert tabqa["day_part"] == "evening" and tabqa["date_label"] == "12 May 2017, evening"
    assert tabqa["note"] == "'=1+1, \"quoted\"\nand a second line"  # a spreadsheet shows it as text
    assert (tabqa["source_url"], tabqa["source_title"], tabqa["source_publisher"]) == (
        "https://example.org/tabqa", "'-Tabqa taken", "'@wire")
    assert tabqa["supersedes"] == ""  # what it corrected is not in force, so not in the file
    raqqa = next(r for r in rows if r["town"] == "Raqqa" and r["date"] == "2016-03-01")
    assert raqqa["precision"] == "month" and raqqa["date_label"] == "March 2016" and raqqa["day_part"] == ""
    assert (raqqa["status"], raqqa["contested_by"], raqqa["confidence"]) == ("contested", "pro-government", "claimed")
    assert raqqa["note"] == "''=already quoted by its author"
    assert sum(bool(raqqa[group[1]]) for group in imports.SOURCE_GROUPS) == 5
    assert raqqa["faction"] == "sdf" and raqqa["town_id"] == str(Town.objects.get(slug="raqqa").pk)


def test_a_town_whose_name_names_several_is_written_by_its_slug(client, seeded):
    tabqa = Town.objects.get(slug="tabqa")
    Town.objects.filter(pk=tabqa.pk).update(name="Al-Thawra")
    Town.objects.filter(slug="raqqa").update(alt_names=["Al-Thawra"])  # the name now names two towns
    rows = csv_rows(client.get("/api/changes.csv?from=2017-01-01").getvalue())
    assert {r["town"] for r in rows if r["town_id"] == str(tabqa.pk)} == {"tabqa"}
    assert "Raqqa" in {r["town"] for r in rows}  # an unambiguous name stays a name


def test_changes_geojson_carries_sources_note_part_of_day_and_label(client, corrected_log):
    features = json.loads(client.get("/api/changes.geojson?from=2017-05-01&to=2017-05-31").getvalue())["features"]
    props = next(f["properties"] for f in features if f["properties"]["date"] == "2017-05-12")
    assert props["sources"] == [
        {"title": "-Tabqa taken", "url": "https://example.org/tabqa", "publisher": "@wire", "date": "2017-09-03"}]
    assert props["day_part"] == "evening" and props["date_label"] == "12 May 2017, evening"
    assert props["note"].startswith("=1+1")  # GeoJSON is data, not a spreadsheet: never quoted
    day = json.loads(client.get("/api/changes.geojson?from=2017-09-01&to=2017-09-01").getvalue())["features"]
    seed = next(f["properties"] for f in day if f["properties"]["town"] == "Uqayribat")
    assert len(seed["sources"]) == 2 and seed["day_part"] == "night" and seed["note"].startswith("Pro-government")
    assert "Syrian Observatory for Human Rights (as cited in the report)" in {s["publisher"] for s in seed["sources"]}


@pytest.mark.parametrize("text", [
    "", "Tabqa", "=SUM(A1)", "+1", "-x", "@x", "\tx", "'=x", "''+x", "'plain", "it's", "''",
])
def test_cell_quoting_round_trips_every_text(text):
    quoted = cell_quote(text)
    assert cell_unquote(quoted) == text
    assert not quoted.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_standalone_map_says_its_date_its_data_and_where_the_live_map_is(client, seeded):
    html = client.get("/map.html?date=2017-09-03").content.decode()
    assert '"heading": "Control in Syria on 3 September 2017"' in html
    assert '"live_url": "http://testserver/?date=2017-09-03"' in html
    assert OCHA_ATTRIBUTION in html and '"legend": true' in html
