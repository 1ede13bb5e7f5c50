"""A restore checks the whole backup before it touches the database, and refuses anything else.

SQLite: a damaged file (one byte changed in a leaf page of the change history) or another project's
database is refused in one line and the target is left byte for byte as it was; a restore that fails
its own check puts the old database back. PostgreSQL: another database's dump is refused before
pg_restore runs, and the target keeps its tables.
"""

import sqlite3
import subprocess
from contextlib import closing

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from conflictmap import backup
from conflictmap.backup import BackupError, database_backup, database_restore, pg_tool, tables_summary
from tests.test_backup import pg_tools_required

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sqlite_copy(seeded, tmp_path):
    """A file copy of the seeded test database: (its settings, its path)."""
    path = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    return {**connection.settings_dict, "NAME": str(path)}, path


def leaf_page_byte_changed(source, damaged):
    """A copy of ``source`` with one byte changed in a leaf page of events_historicalcontrolchange: a digit
    of the first history row's date, so the row no longer matches its index. quick_check still says ok."""
    damaged.write_bytes(source.read_bytes())
    with closing(sqlite3.connect(damaged)) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        page = db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'events_historicalcontrolchange' "
            "AND pagetype = 'leaf' ORDER BY pageno LIMIT 1"
        ).fetchone()[0]
        (history_date,) = db.execute(
            "SELECT history_date FROM events_historicalcontrolchange ORDER BY history_id LIMIT 1"
        ).fetchone()
    data = bytearray(damaged.read_bytes())
    start = (page - 1) * page_size
    # The last copy on the page is the live row (a page split leaves stale copies lower down); +3: its year.
    offset = start + bytes(data[start : start + page_size]).rindex(history_date.encode()) + 3
    data[offset] ^= 0x01
    damaged.write_bytes(bytes(data))
    return damaged


@pytest.mark.sqlite_only("the SQLite backup file's own check")
def test_a_damaged_backup_is_refused_in_one_line_and_the_target_is_untouched(sqlite_copy, tmp_path):
    database, target = sqlite_copy
    good = database_backup(database=database, path=tmp_path / "good.sqlite3")
    damaged = leaf_page_byte_changed(good, tmp_path / "damaged.sqlite3")
    with closing(sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)) as db:
        db.create_function("REGEXP", 2, backup._regexp)
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # the old check's answer
        assert db.execute("PRAGMA integrity_check").fetchall() != [("ok",)]
    before = target.read_bytes()

    with pytest.raises(BackupError) as refused:
        database_restore(database=database, path=damaged)
    message = str(refused.value)
    assert "damaged" in message and "integrity check" in message and "\n" not in message
    assert target.read_bytes() == before
    assert not list(tmp_path.glob("*.pre-restore"))

    # The command (on the test database) refuses it the same way, in one line.
    with pytest.raises(CommandError, match=r"^Restore failed, the database is unchanged: .* is damaged"):
        call_command("restore_data", str(damaged), yes=True)


@pytest.mark.sqlite_only("a SQLite file of another project")
def test_another_projects_sqlite_database_is_refused(sqlite_copy, tmp_path):
    database, target = sqlite_copy
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE django_migrations (id integer primary key, app text, name text, applied text)")
        db.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('shop', '0001_initial', '')")
        db.commit()
    before = target.read_bytes()
    with pytest.raises(BackupError, match="not a conflictmap database"):
        database_restore(database=database, path=other)

    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(database_backup(database=database, path=tmp_path / "b.sqlite3").read_bytes())
    with closing(sqlite3.connect(newer)) as db:
        db.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('events', '9999_future', '')")
        db.commit()
    with pytest.raises(
        BackupError,
        match=r"1 migration\(s\) this version of conflictmap does not know "
        r"\(events.9999_future\)",
    ):
        database_restore(database=database, path=newer)
    assert target.read_bytes() == before


@pytest.mark.sqlite_only("the SQLite restore's own rollback")
def test_a_restore_that_fails_its_check_puts_the_old_database_back(sqlite_copy, tmp_path, monkeypatch):
    database, target = sqlite_copy
    with closing(sqlite3.connect(target)) as db:
        before = tables_summary(db.cursor())
    good = database_backup(database=database, path=tmp_path / "good.sqlite3")
    with closing(sqlite3.connect(good)) as db:
        db.execute("DELETE FROM events_controlchange_sources")
        db.commit()

    real_check, checked = backup._sqlite_check, []

    def check_failing_on_the_target(path):
        checked.append(path)
        if path == target:
            raise BackupError(f"{path} is damaged (simulated).")
        real_check(path)

    monkeypatch.setattr(backup, "_sqlite_check", check_failing_on_the_target)
    with pytest.raises(BackupError, match="put back as it was"):
        database_restore(database=database, path=good)
    assert checked == [good, target]
    with closing(sqlite3.connect(target)) as db:
        assert tables_summary(db.cursor()) == before
    assert not target.with_name(f"{target.name}.pre-restore").exists()


@pytest.fixture
def pg_database(seeded):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    pg_tools_required("pg_dump", "pg_restore")
    yield connection.settings_dict
    connection.close()


@pytest.mark.postgresql_only("pg_restore --list of another database's dump")
def test_another_databases_dump_is_refused_before_anything_is_touched(pg_database, tmp_path):
    foreign = f"{pg_database['NAME']}_foreign"
    env = backup._pg_env(pg_database)
    dropdb, createdb, psql = (str(backup.Path(pg_tool("pg_dump")).with_name(n)) for n in ("dropdb", "createdb", "psql"))
    subprocess.run([dropdb, "--if-exists", foreign], env=env, check=True, capture_output=True)
    subprocess.run([createdb, foreign], env=env, check=True, capture_output=True)
    try:
        subprocess.run(
            [psql, "-d", foreign, "-c", "CREATE TABLE invoices (id int primary key, total numeric)"],
            env=env,
            check=True,
            capture_output=True,
        )
        dump = database_backup(database={**pg_database, "NAME": foreign}, path=tmp_path / "foreign.dump")
    finally:
        subprocess.run([dropdb, "--if-exists", foreign], env=env, capture_output=True)
    with connection.cursor() as c:
        before = tables_summary(c)
    connection.close()

    with pytest.raises(BackupError, match=r"foreign.dump is a PostgreSQL dump but it is not a conflictmap database"):
        database_restore(database=pg_database, path=dump)
    with pytest.raises(CommandError, match="Restore failed, the database is unchanged: .*not a conflictmap database"):
        call_command("restore_data", str(dump), yes=True)
    with connection.cursor() as c:
        assert tables_summary(c) == before
        c.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'invoices'")
        assert c.fetchone() == (0,)


@pytest.mark.postgresql_only("a conflictmap dump naming a migration this code lacks")
def test_a_dump_of_a_newer_schema_is_refused(pg_database, tmp_path):
    with connection.cursor() as c:
        c.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('events', '9999_future', now())")
    try:
        dump = database_backup(database=pg_database, path=tmp_path / "newer.dump")
    finally:  # a flush leaves django_migrations alone
        with connection.cursor() as c:
            c.execute("DELETE FROM django_migrations WHERE name = '9999_future'")
        connection.close()
    with pytest.raises(BackupError, match=r"does not know \(events.9999_future\)"):
        database_restore(database=pg_database, path=dump)


@pytest.mark.sqlite_only("the SQLite backup's own check")
def test_a_backup_of_a_damaged_database_is_refused_and_leaves_nothing(sqlite_copy, tmp_path):
    database, target = sqlite_copy
    damaged = leaf_page_byte_changed(target, tmp_path / "damaged-live.sqlite3")
    out = tmp_path / "backups" / "b.sqlite3"
    with pytest.raises(BackupError, match=r"is damaged .* The database itself may be damaged"):
        database_backup(database={**database, "NAME": str(damaged)}, path=out)
    assert list(out.parent.iterdir()) == []


@pytest.mark.sqlite_only("the SQLite files' read-only URI")
def test_backup_and_restore_files_named_with_uri_characters(sqlite_copy, tmp_path):
    """'#', '?' and '%' in a file's name are its name: the check opened another file (and created it, empty)."""
    database, target = sqlite_copy
    with closing(sqlite3.connect(target)) as db:
        before = tables_summary(db.cursor())
    backups = tmp_path / "backups"
    made = database_backup(database=database, path=backups / "conflictmap#2 ?v=1 100%.sqlite3")
    assert [p.name for p in backups.iterdir()] == ["conflictmap#2 ?v=1 100%.sqlite3"]

    with closing(sqlite3.connect(target)) as db:
        db.execute("DELETE FROM events_controlchange_sources")
        db.commit()
    database_restore(database=database, path=made)
    with closing(sqlite3.connect(target)) as db:
        assert tables_summary(db.cursor()) == before
    assert [p.name for p in backups.iterdir()] == ["conflictmap#2 ?v=1 100%.sqlite3"]
