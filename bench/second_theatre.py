"""A second theatre beside the bench's country, built on a copy of it: ``python -m bench --theatres 2``.

The country (``bench.country``, theatre ``syria``) is copied, never rebuilt: SQLite copies the cached
file, PostgreSQL makes ``CREATE DATABASE ... TEMPLATE`` of the cached one. Onto the copy goes
*Ruritania*, far from Syria (a 4 x 3 degree box on the equator, longitude 10-14): four governorates and
eight districts loaded through ``admin_areas_load`` (the OCHA preset, as ``load_boundaries`` would),
one new faction and one shared with Syria (the Islamic State), towns placed by ``towns_save_many``,
sources, and its log through ``bench.country``'s own writer (``control_changes_create_many``, with the
same shares). Its size is a tenth of the country's towns and a twentieth of its changes (1,000 x
50,000 beside 10,000 x 1,000,000). The copy is cached by both versions: the country's (``SHAPING``)
and this file's, so editing this file rebuilds only the second theatre.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MARKER = "bench_second_theatre_built"
SLUG, NAME = "ruritania", "Ruritania (bench)"
SHARED_FACTION = "islamic-state"  # acts in Syria's seed too: one faction row, used in both theatres
NEW_FACTION = ("ruritania-front", "Ruritanian Front", "#2b8cbe")
WEST, SOUTH, COLUMNS, ROWS, CELL_W, CELL_H = 10.0, 0.0, 2, 2, 2.0, 1.5


def second_size(towns: int, changes: int) -> tuple[int, int]:
    """The second theatre's towns and changes: a tenth and a twentieth of the country's (at least 20 x 1,000:
    enough drafts with a source for the routes' cold runs to publish one)."""
    return max(20, towns // 10), max(1_000, changes // 20)


def version() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]


def _build(url: str, towns: int, changes: int) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "bench.second_theatre", "--towns", str(towns), "--changes", str(changes)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def sqlite_url(country_url: str, *, towns: int, changes: int, rebuild: bool) -> tuple[str, bool]:
    """(DATABASE_URL of the cached two-theatre copy of the country file, whether it was built now)."""
    import fcntl

    country = Path(country_url.removeprefix("sqlite:///"))
    t2, c2 = second_size(towns, changes)
    final = country.with_name(f"{country.stem}+{SLUG}-{t2}x{c2}-{version()}.sqlite3")
    if final.exists() and not rebuild:
        return f"sqlite:///{final}", False
    with open(final.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if final.exists() and not rebuild:
            return f"sqlite:///{final}", False
        building = final.with_suffix(".building")
        for stale in (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm"))):
            stale.unlink(missing_ok=True)
        shutil.copyfile(country, building)  # the country's builder checkpointed its WAL: the file is all of it
        _build(f"sqlite:///{building}", t2, c2)
        building.replace(final)
    return f"sqlite:///{final}", True


def postgres_url(country_url: str, *, towns: int, changes: int, rebuild: bool) -> tuple[str, bool]:
    """A copy of the country's database (CREATE DATABASE ... TEMPLATE) with the second theatre added."""
    import psycopg

    parts = urlsplit(country_url)
    country = parts.path.lstrip("/")
    t2, c2 = second_size(towns, changes)
    name = f"{country}_t2_{version()}"  # the country's name holds its size, which sets the second theatre's
    if len(name) > 63:  # PostgreSQL's longest name (a longer one is cut, and two sizes could meet)
        name = f"bench_t2_{hashlib.sha256(name.encode()).hexdigest()[:20]}"
    target = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(country_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not rebuild:
            with psycopg.connect(target) as db:
                if db.execute("SELECT to_regclass(%s)", [MARKER]).fetchone()[0]:
                    return target, False
    # The template may have no other session: this one is closed, and the bench opens none before.
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{country}"')
    _build(target, t2, c2)
    return target, True


def two_theatre_url(country_url: str, *, towns: int, changes: int, rebuild: bool = False) -> tuple[str, bool]:
    if country_url.startswith(("postgres://", "postgresql://")):
        return postgres_url(country_url, towns=towns, changes=changes, rebuild=rebuild)
    return sqlite_url(country_url, towns=towns, changes=changes, rebuild=rebuild)


# The build, in a process of its own on the copy.


def _areas_files(directory: Path) -> tuple[Path, Path]:
    """Governorates (a COLUMNS x ROWS grid) and districts (each governorate's west and east halves), as
    OCHA's files name them."""
    import shapely

    def collection(features):
        return {"type": "FeatureCollection", "features": features}

    def feature(properties, geometry):
        return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geometry)}

    governorates, districts = [], []
    for i in range(COLUMNS * ROWS):
        x, y = WEST + (i % COLUMNS) * CELL_W, SOUTH + (i // COLUMNS) * CELL_H
        code = f"RU{i + 1:02d}"
        governorates.append(
            feature({"ADM1_PCODE": code, "ADM1_EN": f"Ruritania {i + 1}"}, shapely.box(x, y, x + CELL_W, y + CELL_H))
        )
        for half in range(2):
            left = x + half * CELL_W / 2
            districts.append(
                feature(
                    {
                        "ADM2_PCODE": f"{code}{half + 1:02d}",
                        "ADM2_EN": f"Ruritania {i + 1}.{half + 1}",
                        "ADM1_PCODE": code,
                    },
                    shapely.box(left, y, left + CELL_W / 2, y + CELL_H),
                )
            )
    paths = directory / "adm1.geojson", directory / "adm2.geojson"
    for path, features in zip(paths, (governorates, districts), strict=True):
        path.write_text(json.dumps(collection(features)), encoding="utf-8")
    return paths


def second_theatre_build(*, towns: int, changes: int, seed: int = 1894) -> dict[str, float]:
    """Add the second theatre to the database; seconds per step."""
    import numpy as np
    import shapely
    from django.db import transaction

    from bench import country
    from events import services
    from events.models import Faction, Source
    from events.permissions import BENCH
    from geodata import selectors as places
    from geodata.boundaries import FieldSpec
    from geodata.models import Town
    from geodata.services import towns_save_many
    from geodata.services.area_loading import admin_areas_load
    from geodata.services.theatres import theatre_create

    rng = np.random.default_rng(seed)
    seconds: dict[str, float] = {}

    def step(name, fn):
        start = time.perf_counter()
        with transaction.atomic():
            result = fn()
        seconds[name] = time.perf_counter() - start
        return result

    theatre = step("theatre_create", lambda: theatre_create(slug=SLUG, name=NAME))

    def areas():
        with tempfile.TemporaryDirectory() as directory:
            for level, path in enumerate(_areas_files(Path(directory)), 1):
                admin_areas_load(
                    path=path,
                    spec=FieldSpec.build(level=level, preset="ocha"),
                    level=level,
                    country="RU",
                    commit=True,
                    theatre=theatre,
                )

    step("admin_areas_load (2 levels)", areas)

    def factions():
        slug, name, colour = NEW_FACTION
        services.factions_save_many(factions=[Faction(slug=slug, name=name, short_name=name, colour=colour)], by=BENCH)
        return list(Faction.objects.filter(slug__in=[SHARED_FACTION, slug]).order_by("pk"))

    faction_rows = step("factions_save_many", factions)

    def place_towns():
        frame = places.admin_areas_frame(level=1, theatre=theatre.pk)
        inland = shapely.union_all(frame.geometry.to_numpy()).buffer(-0.02)  # clear of the edges: all placed
        minx, miny, maxx, maxy = inland.bounds
        xs, ys = rng.uniform(minx, maxx, towns), rng.uniform(miny, maxy, towns)
        new = [
            Town(
                theatre=theatre,
                name=f"Ruritania town {i}",
                slug=f"ruritania-town-{i}",
                latitude=round(float(y), 5),
                longitude=round(float(x), 5),
                population=int(p),
            )
            for i, (x, y, p) in enumerate(zip(xs, ys, rng.integers(100, 50_000, towns), strict=True))
        ]
        return towns_save_many(towns=new)

    town_rows = step("towns_save_many", place_towns)

    def sources():
        n = max(50, changes // country.SHARES["changes_per_source"])
        new = [
            Source(
                publisher=f"Ruritania wire {i % 10}",
                title=f"Ruritania report {i}",
                url=f"https://example.org/ruritania/{i}",
                language="en",
                published=country.FIRST_DAY + dt.timedelta(days=i % 5_000),
            )
            for i in range(n)
        ]
        return services.sources_save_many(sources=new, by=BENCH)

    source_rows = step("sources_save_many", sources)
    country._log(town_rows, faction_rows, source_rows, changes, rng, seconds)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.second_theatre",
        description="add the second theatre to DATABASE_URL's copy of the country",
    )
    parser.add_argument("--towns", type=int, required=True)
    parser.add_argument("--changes", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
    os.environ["DEBUG"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    seconds = second_theatre_build(towns=args.towns, changes=args.changes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute(f"CREATE TABLE {MARKER} (seconds_json TEXT)")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s)", [json.dumps(seconds)])
    connection.close()
    print(f"second theatre built in {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
