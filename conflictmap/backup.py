"""Back up and restore the whole database: pg_dump/pg_restore on PostgreSQL, the SQLite backup API.

Both are safe while the app serves: pg_dump reads one snapshot, and SQLite's online backup copies a
consistent state while WAL lets writers go on. A backup is written to a temporary file and renamed,
so a failed one leaves no half-written file; a restore is one transaction (``--single-transaction``
on PostgreSQL, one backup step on SQLite), so a failed one leaves the database as it was.

Every function takes a Django database settings dict (``connections[alias].settings_dict``), so the
same code serves the commands and the round-trip test on a throwaway database.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

# The apps whose tables are the project's data (their history and many-to-many tables included).
DATA_APPS = ("geodata", "events", "auth", "knox", "admin", "contenttypes")


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was written or overwritten."""


@dataclass(frozen=True)
class TableSummary:
    table: str
    rows: int
    checksum: str


def engine_of(database: dict) -> str:
    engine = database["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def data_tables() -> list[str]:
    """Every table of the project's data apps, sorted: the tables a round trip must keep identical."""
    tables = {
        model._meta.db_table
        for label in DATA_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
    return sorted(tables)


def tables_summary(cursor, tables: list[str] | None = None) -> list[TableSummary]:
    """Row count and a checksum of every row (in primary-key order) per table, from a DB-API cursor."""
    summaries = []
    for table in tables or data_tables():
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - names come from the models
        digest, rows = hashlib.sha256(), 0
        for row in cursor.fetchall():
            digest.update(repr(tuple(row)).encode())
            rows += 1
        summaries.append(TableSummary(table, rows, digest.hexdigest()[:16]))
    return summaries


def summary_text(summaries: list[TableSummary]) -> str:
    """The non-empty tables as 'table: rows' lines; what a person checks after a restore."""
    return "\n".join(f"  {s.table}: {s.rows} rows" for s in summaries if s.rows)


# --- SQLite -------------------------------------------------------------------------------------------

def _sqlite_path(database: dict) -> Path:
    name = str(database["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"Cannot back up the in-memory SQLite database {name!r}: use a database file.")
    return Path(name)


def _sqlite_check(path: Path) -> None:
    """Refuse a file that is not a SQLite database of this project, before anything is overwritten."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA quick_check").fetchone()
            found = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc}).") from exc
    if not found:
        raise BackupError(f"{path} is a SQLite database but not a conflictmap one (no django_migrations table).")


def _sqlite_copy(source: Path, target: Path) -> None:
    """One backup step (pages=-1): the target gets a consistent copy of the source, or stays as it was."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target, timeout=60)) as dst:
        src.backup(dst)


# --- PostgreSQL ---------------------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: PG_BIN if set, then PATH, then the newest /usr/lib/postgresql/*/bin."""
    candidates = [Path(os.environ["PG_BIN"]) / name] if os.environ.get("PG_BIN") else []
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]),
                         reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(f"{name} was not found: install the PostgreSQL client (postgresql-client) or set PG_BIN.")


def _pg_run(command: list[str], database: dict) -> None:
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if database.get(key):
            env[var] = str(database[key])
    result = subprocess.run([*command, "--dbname", database["NAME"]], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


# --- the two doors ------------------------------------------------------------------------------------

def database_backup(*, database: dict, path: Path) -> Path:
    """Write a backup of the database to ``path`` (custom-format dump on PostgreSQL, a SQLite file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        if engine_of(database) == "sqlite":
            source = _sqlite_path(database)
            _sqlite_check(source)
            partial.unlink(missing_ok=True)
            _sqlite_copy(source, partial)
        else:
            _pg_run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)], database)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def database_restore(*, database: dict, path: Path) -> None:
    """Replace the database's contents with the backup at ``path``; all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    if engine_of(database) == "sqlite":
        _sqlite_check(path)
        _sqlite_copy(path, _sqlite_path(database))
    else:
        _pg_run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--exit-on-error", str(path)], database)
