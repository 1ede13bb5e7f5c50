"""The sources list finds its rows once for a page and its count, and pages as DRF's paginator does."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.api import views
from events.api.pagination import Pagination
from events.models import ControlChange, Source
from tests.factories import ControlChangeFactory

pytestmark = pytest.mark.django_db

PAGES = ["", "?limit=7", "?limit=7&offset=7", "?limit=5&offset=3", "?limit=1000", "?offset=10000", "?limit=3&offset=1",
         # Past any end: no query (an OFFSET beyond the database's integers was a 500, found by the fuzzer).
         "?offset=228714658781112924372992", "?limit=2&offset=9223372036854775807"]


@pytest.fixture
def sources(seeded):
    """The seed's sources, plus one cited only by a superseded change and one cited only by a draft
    (neither public: the list leaves them out, its count too)."""
    wrong = ControlChange.objects.filter(state="published").order_by("pk").first()
    superseded_only = Source.objects.create(publisher="Wire", title="Corrected since")
    wrong.sources.add(superseded_only)
    ControlChangeFactory(town=wrong.town, faction=wrong.faction, effective_date=wrong.effective_date,
                         supersedes=wrong, sources=[Source.objects.exclude(pk=superseded_only.pk).first()])
    draft_only = Source.objects.create(publisher="Tip", title="Unconfirmed")
    ControlChangeFactory(town=wrong.town, faction=wrong.faction, effective_date=dt.date(2018, 6, 1),
                         state="draft", sources=[draft_only])
    return {"superseded only": superseded_only.pk, "draft only": draft_only.pk}


def test_each_page_is_the_page_drf_would_serve(api, sources, monkeypatch):
    served = {page: api.get(f"/api/sources/{page}").json() for page in PAGES}
    monkeypatch.setattr(views.SourceViewSet, "pagination_class", Pagination)
    for page in PAGES:
        assert served[page] == api.get(f"/api/sources/{page}").json(), page
    listed = {row["id"] for row in api.get("/api/sources/?limit=1000").json()["results"]}
    assert served[""]["count"] == len(listed) > 0
    assert not listed & set(sources.values())


def test_the_cited_sources_are_found_once_for_the_page_and_its_count(api, sources):
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/sources/?limit=5").status_code == 200
    finding = [q["sql"] for q in queries.captured_queries if "EXISTS" in q["sql"] and '"events_source"' in q["sql"]]
    # One query walks every source (its page's keys and the total), one reads the page's five by key.
    assert len(finding) == 2 and sum("LIMIT 5" in sql or "IN (" in sql for sql in finding) == 2
    assert not any(sql.lstrip().upper().startswith("SELECT COUNT(") for sql in finding)


def _finding_sql(api) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/sources/?limit=5").status_code == 200
    return [q["sql"] for q in queries.captured_queries if '"events_source"' in q["sql"] and "supersedes_id" in q["sql"]]


def test_each_source_is_probed_for_its_first_cited_change_not_joined_to_the_whole_log(api, sources):
    """A scalar subquery with LIMIT 1 per source: PostgreSQL flattens an EXISTS into a semi-join that reads every
    link of the log (1.1-2.0 s at 1,000,000 changes, against 0.28 s probed)."""
    finding = _finding_sql(api)
    assert finding
    for sql in finding:
        where = sql.split(' FROM "events_source" WHERE ', 1)[1]
        assert not where.lstrip("( ").startswith("EXISTS"), sql
        assert "LIMIT 1) IS NOT NULL" in where, sql


@pytest.mark.postgresql_only("PostgreSQL's plan (SQLite runs any correlated form as a probe per source)")
def test_postgresql_walks_each_source_s_links_by_index(api, sources):
    count_query = next(sql for sql in _finding_sql(api) if "OVER ()" in sql)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + count_query)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "SubPlan" in plan and "Semi Join" not in plan, plan
