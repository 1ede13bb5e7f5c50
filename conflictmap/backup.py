"""Back up and restore the whole database: pg_dump/pg_restore on PostgreSQL, the SQLite backup API.

Both are safe while the app serves: pg_dump reads one snapshot, and SQLite's online backup copies a
consistent state while WAL lets writers go on. A backup is written to a temporary file and renamed,
so a failed one leaves no half-written file. Its row counts are the backup's own: read from the
exported snapshot pg_dump dumps (PostgreSQL) or from the written file (SQLite).

A restore checks the whole file first (a conflictmap database whose migrations this code knows; on
SQLite, ``PRAGMA integrity_check`` says "ok") and touches nothing when it is not one. It is one
transaction (``--single-transaction`` on PostgreSQL, one backup step on SQLite); on SQLite the old
database is first copied beside the target as ``<name>.pre-restore`` and put back unless the restored
database passes the same check, so a failed restore leaves the database as it was.

Every function takes a Django database settings dict (``connections[alias].settings_dict``), so the
same code serves the commands and the round-trip test on a throwaway database.
"""

import errno
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db.migrations.loader import MigrationLoader

from conflictmap.faults import DISK_FULL, is_disk_full

# The apps whose tables are the project's data (their history and many-to-many tables included).
DATA_APPS = ("geodata", "events", "auth", "knox", "admin", "contenttypes")


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was written or overwritten."""


@dataclass(frozen=True)
class TableSummary:
    table: str
    rows: int
    checksum: str


# Tables without which a file is not a conflictmap database, whatever its migration state.
CORE_TABLES = (
    "django_migrations",
    "geodata_town",
    "events_faction",
    "events_controlchange",
    "events_historicalcontrolchange",
)


def known_migrations() -> set[tuple[str, str]]:
    """(app, name) of every migration this code ships, its dependencies' (Django's own apps) included."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return set(loader.disk_migrations)


def schema_problem(*, tables: set[str], migrations: set[tuple[str, str]]) -> str | None:
    """Why a database holding ``tables`` with ``migrations`` applied is not a conflictmap one, or None."""
    missing = [t for t in CORE_TABLES if t not in tables]
    if missing:
        return f"it is not a conflictmap database (no {', '.join(missing)} table)"
    unknown = sorted(migrations - known_migrations())
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        return (
            f"it records {len(unknown)} migration(s) this version of conflictmap does not know ({names}): "
            "a newer version's backup, or another project's database"
        )
    if {m for m in known_migrations() if m[0] in DATA_APPS} <= migrations:  # fully migrated: every table
        absent = [t for t in data_tables() if t not in tables]
        if absent:
            return f"tables of its schema are missing ({', '.join(absent[:3])})"
    return None


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


SUMMARY_BATCH = 5000


def tables_summary(cursor, tables: list[str] | None = None) -> list[TableSummary]:
    """Row count and a checksum of every row (in primary-key order) per table, from a DB-API cursor."""
    summaries = []
    for table in data_tables() if tables is None else tables:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - names come from the models
        digest, rows = hashlib.sha256(), 0
        # In batches: fetchall held a whole table (300,000 narrow rows: 170 MB; a million-row history, GBs).
        while batch := cursor.fetchmany(SUMMARY_BATCH):
            for row in batch:
                digest.update(repr(tuple(row)).encode())
            rows += len(batch)
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


def _regexp(pattern: str | None, value) -> bool | None:
    """SQL REGEXP as Django's SQLite backend defines it: the schema's CHECK constraints use it."""
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value)) is not None


def _read_only(path: Path) -> str:
    """An SQLite URI that opens ``path`` read-only: '#', '?' and '%' in the name are quoted, not read as URI
    syntax (which opened, and created, another file: a backup named 'conflictmap#2.sqlite3' read as 'conflictmap')."""
    return f"{path.absolute().as_uri()}?mode=ro"


def _sqlite_check(path: Path, *, whole: bool = True) -> None:
    """Refuse a file that is not a sound conflictmap SQLite database; reads it only.

    ``whole``: read every page and index (``PRAGMA integrity_check``); else the schema only.
    """
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        with closing(sqlite3.connect(_read_only(path), uri=True)) as db:
            db.create_function("REGEXP", 2, _regexp, deterministic=True)
            problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")] if whole else ["ok"]
            if problems != ["ok"]:
                first = " ".join(problems[0].replace("*** in database main ***", "").split())
                more = " ..." if len(problems) > 1 else ""
                raise BackupError(f"{path} is damaged (SQLite's integrity check: {first}{more}).")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            migrations = (
                set(db.execute("SELECT app, name FROM django_migrations")) if "django_migrations" in tables else set()
            )
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a sound SQLite database ({exc}).") from exc
    problem = schema_problem(tables=tables, migrations=migrations)
    if problem:
        raise BackupError(f"{path} is a SQLite database but {problem}.")


def _sqlite_copy(source: Path, target: Path) -> None:
    """One backup step (pages=-1): the target gets a consistent copy of the source, or stays as it was."""
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target, timeout=60)) as dst:
            src.backup(dst)
    except (sqlite3.Error, OSError) as exc:
        if is_disk_full(exc):
            raise BackupError(f"{DISK_FULL} (writing {target}).") from exc
        raise BackupError(f"Copying {source} to {target} failed: {exc}") from exc


def _sqlite_summary(path: Path) -> list[TableSummary]:
    with closing(sqlite3.connect(_read_only(path), uri=True)) as db:
        present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return tables_summary(db.cursor(), [t for t in data_tables() if t in present])


def _sqlite_restore(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target``, keeping the old target as ``.pre-restore`` until the result checks out."""
    keep = target.with_name(f"{target.name}.pre-restore")
    existed = target.exists()
    if existed:
        keep.unlink(missing_ok=True)
        try:
            _sqlite_copy(target, keep)  # consistent, WAL included; a full disk stops here, target untouched
        except BackupError:
            keep.unlink(missing_ok=True)
            raise
    try:
        _sqlite_copy(source, target)
        _sqlite_check(target)
    except BackupError as exc:
        if not existed:
            target.unlink(missing_ok=True)
            raise
        _sqlite_copy(keep, target)
        keep.unlink()
        raise BackupError(f"{exc} The database was put back as it was.") from exc
    keep.unlink()


# --- PostgreSQL ---------------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: PG_BIN if set, then PATH, then the newest /usr/lib/postgresql/*/bin."""
    candidates = [Path(os.environ["PG_BIN"]) / name] if os.environ.get("PG_BIN") else []
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]), reverse=True
    )
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(f"{name} was not found: install the PostgreSQL client (postgresql-client) or set PG_BIN.")


def _pg_env(database: dict) -> dict[str, str]:
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if database.get(key):
            env[var] = str(database[key])
    return env


def _pg_run(command: list[str], database: dict) -> None:
    result = subprocess.run(
        [*command, "--dbname", database["NAME"]], env=_pg_env(database), capture_output=True, text=True
    )
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        if "No space left on device" in message or "could not extend file" in message:
            raise BackupError(f"{DISK_FULL} ({Path(command[0]).name}: {message.splitlines()[0]}).")
        raise BackupError(f"{Path(command[0]).name} failed: {message}")


def _pg_read(command: list[str], path: Path) -> str:
    """What pg_restore says about a dump file without touching any database (--list, or -f - for SQL)."""
    result = subprocess.run([*command, str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr.strip() or result.stdout.strip()).removeprefix("pg_restore: error: ")
        raise BackupError(f"{path} is not a PostgreSQL backup made by make backup ({message}).")
    return result.stdout


# A table-of-contents line of `pg_restore --list`: "215; 1259 16390 TABLE public geodata_town postgres".
TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


def _pg_check(path: Path) -> None:
    """Refuse a dump that is not a conflictmap database of a known schema, before any database is touched."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    restore = pg_tool("pg_restore")
    tables = {m[2] for line in _pg_read([restore, "--list"], path).splitlines() if (m := TOC_TABLE.match(line))}
    migrations: set[tuple[str, str]] = set()
    if "django_migrations" in tables:
        sql = _pg_read([restore, "--data-only", "--table=django_migrations", "--file=-"], path)
        rows = sql.split("FROM stdin;\n", 1)[1].split("\n\\.", 1)[0] if "FROM stdin;\n" in sql else ""
        cells = [line.split("\t") for line in rows.splitlines()]
        migrations = {(row[1], row[2]) for row in cells if len(row) >= 3}
    problem = schema_problem(tables=tables, migrations=migrations)
    if problem:
        raise BackupError(f"{path} is a PostgreSQL dump but {problem}.")


def _pg_connect(database: dict):
    """A psycopg connection with the app's connection settings (libpq ``OPTIONS`` such as ``options`` included)."""
    import psycopg  # only on PostgreSQL
    from psycopg.conninfo import make_conninfo

    libpq = {
        k: str(v)
        for k, v in (database.get("OPTIONS") or {}).items()
        if isinstance(v, str | int) and k not in {"isolation_level", "server_side_binding", "assume_role", "pool"}
    }
    given = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
    libpq.update({key: str(database[name]) for name, key in given.items() if database.get(name)})
    return psycopg.connect(make_conninfo(dbname=database["NAME"], **libpq))


def _pg_dump_counted(database: dict, partial: Path) -> list[TableSummary]:
    """pg_dump of a snapshot this transaction exported and holds, and the row counts read in that snapshot."""
    import psycopg

    try:
        with closing(_pg_connect(database)) as db:
            db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            db.read_only = True
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                _pg_run(
                    [
                        pg_tool("pg_dump"),
                        "--format=custom",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        "--file",
                        str(partial),
                    ],
                    database,
                )
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                present = {row[0] for row in cursor.fetchall()}
            with db.cursor(name="backup_summary") as rows:  # server-side: the rows come in batches, in the snapshot
                summaries = tables_summary(rows, [t for t in data_tables() if t in present])
            db.rollback()
    except psycopg.Error as exc:
        raise BackupError(f"Reading the database failed: {exc}") from exc
    return summaries


# --- the two doors ------------------------------------------------------------------------------------


def database_backup(*, database: dict, path: Path) -> Path:
    """Write a backup of the database to ``path`` (custom-format dump on PostgreSQL, a SQLite file)."""
    return database_backup_summarised(database=database, path=path)[0]


def database_backup_summarised(*, database: dict, path: Path) -> tuple[Path, list[TableSummary]]:
    """Write a backup to ``path``; with it, the rows per table it holds (read from the same snapshot)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if engine_of(database) == "sqlite":
            source = _sqlite_path(database)
            _sqlite_check(source, whole=False)
            partial.unlink(missing_ok=True)
            _sqlite_copy(source, partial)
            try:  # the copy is what a restore will read: check it whole
                _sqlite_check(partial)
            except BackupError as exc:
                raise BackupError(
                    f"{exc} The database itself may be damaged: check it with PRAGMA integrity_check."
                ) from exc
            summaries = _sqlite_summary(partial)
        else:
            summaries = _pg_dump_counted(database, partial)
        partial.replace(path)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise BackupError(f"{DISK_FULL} (writing {path}).") from exc
        raise BackupError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path, summaries


def database_restore(*, database: dict, path: Path) -> None:
    """Replace the database's contents with the backup at ``path``; all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    if engine_of(database) == "sqlite":
        _sqlite_check(path)  # before the target is touched
        _sqlite_restore(path, _sqlite_path(database))
    else:
        _pg_check(path)
        _pg_run(
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                str(path),
            ],
            database,
        )
