"""`make backup` lists the rows the backup holds, not the rows the database held a moment before.

A write that commits while the backup runs (between the counting and the copy, as under load) must
not make the two disagree: PostgreSQL counts in the snapshot pg_dump dumps, SQLite in the written file.
"""

import re
import sqlite3
import subprocess
from contextlib import closing

import pytest
from django.core.management import call_command
from django.db import connection

from conflictmap import backup
from tests.test_backup import pg_tools_required

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "geodata_historicaltown"
DELETE_FIVE = f"DELETE FROM {TABLE} WHERE history_id IN (SELECT history_id FROM {TABLE} ORDER BY history_id LIMIT 5)"


def rows_in_dump(dump) -> int:
    sql = subprocess.run(
        [backup.pg_tool("pg_restore"), "--data-only", f"--table={TABLE}", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = sql.split("FROM stdin;\n", 1)[1].split("\n\\.", 1)[0]
    return len(data.splitlines())


@pytest.mark.postgresql_only("pg_dump --snapshot")
def test_postgresql_counts_come_from_the_dumped_snapshot(seeded, tmp_path, monkeypatch, capsys):
    pg_tools_required("pg_dump", "pg_restore")
    real_run = backup._pg_run

    def write_then_run(command, database):
        if "pg_dump" in command[0]:  # another client commits while the backup is under way
            with connection.cursor() as c:
                c.execute(DELETE_FIVE)
            connection.close()
        return real_run(command, database)

    monkeypatch.setattr(backup, "_pg_run", write_then_run)
    call_command("backup_data", output=tmp_path / "b.dump")
    printed = int(re.search(rf"{TABLE}: (\d+) rows", capsys.readouterr().out)[1])
    assert printed == rows_in_dump(tmp_path / "b.dump") == 42  # the five deleted rows are after the snapshot
    with connection.cursor() as c:
        c.execute(f"SELECT count(*) FROM {TABLE}")
        assert c.fetchone() == (37,)


@pytest.mark.sqlite_only("the SQLite backup is counted from its file")
def test_sqlite_counts_come_from_the_backup_file(seeded, tmp_path, monkeypatch):
    path = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    database = {**connection.settings_dict, "NAME": str(path)}
    real_copy = backup._sqlite_copy

    def write_then_copy(source, target):
        with closing(sqlite3.connect(source)) as db:
            db.execute(DELETE_FIVE)
            db.commit()
        real_copy(source, target)

    monkeypatch.setattr(backup, "_sqlite_copy", write_then_copy)
    written, summaries = backup.database_backup_summarised(database=database, path=tmp_path / "b.sqlite3")
    with closing(sqlite3.connect(written)) as db:
        in_file = db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    assert {s.table: s.rows for s in summaries}[TABLE] == in_file == 37


class BatchOnlyCursor:
    """A cursor that refuses fetchall and notes the most rows it handed out at once."""

    def __init__(self, cursor):
        self.cursor, self.most = cursor, 0

    def execute(self, sql):
        return self.cursor.execute(sql)

    def fetchmany(self, size):
        rows = self.cursor.fetchmany(size)
        self.most = max(self.most, len(rows))
        return rows

    def fetchall(self):
        raise AssertionError("fetchall holds a whole table in memory (a million-row history: GBs)")


def test_the_counts_read_each_table_in_batches(seeded, monkeypatch):
    with connection.cursor() as cursor:
        whole = backup.tables_summary(cursor)
    monkeypatch.setattr(backup, "SUMMARY_BATCH", 7, raising=False)
    with connection.cursor() as cursor:
        batched = BatchOnlyCursor(cursor)
        assert backup.tables_summary(batched) == whole  # the same counts and checksums
    assert batched.most == 7
    assert sum(s.rows for s in whole if s.table == TABLE) > 7
