"""After migrate, SQLite holds statistics for every index of the log (conflictmap.planner_stats)."""

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.sqlite_only("SQLite's ANALYZE statistics")


@pytest.mark.django_db
def test_migrate_leaves_statistics_for_the_logs_indexes(seeded):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")  # as in a database never analysed
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'events_controlchange'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"change_town_asof_idx", "change_date_idx", "change_faction_date_idx"} <= indexes, indexes
