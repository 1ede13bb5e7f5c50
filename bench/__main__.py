"""``python -m bench [--towns N] [--changes M] [--quick]``: every figure beside its floor, and the targets.

The synthetic country (``bench.country``) is built once per size and cached (``bench.database``);
figures are medians of ``--runs`` (at least 5) beside floors measured in the same run
(``bench.floors``); the import and the worker's memory are measured in fresh processes
(``bench.worker``). SQLite by default; PostgreSQL when DATABASE_URL names a PostgreSQL server (the
bench makes its own database there). The last line is ``targets met: K/N``.
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
DEFAULT_CACHE = Path(os.environ.get("BENCH_CACHE", Path.home() / ".cache" / "conflictmap-bench"))
QUICK = {"towns": 50, "changes": 1_000, "import_rows": 1_000, "drawn_files": 5}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--towns", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the timed CSV import")
    parser.add_argument("--drawn-files", type=int, default=365,
                        help="daily files of the drawn step's archive (bench/drawn.py)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is shown; at least 5)")
    parser.add_argument("--quick", action="store_true", help=f"a smoke test: {QUICK}")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where cached SQLite countries live")
    parser.add_argument("--rebuild", action="store_true", help="build the country again even if cached")
    parser.add_argument("--only", nargs="+", metavar="STEP", help="only these figures (time_slice control_layer "
                        "provinces map_page control_areas admin_lists drawn release routes writes), no fresh processes")
    parser.add_argument("--routes", nargs="+", metavar="ROUTE", help="time only these reader routes (e.g. "
                        "factions api:changes-csv); the route check still reads them all")
    parser.add_argument("--explain", action="store_true", help="print the time slice's query plan too")
    parser.add_argument("--theatres", type=int, choices=[1, 2], default=1,
                        help="2: also time every reader route for theatre 1 on a copy of the country with a second "
                        "theatre added (bench/second_theatre.py), beside the same on the one-theatre database")
    args = parser.parse_args(argv)
    if args.quick:
        args.towns, args.changes, args.import_rows = QUICK["towns"], QUICK["changes"], QUICK["import_rows"]
        args.drawn_files = QUICK["drawn_files"]
    args.runs = max(args.runs, 5)
    return args


def _database(args) -> tuple[str, bool, float]:
    from bench import database

    start = time.perf_counter()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        target, built = database.postgres_url(url=url, towns=args.towns, changes=args.changes, rebuild=args.rebuild)
    else:
        target, built = database.sqlite_url(towns=args.towns, changes=args.changes, cache_dir=args.cache_dir,
                                            rebuild=args.rebuild)
    if args.theatres == 2:  # copied before this process opens the country (PostgreSQL's TEMPLATE needs that)
        from bench import second_theatre

        args.two_theatres = second_theatre.two_theatre_url(target, towns=args.towns, changes=args.changes,
                                                           rebuild=args.rebuild)
    return target, built, time.perf_counter() - start


def _theatres(args, url: str, on) -> tuple[int, int]:
    """(met, total) of the two-theatre figures (bench/theatre_routes.py); none unless --theatres 2."""
    if args.theatres != 2:
        return 0, 0
    from bench import theatre_routes

    two_url, built = args.two_theatres
    return theatre_routes.run(one_url=url, two_url=two_url, towns=args.towns, changes=args.changes, built=built,
                              on=on, runs=1 if args.quick else args.runs, explain=args.explain, only=args.routes)


def _subprocess(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.worker", *argv], cwd=ROOT, env=os.environ,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _reviewer():
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name="reviewer"))
    return User.objects.get(pk=user.pk)


TARGETS = [
    # (figure name prefix, what is checked, limit, label)
    ("time slice", "ratio", 1.5, "<= 1.5x floor"),
    ("/api/control.geojson", "ratio", 2.0, "<= 2x floor"),
    ("a 304", "project", 0.020, "<= 20 ms"),
    ("/api/provinces.geojson", "ratio", 2.0, "<= 2x floor"),
    ("map page /?date= (server time)", "project", 0.100, "<= 100 ms"),
    ("map page /?date= (bytes)", "project", 200_000, "<= 200 KB"),
    ("control areas, new date", "project", 0.300, "<= 300 ms"),
    ("control areas, cached", "project", 0.020, "<= 20 ms"),
    ("admin change list", "project", 0.300, "<= 300 ms"),
    ("admin review queue", "project", 0.300, "<= 300 ms"),
    ("admin stale towns", "ratio", 2.0, "<= 2x floor"),
    ("CSV import", "project", 60.0, "<= 60 s"),
    ("CSV import peak memory", "project", 500.0, "<= 500 MiB"),
    ("worker peak memory", "project", 500.0, "<= 500 MiB"),
    ("release (", "project", 300.0, "<= 5 min"),
    ("drawn: import", "project", 120.0, "<= 2 min"),
    ("drawn: control areas, new date", "ratio", 2.0, "<= 2x floor"),
    ("drawn: control areas, cached", "project", 0.020, "<= 20 ms"),
    ("drawn: territory change", "ratio", 2.0, "<= 2x floor"),
    ("drawn: km² diff", "project", 1.0, "<= 1 s"),
    ("release size", "project", 100.0, "<= the database"),
]


def _value(figure, unit: str | None = None) -> str:
    unit = unit or figure.unit
    value = figure.project
    if unit == "s":
        return f"{value * 1000:9.1f} ms" if value < 1 else f"{value:9.2f} s "
    if unit == "B":
        return f"{value / 1000:9.1f} KB"
    return f"{value:9.1f} {unit}"


def _floor(figure) -> str:
    if figure.floor is None:
        return f"{'-':>12}"
    return f"{figure.floor * 1000:9.1f} ms" if figure.floor < 1 else f"{figure.floor:9.2f} s "


def _print_table(figures, header: list[str]) -> tuple[int, int]:
    for line in header:
        print(line)
    print()
    print(f"{'figure':<44} {'project':>12} {'floor':>12} {'project/floor':>14}  {'target':<15} met")
    met = total = 0
    for figure in figures:
        target = max((t for t in TARGETS if figure.name.startswith(t[0])), key=lambda t: len(t[0]), default=None)
        ratio = f"{figure.ratio:14.2f}" if figure.ratio is not None else f"{'-':>14}"
        verdict, label = "", ""
        if target:
            value = figure.ratio if target[1] == "ratio" else figure.project
            ok = value is not None and value <= target[2]
            met, total, label, verdict = met + ok, total + 1, target[3], "yes" if ok else "NO"
        note = f"  ({figure.note})" if figure.note else ""
        print(f"{figure.name:<44} {_value(figure)} {_floor(figure)} {ratio}  {label:<15} {verdict}{note}")
    return met, total


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return f"{'-':>10}"
    return f"{seconds * 1000:7.1f} ms" if seconds < 1 else f"{seconds:8.2f} s"


def _print_routes(route_figures) -> tuple[int, int]:
    """One line per reader route: cold, warm, floor, both ratios, bytes, target, met."""
    print()
    print("every reader route of the URL configuration (bench/routes.py): cold = first request after a "
          "write (a draft published, rolled back), warm = again")
    print(f"{'route':<40} {'cold':>10} {'warm':>10} {'floor':>10} {'cold/floor':>10} {'warm/floor':>10} "
          f"{'bytes':>10}  {'target':<22} met")
    met = 0
    for f in route_figures:
        ratios = [f"{v / f.floor:10.2f}" if v is not None and f.floor else f"{'-':>10}" for v in (f.cold, f.warm)]
        size = f"{f.bytes / 1000:7.1f} KB" if f.bytes is not None else f"{'-':>10}"
        failed = f.failed
        met += not failed
        verdict = "yes" if not failed else "NO (" + ", ".join(failed) + ")"
        runs = f"{f.runs[0]}+{f.runs[1]} runs"
        note = "; ".join(x for x in (f.url, runs, "floor: bare request" if f.bare else "",
                                         "floor under 10 ms: absolute target" if f.small else "", f.note) if x)
        print(f"{f.key:<40} {_ms(f.cold)} {_ms(f.warm)} {_ms(f.floor)} {ratios[0]} {ratios[1]} {size}  "
              f"{f.target:<22} {verdict}  ({note})")
    return met, len(route_figures)


def _print_writes(writes) -> tuple[int, int]:
    from bench.writes import WRITE_TARGET

    print()
    print("writes through the API and the admin as a reviewer, each rolled back (bench/writes.py)")
    print(f"{'write':<28} {'time':>10}  {'target':<22} met")
    met = 0
    for name, seconds, runs in writes:
        ok = seconds is not None and seconds <= WRITE_TARGET
        met += ok
        print(f"{name:<28} {_ms(seconds)}  {'<= 100 ms':<22} {'yes' if ok else 'NO'}  (median of {runs})")
    return met, len(writes)


def route_gate(urlconf: str | None = None) -> None:
    """Before any figure: a reader route of the URL configuration that has no figure fails the bench."""
    from bench.route_figures import SPECS
    from bench.routes import route_check

    unfigured = route_check(set(SPECS), urlconf)
    if unfigured:
        for line in unfigured:
            print(line)
        print(f"targets met: 0/{len(unfigured)} (reader routes without a figure)")
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
    os.environ["DEBUG"] = "0"  # as served: no query log, no debug pages
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    sys.path.insert(0, str(ROOT))
    url, built, build_seconds = _database(args)
    os.environ["DATABASE_URL"] = url
    # The bench's releases (bench.figures.bench_release), shared with the worker process: beside its countries,
    # one folder per size and database (SQLite and PostgreSQL runs at once each remove and remake their own),
    # never the installation's var/releases.
    vendor = "postgresql" if url.startswith("postgres") else "sqlite"
    os.environ["RELEASES_DIR"] = str(args.cache_dir / f"releases-{args.towns}x{args.changes}-{vendor}")
    # The whole history's GeoPackage (events.queued_files), written once per data version and kept between runs.
    os.environ["EXPORTS_DIR"] = str(args.cache_dir / f"exports-{args.towns}x{args.changes}-{vendor}")
    import django

    django.setup()
    # The floor's 404s are expected; a route that breaks or is stopped at 30 s is named on its own line.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    from django.core.management import call_command
    from django.db import connection

    from bench.figures import Bench, Figure, explain, pick_date
    from bench.progress import progress

    route_gate()
    call_command("migrate", verbosity=0)  # a cached country gets any newer migration, as a deployment would
    with connection.cursor() as cursor:
        cursor.execute("SELECT seconds_json FROM bench_country_built")
        build = json.loads(cursor.fetchone()[0])
    on = pick_date()
    bench = Bench(on=on, runs=args.runs, reviewer=_reviewer())
    bench.drawn_days = args.drawn_files
    bench.route_runs = 1 if args.quick else args.runs  # a smoke test: every route once cold, once warm
    bench.log_routes = not args.quick
    figures = bench.run_all([s for s in args.only if s not in ("routes", "writes")] if args.only else None)
    steps = set(args.only or ["routes", "writes"])
    routes = bench.routes(args.routes) if "routes" in steps else []
    writes = bench.writes() if "writes" in steps else []
    if args.only:
        met, total = _print_table(figures, [f"{args.towns:,} towns x {args.changes:,} changes on "
                                            f"{connection.vendor}: {args.only}"])
        for (m, t) in (_print_routes(routes) if routes else (0, 0), _print_writes(writes) if writes else (0, 0)):
            met, total = met + m, total + t
        if args.explain:
            print("\n" + explain(on))
        m, t = _theatres(args, url, on)
        print()
        print(f"targets met: {met + m}/{total + t}")
        return
    with progress(total=2, desc="fresh processes (import, worker)") as bar:
        imported = _subprocess("import", "--rows", str(args.import_rows))
        bar.update()
        served = _subprocess("serve", "--date", on.isoformat(), "--reviewer", "bench-reviewer")
        bar.update()
    figures += [
        Figure(f"CSV import, {imported['rows']:,} rows (check + write)", imported["total"], imported["floor"],
               note=f"check {imported['check']:.1f} s; floor: bare bulk_create"),
        Figure("CSV import peak memory (process RSS)", imported["peak_mib"], None, unit="MiB",
               note=f"{imported['baseline_mib']:.0f} MiB before the import"),
        Figure("worker peak memory (serving all of the above)", served["peak_mib"], None, unit="MiB",
               note=f"{served['baseline_mib']:.0f} MiB after start-up; {served['routes']} reader routes served"
                    + (f"; not 200: {served['failed']}" if served["failed"] else "")),
    ]
    counts = build["counts"]
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in build.items() if k != "counts")
    header = [
        f"conflictmap bench: {args.towns:,} towns x {args.changes:,} changes on {connection.vendor} "
        f"({counts['towns']:,} towns, {counts['changes']:,} changes, {counts['sources']:,} sources stored); "
        f"slice date {on}",
        f"country: {'built now' if built else 'cached'} ({build_seconds:.1f} s this run); "
        f"its build through the bulk write paths: {steps}",
        f"each figure is the median of {args.runs} runs; floor = the fastest raw SQL for the same rows plus "
        "orjson of the same bytes, measured in this run",
        "project/floor: 1.0 is the floor, 2.0 is twice the floor's time (lower is better)",
    ]
    met, total = _print_table(figures, header)
    for (m, t) in (_print_routes(routes), _print_writes(writes)):
        met, total = met + m, total + t
    if args.explain:
        print("\n" + explain(on))
    m, t = _theatres(args, url, on)
    print()
    print(f"targets met: {met + m}/{total + t}")


if __name__ == "__main__":
    main()
