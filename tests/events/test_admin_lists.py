"""The control log's admin lists stay bounded by their page: the same queries at any size of the log,
an exact count whenever a filter or search narrows it, and the same markup as Django's own."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from events.admin import ControlChangeAdmin, lists, row_urls
from events.models import ControlChange
from geodata.models import Town
from tests.factories import ControlChangeFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/events/controlchange/"
QUEUE = "/admin/events/controlchangeforreview/"
DRAFT, PUBLISHED = ControlChange.State.DRAFT, ControlChange.State.PUBLISHED


def add_changes(count: int, *, start: int) -> None:
    """Changes in 2017 (one year: the year filter's choices stay the same), half of them drafts with a source."""
    for n in range(start, start + count):
        state = DRAFT if n % 2 else PUBLISHED
        sources = [SourceFactory()] if state == DRAFT else None
        ControlChangeFactory(town=TownFactory(), effective_date=dt.date(2017, 1, 1) + dt.timedelta(days=n),
                             state=state, sources=sources)


def queries_for(client, url: str, **params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, params)
    assert page.status_code == 200, page.status_code
    return len(queries), page


@pytest.mark.parametrize("url", [LIST, QUEUE])
@pytest.mark.parametrize("params", [{}, {"q": "Town"}, {"effective_date__year": "2017"}])
def test_a_list_page_runs_the_same_queries_for_a_larger_log(reviewer_client, url, params):
    add_changes(4, start=0)
    few, page = queries_for(reviewer_client, url, **params)
    assert page.context["cl"].result_count == (4 if url == LIST else 2)
    add_changes(30, start=4)
    many, page = queries_for(reviewer_client, url, **params)
    assert page.context["cl"].result_count == (34 if url == LIST else 17)
    assert len(page.context["cl"].result_list) == page.context["cl"].result_count
    assert many == few


def test_the_default_page_runs_no_facet_counts(reviewer_client):
    add_changes(4, start=0)
    with CaptureQueriesContext(connection) as queries:
        page = reviewer_client.get(LIST)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) <= 1, counts  # the paginator's, unless the whole log is estimated
    assert "Show counts" in page.content.decode()  # facets stay one click away
    facets = reviewer_client.get(LIST, {"_facets": "True"}).content.decode()
    assert re.search(r">\s*Draft \(2\)\s*<", facets) and re.search(r">\s*Published \(2\)\s*<", facets), facets


def test_rows_keep_django_markup_and_links(reviewer_client):
    add_changes(2, start=0)
    body = reviewer_client.get(LIST).content.decode()
    model_admin = admin.site._registry[ControlChange]
    for change in ControlChange.objects.all():
        assert admin.ModelAdmin.action_checkbox(model_admin, change) == model_admin.action_checkbox(change)
        assert model_admin.action_checkbox(change) in body
        assert f'href="{reverse("admin:events_controlchange_change", args=[change.pk])}"' in body
    queue = reviewer_client.get(QUEUE).content.decode()
    draft = ControlChange.objects.get(state=DRAFT)
    assert f'<a href="{reverse("admin:events_controlchange_change", args=[draft.pk])}">{draft}</a>' in queue


def test_row_urls_follow_the_script_prefix(db):
    try:
        set_script_prefix("/maps/")
        assert row_urls.url_with_key("admin:events_controlchange_change", 7) == reverse(
            "admin:events_controlchange_change", args=[7]) == "/maps/admin/events/controlchange/7/change/"
        assert row_urls.url("home") == reverse("home") == "/maps/"
    finally:
        set_script_prefix("/")
    assert row_urls.url_with_key("admin:events_controlchange_change", "a/b") == reverse(
        "admin:events_controlchange_change", args=["a_2Fb"])


def test_filters_and_search_narrow_both_lists(reviewer_client):
    add_changes(6, start=0)
    draft = ControlChange.objects.filter(state=DRAFT).order_by("id").first()
    page = reviewer_client.get(LIST, {"state__exact": "draft"})
    assert {c.state for c in page.context["cl"].result_list} == {DRAFT}
    assert page.context["cl"].result_count == 3
    page = reviewer_client.get(LIST, {"effective_date__year": "2017", "effective_date__month": "1"})
    assert page.context["cl"].result_count == 6
    page = reviewer_client.get(LIST, {"effective_date__year": "2016"})
    assert page.context["cl"].result_count == 0
    # A name no factory makes: the queue's search also reads faction names and notes (random words).
    Town.objects.filter(pk=draft.town_id).update(name="Zzyzx Springs")
    draft.refresh_from_db()
    draft.town.refresh_from_db()
    page = reviewer_client.get(QUEUE, {"q": draft.town.name})
    assert draft in page.context["cl"].result_list
    assert all(draft.town.name in c.town.name and c.state == DRAFT for c in page.context["cl"].result_list)
    page = reviewer_client.get(QUEUE, {"faction__id__exact": draft.faction_id})
    assert list(page.context["cl"].result_list) == [draft]
    assert [c.source_total for c in reviewer_client.get(QUEUE).context["cl"].result_list] == [1, 1, 1]


def test_counts_are_exact_when_filtered_or_small(reviewer_client):
    add_changes(4, start=0)
    page = reviewer_client.get(LIST)
    assert page.context["cl"].result_count == 4 and not page.context["cl"].paginator.estimated
    assert not re.search(r"about \d+ control changes", page.content.decode())


@pytest.mark.postgresql_only("the estimate is PostgreSQL's planner statistics")
def test_the_whole_log_on_postgresql_shows_the_planner_estimate_as_about(reviewer_client, monkeypatch):
    add_changes(4, start=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_controlchange")
    monkeypatch.setattr(lists, "ESTIMATE_FROM_ROWS", 1)
    page = reviewer_client.get(LIST)
    cl = page.context["cl"]
    assert cl.paginator.estimated and cl.result_count == 4  # ANALYZE of a small table counts every row
    assert "about 4 control changes" in page.content.decode()
    filtered = reviewer_client.get(LIST, {"state__exact": "published"}).context["cl"]
    assert not filtered.paginator.estimated and filtered.result_count == 2
    searched = reviewer_client.get(LIST, {"q": "Town"}).context["cl"]
    assert not searched.paginator.estimated and searched.result_count == 4


def test_a_log_below_the_threshold_is_counted(reviewer_client, monkeypatch):
    add_changes(3, start=0)
    monkeypatch.setattr(lists, "ESTIMATE_FROM_ROWS", 10**9)
    cl = reviewer_client.get(LIST).context["cl"]
    assert cl.result_count == 3 and not cl.paginator.estimated
    assert isinstance(cl.paginator, lists.LogPaginator) and ControlChangeAdmin.paginator is lists.LogPaginator


@pytest.mark.sqlite_only("SQLite's plan for a bound parameter")
def test_the_queue_count_reads_only_an_index_of_the_drafts(reviewer_client):
    add_changes(4, start=0)
    with CaptureQueriesContext(connection) as queries:
        reviewer_client.get(QUEUE)
    sent = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    count = 'SELECT COUNT(*) AS "__count" FROM "events_controlchange" WHERE "events_controlchange"."state" = %s'
    assert sent == [count % "'draft'"], sent
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {count}", [DRAFT])  # bound, as the ORM sends it
        plan = " ".join(row[3] for row in cursor.fetchall())
    # The drafts' own (partial) index, read alone: no row of the log, and no published change, is read.
    assert re.fullmatch(r"(SEARCH|SCAN) events_controlchange USING COVERING INDEX change_drafts_queue_idx"
                        r"( \(state=\?\))?", plan), plan
