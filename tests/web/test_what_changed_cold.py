"""The what-changed page after a write does only the work its answer needs (issue 18: its cold figure)."""

import pytest
from django.core.cache import cache
from django.test import Client

from events import selectors, views
from geodata.models import Town
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: a fixture)

pytestmark = pytest.mark.django_db

PERIOD = "/changes/?from=2017-08-31&to=2017-09-03"



def _counting(monkeypatch, name: str) -> list[int]:
    """A list that gets an entry on each call of ``selectors.<name>`` (as the views call it)."""
    calls: list[int] = []
    real = getattr(selectors, name)

    def counted(**kwargs):
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(views.selectors, name, counted)
    return calls


def test_a_period_named_in_the_url_reads_no_change_dates(client, seeded, monkeypatch):
    calls = _counting(monkeypatch, "change_dates")
    response = client.get(PERIOD)
    assert response.status_code == 200
    assert calls == []  # every change date is walked only to find the default start
    assert (response.context["start"].isoformat(), response.context["end"].isoformat()) == ("2017-08-31", "2017-09-03")


@pytest.mark.parametrize("query", ["", "?to=2017-09-03", "?from=", "?from=yesterday&to=2017-09-03"])
def test_without_a_valid_start_the_default_is_the_change_date_before_the_latest(client, seeded, monkeypatch, query):
    calls = _counting(monkeypatch, "change_dates")
    response = client.get(f"/changes/{query}")
    dates = selectors.change_dates()
    assert calls and response.context["start"] == dates[-2]
    if "yesterday" in query:
        assert response.status_code == 400
        assert f"showing {dates[-2]:%Y-%m-%d}" in response.content.decode()


def test_the_towns_named_beside_each_flow_of_land_are_escaped_links(client, seeded):
    Town.objects.filter(slug="uqayribat").update(name='Uqayribat <b>"&"</b>')
    cache.clear()
    html = client.get(PERIOD).content.decode()
    section = html.split('id="changed-hands"')[1].split("</ul>")[0]
    assert '<a href="/towns/uqayribat/">Uqayribat &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;</a>' in section
    assert "<b>" not in section


def test_the_changes_table_reads_no_sources(client, seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.models import ControlChange

    link = ControlChange.sources.through._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        html = client.get(PERIOD).content.decode()
    assert "about 3 September 2017" in html.split('id="every-change"')[1]  # the rows are there
    assert not [q["sql"] for q in queries if link in q["sql"]]  # the table shows no sources


@pytest.mark.parametrize("query", ["from=2021-03-01&to=2021-04-10", "from=2021-03-01"])
def test_a_theatres_diff_for_a_named_period_walks_no_change_dates(seeded, files, query):  # noqa: F811
    # A theatre's diff ends on its last change date, found by walking the date index back (as its map does),
    # not as the last of change_dates: that walk visits every date of every theatre's log, ~400 ms after a
    # write at 1,000,000 changes for a theatre of 50,000 (the two-theatre bench).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build_zenda(files)
    with CaptureQueriesContext(connection) as queries:
        page = Client().get(f"/changes/?theatre=zenda&{query}")
    assert page.status_code == 200
    assert page.context["end"].isoformat() == "2021-04-10"  # Zenda's last change, not Syria's 2017 dates
    assert "Strelsau" in page.content.decode()
    assert [q["sql"] for q in queries.captured_queries if "day_walk" in q["sql"]] == []


def test_the_cached_diff_reads_back_as_it_was_built(seeded):
    # territory_between's answer is cached as columns of plain values (TerritoryChange.__reduce__), not one
    # pickled object per town and handover: what comes back is the same diff, towns, factions and dates.
    import datetime as dt
    import pickle

    from events import territory

    change = territory.territory_between(start=dt.date(2017, 8, 31), end=dt.date(2017, 10, 20))
    assert change.handovers and any(f.towns for f in change.flows)
    data = pickle.dumps(change, pickle.HIGHEST_PROTOCOL)
    assert b"TownRef" not in data and b"Handover" not in data  # no object pickled per town or handover
    back = pickle.loads(data)
    assert back == change
    assert [(h.town, h.from_faction and h.from_faction.slug, h.to_faction.slug, h.date) for h in back.handovers] == [
        (h.town, h.from_faction and h.from_faction.slug, h.to_faction.slug, h.date) for h in change.handovers]


@pytest.mark.parametrize("query", ["", "&as_published=2017-09-04", "&theatre=syria"])
def test_a_named_period_reads_no_latest_change_date(client, seeded, monkeypatch, query):
    # The latest change date is only the default of a missing or bad date: as published, its walk back passes
    # every change published after the moment (~40 ms after a write at 1,000,000 changes).
    latest = selectors.latest_change_date()
    calls = _counting(monkeypatch, "latest_change_date")
    response = client.get(PERIOD + query)
    assert response.status_code == 200
    assert calls == []
    assert "Uqayribat" in response.content.decode()
    assert client.get("/changes/?from=2017-08-31" + query).context["end"] == latest  # missing: the latest
    assert calls == [1]


def test_the_towns_listed_and_the_changes_table_escape_every_name(client, seeded):
    from events.models import ControlChange, Faction

    Town.objects.filter(slug="uqayribat").update(name='Uqayribat <b>"&"</b>')
    faction = ControlChange.objects.filter(town__slug="uqayribat", effective_date="2017-09-03").get().faction
    Faction.objects.filter(pk=faction.pk).update(name='Side <i>"&"</i><script>')
    cache.clear()
    html = client.get(PERIOD).content.decode()
    for section in (html.split('id="handovers"')[1].split("</ul>")[0],
                    html.split('id="every-change"')[1].split("</table>")[0]):
        assert "Uqayribat &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;" in section
        assert "Side &lt;i&gt;&quot;&amp;&quot;&lt;/i&gt;&lt;script&gt;" in section
        assert "<b>" not in section and "<i>" not in section and "<script>" not in section


def test_a_theatres_diff_settles_its_sites_from_its_start_slice(seeded, files, monkeypatch):  # noqa: F811
    # The start slice holds every town of the theatre: it gives their places and sites, so a theatre's diff after
    # a write does not probe and read all its towns again (as the diff of every theatre already did not).
    import datetime as dt

    from events import territory
    from events.territory import change

    zenda = build_zenda(files)
    seen = []
    real = change.cells_key

    def spy(**kwargs):
        seen.append(kwargs["known"])
        return real(**kwargs)

    monkeypatch.setattr(change, "cells_key", spy)
    cache.clear()
    answer = territory.territory_between(start=dt.date(2021, 3, 1), end=dt.date(2021, 4, 10), theatre=zenda)
    assert answer.handovers
    assert len(seen) == 1 and seen[0] is not None
    assert {t.id for t in seen[0].towns} == set(Town.objects.filter(theatre=zenda).values_list("pk", flat=True))


def test_the_changes_table_builds_no_model_per_row(client, seeded):
    # Its 200 rows were read as changes with their town, faction and contester (~600 models, ~8 ms of each
    # request whatever the theatre's size: Ruritania's diff missed its floor by such costs, issue 21 item 7).
    from django.db.models.signals import post_init

    from events.models import ControlChange

    made: list[str] = []

    def counted(sender, instance, **kwargs):
        made.append(sender.__name__)

    for model in (ControlChange, Town):
        post_init.connect(counted, sender=model, weak=False, dispatch_uid=f"rows-{model.__name__}")
    try:
        html = client.get(PERIOD).content.decode()
    finally:
        for model in (ControlChange, Town):
            post_init.disconnect(sender=model, dispatch_uid=f"rows-{model.__name__}")
    assert "about 3 September 2017" in html.split('id="every-change"')[1]  # the rows are there
    assert made == []


def test_the_diffs_km2_are_summed_without_a_frame(seeded, monkeypatch):
    # Each cell's km² moves from its class at the start to its class at the end: summed through a frame of the
    # cells and three groupbys it cost ~6 ms at Ruritania's 1,000 cells and ~20 ms at Syria's 10,000 after each
    # write; one pass over plain values gives the same sums.
    import datetime as dt

    import pandas as pd

    from events import territory

    grouped = []
    real = pd.DataFrame.groupby

    def counted(self, *args, **kwargs):
        grouped.append(1)
        return real(self, *args, **kwargs)

    territory.territory_between(start=dt.date(2017, 8, 1), end=dt.date(2017, 8, 31))  # the cells, built once
    monkeypatch.setattr(pd.DataFrame, "groupby", counted)
    change = territory.territory_between(start=dt.date(2017, 8, 31), end=dt.date(2017, 10, 20))
    assert change.area_change and any(f.km2 for f in change.flows)
    assert grouped == []


def test_a_diff_where_nothing_is_drawn_reads_the_drawings_once(client, seeded):
    # No drawing in force at the end is none at the start either: the second read (~2 ms after each write, the
    # query and its rule compiled) is not made.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.drawn_models import DrawnArea

    table = DrawnArea._meta.db_table
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PERIOD).status_code == 200
    assert len([q for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]) == 1


def test_the_diffs_governorates_are_read_without_their_outlines(client, seeded):
    # The counts per governorate name and link each one: their outlines were read and decoded too (Syria's 14:
    # ~5 ms of each request after a write).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get("/changes/?from=2017-08-01&to=2017-08-31").status_code == 200  # the cells, kept as on a server
    with CaptureQueriesContext(connection) as queries:
        page = client.get(PERIOD)
    assert page.status_code == 200 and any(row["area"] for row in page.context["by_area"])
    assert [q["sql"] for q in queries.captured_queries if '"geodata_adminarea"."geometry"' in q["sql"]] == []
