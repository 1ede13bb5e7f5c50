"""The changes layers stream a batch at a time, and stream the same bytes as the whole document built at once."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import changes_csv, export_rows, exports, geojson, names, selectors
from events.csv_cells import cell_quote
from events.models import ControlChange, Faction
from events.params import parse_faction
from geodata.models import Town
from geodata.services.revision import revision_bump
from tests.factories import ControlChangeFactory, SourceFactory

pytestmark = pytest.mark.django_db

SOURCES_TABLE = ControlChange.sources.through._meta.db_table
PERIODS = [{}, {"from": "2017-01-01", "to": "2017-06-30"}, {"from": "2017-09-03"}, {"faction": "opposition"},
           {"faction": "sdf"}, {"faction": "pro-government", "from": "2016-01-01"}, {"faction": "islamic-state"}]


@pytest.fixture
def varied_log(seeded):
    """The seed, plus what a batch boundary could get wrong: a town name that also names another town
    (its CSV cell is the slug), two changes of one day in parts of the day, two citing more sources
    than the import's columns hold, and changes the layer leaves out (a draft, a superseded one)."""
    Town.objects.filter(slug="raqqa").update(alt_names=["Al-Thawra"])  # Tabqa's other name
    uqayribat = Town.objects.get(slug="uqayribat")
    sdf, isis = Faction.objects.get(slug="sdf"), Faction.objects.get(slug="islamic-state")
    morning = ControlChangeFactory(town=uqayribat, faction=sdf, effective_date=dt.date(2017, 9, 20),
                                   day_part=ControlChange.DayPart.MORNING, sources=SourceFactory.create_batch(2))
    ControlChangeFactory(town=uqayribat, faction=isis, effective_date=dt.date(2017, 9, 20),
                         day_part=ControlChange.DayPart.EVENING, sources=SourceFactory.create_batch(7))
    ControlChangeFactory(town=uqayribat, faction=isis, effective_date=dt.date(2017, 9, 25), state="draft")
    ControlChangeFactory(town=Town.objects.get(slug="tabqa"), faction=Faction.objects.get(slug="pro-government"),
                         effective_date=dt.date(2017, 10, 1), sources=SourceFactory.create_batch(6))
    wrong = ControlChange.objects.get(town__slug="tabqa", effective_date=dt.date(2017, 5, 10))
    ControlChangeFactory(town=wrong.town, faction=wrong.faction, effective_date=dt.date(2017, 5, 12), supersedes=wrong)
    return morning


def whole_collection(*, start: dt.date, end: dt.date, faction_ids: set[int] | None) -> dict:
    """The layer built as it was before it streamed: every timeline read, every feature held, in one dict."""
    in_range = selectors.changes_in_force().filter(effective_date__gte=start, effective_date__lte=end)
    timelines = selectors.town_timelines(town_ids=in_range.values("town_id"), until=end)
    pairs = sorted(
        ((row, previous) for timeline in timelines.values()
         for previous, row in zip([None, *timeline], timeline, strict=False)
         if row.effective_date >= start
         and (faction_ids is None or {row.faction_id, previous and previous.faction_id} & faction_ids)),
        key=lambda pair: pair[0][:3],
    )
    towns = {town.id: town for town in selectors.control_as_of(on=end).towns}
    notes = dict(ControlChange.objects.values_list("id", "note"))
    sources = export_rows.sources_by_change(change_ids=[change.id for change, _ in pairs])
    factions = selectors.faction_rows()
    return geojson.feature_collection([
        {
            "type": "Feature",
            "id": change.id,
            "geometry": geojson.point(towns[change.town_id].longitude, towns[change.town_id].latitude),
            "properties": geojson.change_properties(
                change, previous, town=towns[change.town_id], factions=factions, label=change.date_label,
                note=notes[change.id], sources=sources[change.id]),
        }
        for change, previous in pairs
    ])


def whole_csv(features: list[dict], most_sources: int) -> bytes:
    """The CSV as it was written from the GeoJSON's features, a dict per row (before the rows were
    written straight from the log's rows): the reference the streamed file must equal byte for byte."""
    header = changes_csv.header(most_sources)
    groups = [tuple(header[i:i + 3]) for i in range(header.index("source_url"), header.index("note"), 3)]
    index = names.town_index()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for feature in features:
        props = feature["properties"]
        longitude, latitude = feature["geometry"]["coordinates"]
        found, _ = index.find(props["town"])
        row = {
            "town": props["town"] if found is not None and found.pk == props["town_id"]
            else index.rows[props["town_id"]].slug,
            "faction": props["to_faction"], "date": props["date"].isoformat(), "precision": props["precision"],
            "day_part": props["day_part"] or "", "status": props["status"],
            "contested_by": props["contested_by"] or "", "confidence": props["confidence"], "note": props["note"],
            "supersedes": "", "change_id": feature["id"], "date_label": props["date_label"],
            "from_faction": props["from_faction"] or "", "town_id": props["town_id"],
            "longitude": longitude, "latitude": latitude,
        }
        for (url, title, publisher), source in zip(groups, props["sources"], strict=False):
            row.update({url: source["url"], title: source["title"], publisher: source["publisher"]})
        writer.writerow({k: cell_quote(v) if isinstance(v, str) else v for k, v in row.items()})
    return out.getvalue().encode()


def whole_documents(params: dict) -> tuple[bytes, bytes]:
    """(GeoJSON, CSV) as the whole-document exports wrote them: the CSV's header from every row's sources."""
    layer = exports.LAYERS["changes"]
    collection = whole_collection(**layer.parse(params))
    most = max((len(f["properties"]["sources"]) for f in collection["features"]), default=0)
    return geojson.dumps(collection), whole_csv(collection["features"], most)


@pytest.mark.parametrize("batch", [1, 2, 5, export_rows.EXPORT_BATCH_ROWS])
def test_streamed_layers_are_the_bytes_of_the_whole_document(varied_log, monkeypatch, batch):
    monkeypatch.setattr(export_rows, "EXPORT_BATCH_ROWS", batch)
    for params in PERIODS:
        whole_geojson, whole_csv = whole_documents(params)
        streamed_geojson = exports.LAYERS["changes"].export(params)
        streamed_csv = exports.LAYERS["changes-csv"].export(params)
        assert streamed_geojson.streamed and streamed_csv.streamed
        assert b"".join(streamed_geojson.chunks()) == whole_geojson, params
        assert b"".join(streamed_csv.chunks()) == whole_csv, params


def test_the_csv_header_counts_the_sources_of_the_rows_the_faction_filter_keeps(varied_log):
    """Uqayribat's evening change (Islamic State, 7 sources) replaced the SDF's morning change; Tabqa's
    (pro-government, 6 sources) replaced the SDF's too."""
    def source_urls(faction: str) -> list[str]:
        csv_text = b"".join(exports.LAYERS["changes-csv"].export({"faction": faction}).chunks()).decode()
        return [column for column in csv_text.split("\n")[0].split(",") if column.startswith("source_url_")]

    up_to = [f"source_url_{n}" for n in range(2, 8)]
    assert source_urls("islamic-state") == source_urls("sdf") == up_to
    assert source_urls("pro-government") == up_to[:-1]  # the most cited change is not in its rows
    assert source_urls("opposition") == up_to[:-2]  # the import's five


def test_each_batch_reads_and_writes_at_most_the_batch_size(varied_log, monkeypatch):
    monkeypatch.setattr(export_rows, "EXPORT_BATCH_ROWS", 4)
    start, end = dt.date(2014, 1, 1), dt.date(2017, 12, 31)
    total = selectors.changes_in_force().filter(effective_date__gte=start, effective_date__lte=end).count()
    towns, batches = export_rows.change_events(start=start, end=end)
    sizes = [len(batch) for batch in batches]
    assert sum(sizes) == total > 40 and max(sizes) == 4 and len(sizes) == -(-total // 4)

    # Each batch's sources are read when that batch is written, not the period's ahead of it.
    chunks = geojson.changes_geojson(start=start, end=end)
    with CaptureQueriesContext(connection) as queries:
        written = [next(chunks), next(chunks), next(chunks)]  # the collection's head, then two batches
    assert sum(SOURCES_TABLE in query["sql"] for query in queries.captured_queries) == 2
    assert [len(json.loads(b"[" + chunk.lstrip(b",") + b"]")) for chunk in written[1:]] == [4, 4]


def test_a_filtered_batch_keeps_only_the_changes_a_faction_gained_or_lost(varied_log, monkeypatch):
    monkeypatch.setattr(export_rows, "EXPORT_BATCH_ROWS", 3)
    sdf = parse_faction("sdf")
    _, batches = export_rows.change_events(start=dt.date(2017, 9, 1), end=dt.date(2017, 9, 30), faction_ids=sdf)
    batches = list(batches)
    events = [event for batch in batches for event in batch]
    assert events and all(e.change.faction_id in sdf or (e.previous and e.previous.faction_id in sdf)
                          for e in events)
    assert all(0 < len(batch) <= 3 for batch in batches)


def test_the_api_streams_the_changes_with_the_caching_headers_of_every_layer(client, varied_log):
    response = client.get("/api/changes.csv?from=2017-09-01&download=1")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="changes-2017-09-01-')
    assert response["ETag"] and response["Last-Modified"] and "no-cache" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == whole_documents({"from": "2017-09-01"})[1]
    again = client.get("/api/changes.csv?from=2017-09-01", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and not again.streaming
    bad = client.get("/api/changes.geojson?from=2017-09-31")
    assert bad.status_code == 400 and not bad.streaming and "from" in bad.json()


def test_the_command_writes_the_stream_to_the_file_and_to_standard_output(varied_log, tmp_path, capsysbinary):
    out = tmp_path / "changes.geojson"
    call_command("export_geojson", "--layer", "changes", "--out", str(out))
    assert out.read_bytes() == whole_documents({})[0]
    call_command("export_geojson", "--layer", "changes-csv", "--from", "2017-09-20", "--out", "-")
    assert capsysbinary.readouterr().out == whole_documents({"from": "2017-09-20"})[1]


def test_the_town_column_follows_the_towns_as_they_are_after_an_earlier_export(varied_log):
    """The town index is kept between exports while the towns read the same: a town renamed is written
    by its new name from the next export on, or by its slug when the new name is another town's."""
    params = {"from": "2017-01-01"}

    def town_cells() -> set[str]:
        text = b"".join(exports.LAYERS["changes-csv"].export(params).chunks()).decode()
        assert text.encode() == whole_documents(params)[1]
        return {row["town"] for row in csv.DictReader(io.StringIO(text))}

    assert "Tabqa" in town_cells()
    for name, cell in [("Tabqa City", "Tabqa City"), ("Raqqa", "tabqa")]:
        Town.objects.filter(slug="tabqa").update(name=name)
        revision_bump()  # as the write that renames it does
        cells = town_cells()
        assert cell in cells and "Tabqa" not in cells, name


@pytest.mark.parametrize("text", ["=1+1", "'=1", "''+x", "-2", "@SUM", "\tx", "\rx", "'x", "x=1", "", None, "Raqqa"])
def test_a_text_cell_is_quoted_exactly_as_cell_quote_quotes_it(text):
    assert changes_csv._text(text) == (cell_quote(text) if text else text)


def test_the_state_before_a_short_period_is_read_for_the_towns_it_names_alone(varied_log, monkeypatch):
    asked = []
    control_as_of = selectors.control_as_of

    def recording(**kwargs):
        asked.append(kwargs.get("towns"))
        return control_as_of(**kwargs)

    monkeypatch.setattr(selectors, "control_as_of", recording)
    start, end = dt.date(2017, 9, 1), dt.date(2017, 9, 30)
    export_rows.change_events(start=start, end=end)
    in_period = selectors.changes_in_force().filter(effective_date__range=(start, end))
    named = set(in_period.values_list("town_id", flat=True))
    assert named and set(asked.pop().values_list("pk", flat=True)) == named
    # A period with more changes than there are towns: every town's slice (the one a map of that day reads).
    export_rows.change_events(start=dt.date(2010, 1, 1), end=dt.date(2017, 12, 31))
    assert asked == [None]


@pytest.mark.parametrize("batch, asked", [(export_rows.EXPORT_BATCH_ROWS, False), (4, True)])
def test_the_csv_header_is_counted_from_the_rows_when_they_come_in_one_batch(varied_log, monkeypatch, batch, asked):
    """The most sources a row cites sets the header's columns: a file of one batch holds every row's sources
    already, so no query asks for them; a longer file asks before its first row (its later rows are not read)."""
    monkeypatch.setattr(export_rows, "EXPORT_BATCH_ROWS", batch)
    params = {"from": "2014-01-01", "to": "2017-12-31"}
    with CaptureQueriesContext(connection) as queries:
        streamed = b"".join(exports.LAYERS["changes-csv"].export(params).chunks())
    counted = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and SOURCES_TABLE in q["sql"]]
    assert bool(counted) is asked
    assert streamed == whole_documents(params)[1]
    assert b"source_url_7" in streamed.split(b"\n")[0]  # a row cites seven sources: past the import's five
