"""CSV import of 10,000 good rows (check + write, with history and sources) against a bare bulk_create."""

import datetime as dt
import time

from django.db import transaction

from events.imports import changes_import_check, changes_import_commit
from events.models import ControlChange, Faction
from events.permissions import BENCH
from geodata.models import Town

ROWS, TOWNS, SOURCES = 10_000, 500, 200
LIMIT_S = 30.0  # the requirement for 10,000 rows


def _populate() -> tuple[list[Town], list[Faction]]:
    with transaction.atomic():
        factions = [Faction.objects.create(name=f"Import bench {k}", short_name=f"IB{k}", slug=f"import-bench-{k}",
                                           colour=f"#{k * 40:02x}3366", aliases=[f"ib alias {k}"]) for k in range(3)]
        towns = Town.objects.bulk_create(
            Town(name=f"Import town {i}", slug=f"import-town-{i}", alt_names=[f"Alias {i}"], latitude=35,
                 longitude=38) for i in range(TOWNS)
        )
    return towns, factions


def _csv(towns: list[Town]) -> str:
    lines = ["town,faction,date,precision,status,contested_by,confidence,source_url,source_title,source_publisher"]
    start = dt.date(2015, 1, 1)
    for n in range(ROWS):
        town = towns[n % TOWNS]
        name = (town.name, town.slug, f"Alias {n % TOWNS}", str(town.pk))[n % 4]  # every kind of town reference
        day = start + dt.timedelta(days=n // TOWNS)
        contested = n % 5 == 0
        lines.append(
            f"{name},import-bench-{n % 3},{day.isoformat()},day,{'contested' if contested else 'controlled'},"
            f"{'IB' + str((n + 1) % 3) if contested else ''},reported,https://example.org/s{n % SOURCES},"
            f"Report {n % SOURCES},Bench Wire"
        )
    return "\n".join(lines) + "\n"


def _bare_bulk_create(towns: list[Town], factions: list[Faction]) -> None:
    """The floor: the same number of rows written with no checks, no history and no sources."""
    start = dt.date(1990, 1, 1)
    with transaction.atomic():
        ControlChange.objects.bulk_create(
            (ControlChange(town=towns[n % TOWNS], faction=factions[n % 3], state="draft",
                           effective_date=start + dt.timedelta(days=n // TOWNS)) for n in range(ROWS)),
            batch_size=1000,
        )


def run(report) -> None:
    towns, factions = _populate()
    text = _csv(towns)

    started = time.perf_counter()
    plan = changes_import_check(text=text)
    checked = time.perf_counter()
    assert plan.ok, plan.errors[:5]
    created = changes_import_commit(plan=plan, by=BENCH)
    finished = time.perf_counter()
    assert len(created) == ROWS

    start = time.perf_counter()
    _bare_bulk_create(towns, factions)
    floor = time.perf_counter() - start

    report(f"import {ROWS:,} CSV rows: check only", checked - started)
    report(f"import {ROWS:,} CSV rows: check + write (vs bare bulk_create)", finished - started, floor)
    total = finished - started
    print(f"{'requirement: under':<60} {LIMIT_S:>10.1f} s   {'met' if total < LIMIT_S else 'NOT MET'}")
