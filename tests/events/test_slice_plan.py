"""The time slice walks each town's (town, effective_date) index, whatever other indexes the log has."""

import datetime as dt

import pytest
from django.db import connection

from events import selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.sqlite_only("SQLite's plan (PostgreSQL runs the LATERAL form)"),
]


@pytest.mark.parametrize("published_only", [True, False])
def test_the_slice_walks_the_town_index_and_checks_corrections_by_their_index(published_only):
    sql, params = selectors.slice_sql(on=dt.date(2017, 9, 3), seen=selectors.visibility(published_only=published_only))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(row[-1] for row in cursor.fetchall())
    assert "SEARCH x USING INDEX change_town_asof_idx (town_id=? AND effective_date<?)" in plan, plan
    assert "SEARCH x_s USING INDEX events_controlchange_supersedes_id" in plan, plan


def test_a_theatre_s_slice_reads_that_theatre_s_towns_by_index_not_every_town_filtered():
    """Asked for one theatre, the slice starts from the (theatre, name) index: another theatre's towns are
    never read, and the rows come out in name order without a sort."""
    from geodata.services import theatre_first

    theatre = theatre_first()
    sql, params = selectors.slice_sql(on=dt.date(2017, 9, 3), seen=selectors.visibility(), theatre=theatre.pk)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(row[-1] for row in cursor.fetchall())
    assert "SEARCH t USING INDEX town_theatre_name_idx (theatre_id=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
