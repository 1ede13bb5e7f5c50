"""A theatre's pages cost its theatre's size (issue 21 item 7, measured with ``bench.theatre_routes --theatre
ruritania``): an area page's chart step is chosen without reading every change date (of the log or of the
theatre) and is its theatre's; a theatre's first and last dates are found by walking the date index; its
towns' last confirmations are looked up per town, not found by walking every theatre's confirmations."""

import datetime as dt
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events import geojson, selectors, services
from events.confirmation_models import Confirmation
from events.models import Faction
from events.territory import over_time
from geodata.models import AdminArea, Theatre, Town
from tests.factories import SYSTEM, SourceFactory
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: the fixture)


def _step_read_from_every_date(*, theatre) -> str:
    """The step as the rule says it: the finest whose points over every change date are at most MAX_POINTS."""
    dates = selectors.change_dates(theatre=theatre)
    for step, width in over_time.STEPS.items():
        if len({d.isoformat()[:width] for d in dates}) <= over_time.MAX_POINTS:
            return step
    return "year"


def _zenda_area_page(files):  # noqa: F811
    """The first governorate page of the synthetic second theatre, asked cold; the answer and its SQL."""
    build_zenda(files)
    area = AdminArea.objects.filter(theatre__slug="zenda", level=1).order_by("name").first()
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        page = Client().get(f"/areas/{area.slug}/?theatre=zenda")
    return page, [q["sql"] for q in queries.captured_queries]


def test_an_area_page_after_a_write_reads_no_walk_of_every_change_date(seeded, files):  # noqa: F811
    # Its step was chosen from every change date of the whole log (~60-200 ms after each write at 1,000,000
    # changes, whatever the theatre's size): it is now settled by reading at most MAX_POINTS + 1 dates.
    page, sql = _zenda_area_page(files)
    assert page.status_code == 200
    assert [q for q in sql if "day_walk" in q] == []


@pytest.mark.parametrize("most", [1, 2, 3, 5, 8, 400])
@pytest.mark.parametrize("slug", [None, "syria", "zenda"])
def test_the_step_is_the_one_every_change_date_gives(seeded, files, monkeypatch, slug, most):  # noqa: F811
    build_zenda(files)
    theatre = None if slug is None else Theatre.objects.get(slug=slug)
    monkeypatch.setattr(over_time, "MAX_POINTS", most)
    assert over_time.step_for(theatre=theatre) == _step_read_from_every_date(theatre=theatre)


def test_an_areas_step_is_its_theatres_not_the_whole_logs(seeded, files, monkeypatch):  # noqa: F811
    build_zenda(files)
    zenda = Theatre.objects.get(slug="zenda")
    # Zenda's few dates fit a day each; with Syria's dates too the log needs a coarser step.
    most = len(selectors.change_dates(theatre=zenda))
    monkeypatch.setattr(over_time, "MAX_POINTS", most)
    assert len(selectors.change_dates()) > most
    area = AdminArea.objects.filter(theatre=zenda, level=1).order_by("name").first()
    assert over_time.area_over_time(area=area).step == "day"


@pytest.mark.sqlite_only("SQLite's plan")
@pytest.mark.parametrize("walk", [selectors.latest_change_date, selectors.first_change_date])
def test_a_theatres_first_and_last_dates_walk_the_date_index(seeded, files, walk):  # noqa: F811
    # Joined to the towns, SQLite walked each of the theatre's towns' changes and sorted them (100-150 ms for
    # Syria's 10,000 towns); each row's town is now read by its key as the date index is walked.
    build_zenda(files)
    with CaptureQueriesContext(connection) as queries:
        walk(theatre=Theatre.objects.get(slug="syria"))
    (sql,) = [q["sql"] for q in queries.captured_queries if "events_controlchange" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = "\n".join(row[-1] for row in cursor.fetchall())
    assert "change_date_idx" in plan and "TEMP B-TREE" not in plan, plan


def test_a_theatres_last_confirmations_read_no_other_theatres_confirmations(seeded, files):  # noqa: F811
    # The few-confirmations read walked the confirmed_on index of every theatre: Ruritania, with none, read all
    # of Syria's (~25,000) on each build of its control layer and map file. Asked for a theatre, each of its
    # changes in force is looked up with its town's latest confirmation, the changes named by id.
    zenda = build_zenda(files)
    last = selectors.latest_change_date(theatre=zenda)
    changes = list(selectors.control_as_of(on=last, theatre=zenda).changes.values())
    raqqa = Town.objects.get(slug="raqqa")
    held = selectors.control_as_of(on=dt.date(2017, 9, 1), towns=Town.objects.filter(pk=raqqa.pk)).changes[raqqa.pk]
    services.confirmation_create(
        town=raqqa,
        faction=Faction.objects.get(pk=held.faction_id),
        confirmed_on=dt.date(2017, 9, 1),
        sources=[SourceFactory()],
        state="published",
        entered_by=SYSTEM,
    )
    assert changes and Confirmation.objects.filter(town__theatre__slug="syria").exists()
    with CaptureQueriesContext(connection) as queries:
        confirmed = selectors.last_confirmed(on=changes[0].effective_date, changes=changes, theatre_id=zenda.pk)
    assert confirmed == {c.town_id: c.effective_date for c in changes}
    read = [q["sql"] for q in queries.captured_queries if "events_confirmation" in q["sql"]]
    assert read and all("events_controlchange" in sql for sql in read), read


def _embedded_layers(html: str) -> list[dict]:
    """Each layer's data as the map file's script hands it to Leaflet."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(html[m.end() :])[0] for m in re.finditer(r"geo_json_\w+_add\(", html)]


def test_the_map_file_writes_each_layer_as_the_api_serialises_it(seeded, files):  # noqa: F811
    # Its layers were parsed back into dicts and dumped again by Folium (sorted keys): at Ruritania's 1,000
    # towns most of the file's time beyond its floor; they are now the API's GeoJSON text, written as it is.
    build_zenda(files)
    zenda = Theatre.objects.get(slug="zenda")
    on = selectors.latest_change_date(theatre=zenda)
    html = Client().get(f"/map.html?date={on}&theatre=zenda").content.decode()
    towns = geojson.dumps(geojson.control_feature_collection(on=on, theatre=zenda)).decode()
    assert f"_add({towns});" in html
    assert [layer["features"] != [] for layer in _embedded_layers(html)] == [True, True, True, True]


def test_the_map_file_writes_a_hostile_name_as_data(seeded):
    town = Town.objects.get(slug="raqqa")
    hostile = "</script><script>alert('x')</script> & co"
    Town.objects.filter(pk=town.pk).update(name=hostile)
    html = Client().get("/map.html?date=2017-09-02").content.decode()
    assert "</script><script>alert" not in html and "alert('x')" not in html
    names = [f["properties"].get("name") for layer in _embedded_layers(html) for f in layer["features"]]
    assert hostile in names


def test_an_area_page_reads_its_towns_changes_once_and_no_population_for_its_shares(seeded, files):  # noqa: F811
    # Its table read the 200 changes in force again as models with their factions (a quarter of a warm page at
    # Ruritania's size), and its shares' moves read each town's population, which no chart of the page shows.
    page, sql = _zenda_area_page(files)
    assert page.status_code == 200 and page.context["towns"][0]["faction"].name
    assert [q for q in sql if q.startswith('SELECT "events_controlchange"."id"') and "events_faction" in q] == []
    (moves,) = [q for q in sql if "LEAD(" in q]
    assert "population" not in moves


@pytest.mark.parametrize("path", ["/areas-conflicts/", "/api/area-conflicts.json"])
def test_the_area_conflicts_open_on_the_theatres_last_date_without_reading_every_date(seeded, files, path):  # noqa: F811
    # Their default date read every change date of the theatre for its last one (370-690 ms after each write
    # for Ruritania at 1,000,000 changes); the date index is walked back instead.
    zenda = build_zenda(files)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        answer = Client().get(f"{path}?theatre=zenda")
    assert answer.status_code == 200
    assert str(selectors.latest_change_date(theatre=zenda)) in answer.content.decode()
    assert [q["sql"] for q in queries.captured_queries if "day_walk" in q["sql"]] == []


def _variables_rendered(monkeypatch, url: str) -> int:
    """How many template variables the page's render resolves (each a lookup, a filter and an escape)."""
    from django.template.base import VariableNode

    count = 0
    real = VariableNode.render

    def counted(self, context):
        nonlocal count
        count += 1
        return real(self, context)

    monkeypatch.setattr(VariableNode, "render", counted)
    assert Client().get(url).status_code == 200
    monkeypatch.setattr(VariableNode, "render", real)
    return count


def test_an_area_pages_template_work_does_not_grow_with_its_towns(seeded, monkeypatch):
    # Its towns (up to 200) and its shares' points (up to 400) were template loops, ~8 variables a row: ~17 of the
    # ~19 ms of its render at Ruritania's size, paid cold and warm whatever the theatre. Their rows are joined in
    # Python now (events/area_rows.py), so more towns add no template work.
    from tests.factories import TownFactory

    hama = AdminArea.objects.get(slug="hama")
    url = f"/areas/hama/?date={selectors.latest_change_date()}"
    before = _variables_rendered(monkeypatch, url)
    for i in range(5):
        TownFactory(name=f"Unrecorded {i}", theatre=hama.theatre, admin_area=hama)
    cache.clear()
    page = Client().get(url).content.decode()
    assert all(f"Unrecorded {i}" in page for i in range(5))
    assert _variables_rendered(monkeypatch, url) == before


def test_an_area_pages_shares_decode_no_outline(seeded, monkeypatch):
    # Its shares on the date came with the area's outline, decoded from GeoJSON into a one-row GeoDataFrame the
    # page never drew (~4 ms after each write at Ruritania's size, more for a detailed governorate).
    from events.territory import one_area

    decoded = []
    real = one_area.shape
    monkeypatch.setattr(one_area, "shape", lambda geometry: decoded.append(1) or real(geometry))
    page = Client().get(f"/areas/hama/?date={selectors.latest_change_date()}")
    assert page.status_code == 200 and page.context["shares"] and page.context["recorded"]
    assert decoded == []
