"""SQLite's planner statistics, refreshed after every ``migrate``.

SQLite knows how selective an index is only from ``ANALYZE``. A database analysed once and then given
new indexes by a migration has statistics for the old indexes and none for the new: the planner then
guesses the new ones cheap and can walk the whole log through them (the change list took 3.5 s at
a million changes through a (faction, date) index; the time slice, tens of minutes through a
(state, date) one). Analysing after each migrate keeps the statistics whole: about 4 s at a million
changes, nothing at the seed's size. PostgreSQL's autovacuum keeps its own statistics.
"""

from django.db import connections


def analyze_sqlite(*, using: str = "default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
