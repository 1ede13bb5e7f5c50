"""Figures that need a fresh process: its peak resident memory is the figure.

``python -m bench.worker import --rows N``: a CSV import of N rows (check + write, rolled back),
beside the floor (the same rows bulk-created bare: no checks, no history, no sources).
``python -m bench.worker serve --date D``: one worker serving every reader route the bench times.
Each prints one JSON line on stdout.
"""

import argparse
import datetime as dt
import json
import os
import resource
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
os.environ["DEBUG"] = "0"

FIRST_IMPORT_DAY = dt.date(2026, 1, 1)  # after the synthetic log (which ends 2025-12-31)


def _peak_mib() -> float:
    """This process's peak resident memory in MiB.

    Linux's ru_maxrss survives fork and exec: a worker started by a bench process holding 400 MiB
    reports at least 400 MiB whatever it does. VmHWM belongs to the process's own address space, so
    it starts afresh at exec; ru_maxrss is the fallback elsewhere.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _Rollback(Exception):
    pass


def _csv(rows: int) -> str:
    from events.models import Faction
    from geodata.models import Town

    towns = list(Town.objects.order_by("pk").values_list("slug", flat=True))
    factions = list(Faction.objects.exclude(slug="russia").order_by("pk").values_list("slug", flat=True))
    lines = ["town,faction,date,precision,status,contested_by,confidence,source_url,source_title,source_publisher"]
    for n in range(rows):
        day = FIRST_IMPORT_DAY + dt.timedelta(days=n // len(towns))
        faction = factions[n % len(factions)]
        contested = n % 12 == 0
        contester = factions[(n + 1) % len(factions)] if contested else ""
        lines.append(f"{towns[n % len(towns)]},{faction},{day},day,{'contested' if contested else 'controlled'},"
                     f"{contester},reported,https://example.org/import/{n // 25},Import report {n // 25},Bench wire")
    return "\n".join(lines) + "\n"


def _import(rows: int) -> dict:
    from django.db import transaction

    from events.imports import changes_import_check, changes_import_commit
    from events.models import ControlChange
    from events.permissions import BENCH

    text = _csv(rows)
    before = _peak_mib()
    result = {}
    try:
        with transaction.atomic():
            start = time.perf_counter()
            plan = changes_import_check(text=text, publish=True)
            checked = time.perf_counter()
            assert plan.ok, [str(e) for e in plan.errors[:5]]
            created = changes_import_commit(plan=plan, by=BENCH)
            result.update(check=checked - start, total=time.perf_counter() - start, peak_mib=_peak_mib(),
                          baseline_mib=before, rows=len(created))
            raise _Rollback
    except _Rollback:
        pass
    planned = [(r.new.change.town_id, r.new.change.faction_id, r.new.change.effective_date) for r in plan.rows]
    try:
        with transaction.atomic():
            start = time.perf_counter()
            ControlChange.objects.bulk_create(
                (ControlChange(town_id=t, faction_id=f, effective_date=d, state="published") for t, f, d in planned),
                batch_size=1000,
            )
            result["floor"] = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return result


def _serve(on: str, reviewer: str) -> dict:
    """Every reader route once (bench.route_figures' URLs), the 304 and the two admin lists."""
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.route_figures import SPECS, Params, RouteTimeout, deadline
    from bench.routes import reader_routes

    client, admin = Client(), Client()
    admin.force_login(User.objects.get(username=reviewer))
    start_peak = _peak_mib()
    params = Params.pick(dt.date.fromisoformat(on))
    failed, served = [], 0
    for route in reader_routes():
        url = SPECS[route.key].url(params)
        served += 1
        try:
            with deadline():
                response = client.get(url)
                response.getvalue()  # a streamed export is read to its end, as a server would send it
        except RouteTimeout:
            failed.append(f"{url} stopped at 30 s")
            continue
        if response.status_code != 200:
            failed.append(f"{url} {response.status_code}")
    etag = client.get("/api/control.geojson?date=" + on).get("ETag")
    if etag:
        client.get("/api/control.geojson?date=" + on, HTTP_IF_NONE_MATCH=etag)
    for url in ["/admin/events/controlchange/", "/admin/events/controlchangeforreview/"]:
        if admin.get(url).status_code != 200:
            failed.append(url)
    return {"peak_mib": _peak_mib(), "baseline_mib": start_peak, "routes": served, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["import", "serve"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--date")
    parser.add_argument("--reviewer", default="bench-reviewer")
    args = parser.parse_args()
    import django

    django.setup()
    result = _import(args.rows) if args.mode == "import" else _serve(args.date, args.reviewer)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
