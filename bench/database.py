"""Where the bench's country lives: a cached SQLite file, or a cached database on the PostgreSQL server
that ``DATABASE_URL`` names, keyed by size and by the code that shapes the data (the builder and the
seed). A repeated run reuses it; newer migrations are applied to it by ``migrate``, as a deployment's
database would be upgraded, so merging schema work does not force a rebuild of a million changes."""

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SHAPING = ["bench/country.py", "seeds"]
MARKER = "bench_country_built"


def code_version() -> str:
    digest = hashlib.sha256()
    for name in SHAPING:
        path = ROOT / name
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(ROOT).as_posix().encode() + file.read_bytes())
    return digest.hexdigest()[:10]


def _build(url: str, towns: int, changes: int) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "bench.build", "--towns", str(towns), "--changes", str(changes)],
                   cwd=ROOT, env=env, check=True)


def sqlite_url(*, towns: int, changes: int, cache_dir: Path, rebuild: bool) -> tuple[str, bool]:
    """(DATABASE_URL of the cached file, whether it was built now)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    final = cache_dir / f"country-{towns}x{changes}-{code_version()}.sqlite3"
    if final.exists() and not rebuild:
        return f"sqlite:///{final}", False
    # Two benches asking for the same size at once: the second waits for the first one's build.
    with open(final.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if final.exists() and not rebuild:
            return f"sqlite:///{final}", False
        building = final.with_suffix(".building")
        for stale in (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm"))):
            stale.unlink(missing_ok=True)
        _build(f"sqlite:///{building}", towns, changes)
        building.replace(final)  # the builder checkpointed the WAL, so the file alone is the database
    return f"sqlite:///{final}", True


def postgres_url(*, url: str, towns: int, changes: int, rebuild: bool) -> tuple[str, bool]:
    """A database of its own on the same server, named by size and code version."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'conflictmap'}_bench_{towns}x{changes}_{code_version()}"
    target = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not rebuild:
            with psycopg.connect(target) as db:
                if db.execute("SELECT to_regclass(%s)", [MARKER]).fetchone()[0]:
                    return target, False
        if exists:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    _build(target, towns, changes)
    return target, True
