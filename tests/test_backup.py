"""`make backup` / `make restore`: a round trip gives back identical data; a restore never overwrites
by surprise and never half-writes.

On SQLite the test database lives in memory, so the tools work on a file copy of it (made with the
same backup API); on PostgreSQL (DATABASE_URL set, as in .ci/run) they work on the test database
itself through pg_dump and pg_restore.
"""

import sqlite3
from contextlib import closing, contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from conflictmap.backup import BackupError, database_backup, database_restore, pg_tool, tables_summary
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db(transaction=True)  # the tools see committed data only


def pg_tools_required(*names: str) -> None:
    """The PostgreSQL client tools where conflictmap.backup looks for them (PG_BIN, PATH, /usr/lib/postgresql)."""
    for name in names:
        try:
            pg_tool(name)
        except BackupError as exc:
            skip_or_fail(str(exc), what="the PostgreSQL backup tests")


@pytest.fixture
def live(seeded, tmp_path):
    """(settings of a seeded database the tools may overwrite, a context manager giving a cursor on it)."""
    if connection.vendor == "sqlite":
        path = tmp_path / "live.sqlite3"
        with closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)

        @contextmanager
        def cursor():
            with closing(sqlite3.connect(path)) as db:
                yield db.cursor()
                db.commit()

        return {**connection.settings_dict, "NAME": str(path)}, cursor
    pg_tools_required("pg_dump", "pg_restore")

    @contextmanager
    def cursor():
        with connection.cursor() as c:
            yield c
        connection.close()  # pg_restore --clean must not wait behind this session

    return connection.settings_dict, cursor


def test_a_round_trip_gives_back_identical_data(live, tmp_path):
    database, cursor = live
    with cursor() as c:
        before = tables_summary(c)
    assert {s.table: s.rows for s in before}["events_controlchange"] == 53

    backup = database_backup(database=database, path=tmp_path / "backups" / "one")
    assert backup.is_file() and [p.name for p in backup.parent.iterdir()] == ["one"]  # no partial file left
    with cursor() as c:
        c.execute("DELETE FROM events_controlchange_sources")
        c.execute("UPDATE geodata_town SET name = 'Renamed' WHERE slug = 'raqqa'")
    with cursor() as c:
        changed = tables_summary(c)
    assert {s.table for s in changed} ^ {s.table for s in before} == set()
    assert {s.table for s in changed if s not in before} == {"events_controlchange_sources", "geodata_town"}

    database_restore(database=database, path=backup)
    with cursor() as c:
        assert tables_summary(c) == before  # row counts and a checksum of every row, table by table


@pytest.mark.sqlite_only("pg_dump reads one snapshot by design; this checks the SQLite online backup")
def test_a_backup_is_consistent_while_a_writer_holds_a_transaction(live, tmp_path):
    database, cursor = live
    with closing(sqlite3.connect(database["NAME"], timeout=1)) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE geodata_town SET name = 'Uncommitted'")
        backup = database_backup(database=database, path=tmp_path / "during.sqlite3")
        writer.rollback()
    with closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT count(*) FROM geodata_town WHERE name = 'Uncommitted'").fetchone() == (0,)
        assert copy.execute("SELECT count(*) FROM geodata_town").fetchone() == (42,)


def test_a_file_that_is_no_backup_is_refused_and_nothing_changes(live, tmp_path):
    database, cursor = live
    with cursor() as c:
        before = tables_summary(c)
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a backup\n")
    with pytest.raises(BackupError):
        database_restore(database=database, path=junk)
    with pytest.raises(BackupError, match="does not exist"):
        database_restore(database=database, path=tmp_path / "missing.dump")
    with cursor() as c:
        assert tables_summary(c) == before


def test_restore_without_a_terminal_needs_yes(seeded, tmp_path):
    backup = tmp_path / "any.dump"
    backup.write_bytes(b"")
    with pytest.raises(CommandError, match=r"pass --yes .* Nothing was changed"):
        call_command("restore_data", str(backup))


def test_the_commands_back_up_and_restore_and_say_what_they_restored(seeded, tmp_path, capsys):
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="in-memory SQLite database"):
            call_command("backup_data", output=tmp_path / "b")
        return
    pg_tools_required("pg_dump", "pg_restore")
    call_command("backup_data", output=tmp_path / "b.dump")
    call_command("restore_data", str(tmp_path / "b.dump"), yes=True)
    out = capsys.readouterr().out
    assert "Backed up" in out and "Restored" in out and "geodata_town: 42 rows" in out
