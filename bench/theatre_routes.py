"""Theatre 1's figures do not move when a second theatre is added (``python -m bench --theatres 2``).

Every reader route is timed asked for one theatre (``?theatre=SLUG``, its town, area, faction and draft
picked in it, its floors the theatre's rows: ``floors.theatre_scope``), each database in a process of
its own (``python -m bench.theatre_routes --theatre SLUG``, a JSON line out): theatre 1 on the
one-theatre database, then theatre 1 and theatre 2 on the two-theatre copy (``bench.second_theatre``).
On a shared machine the load drifts over minutes, so theatre 1 is measured in the order one, two,
(theatre 2), two, one, and each of its figures is the better of its two runs: a load that drifts
steadily weighs the same on both databases, and a burst of load (which only ever adds time) in one
run is not taken for a move.
Theatre 1's figure *moved* when it is both more than ``MOVE_RATIO`` times and more than
``MOVE_SECONDS`` slower than on the one-theatre database (the ratio alone would fail a 2 ms route on
a 1 ms jitter, the difference alone a 5 s export on its noise); a moved cold or warm figure fails the
route's target. Theatre 2's routes are held to the usual route targets.
"""

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOVE_RATIO = 1.25
MOVE_SECONDS = 0.020


def moved(before: float | None, after: float | None) -> bool:
    """Whether ``after`` is slower than ``before`` beyond noise (a missing figure has moved)."""
    if before is None or after is None:
        return True
    return after > before * MOVE_RATIO and after - before > MOVE_SECONDS


def measure(*, url: str, theatre: str, on: dt.date, runs: int, explain: bool, only: list[str] | None = None) -> dict:
    """Run the routes (``only`` these keys) for ``theatre`` on the database at ``url`` in a fresh process; its
    JSON answer."""
    argv = [
        sys.executable,
        "-m",
        "bench.theatre_routes",
        "--theatre",
        theatre,
        "--date",
        on.isoformat(),
        "--runs",
        str(runs),
        *(["--explain"] if explain else []),
        *(["--routes", *only] if only else []),
    ]
    # Its releases apart from the main run's (each theatre run makes its own release 1 afresh).
    releases = os.environ.get("RELEASES_DIR") or str(ROOT / "var" / "bench-releases")
    env = {**os.environ, "DATABASE_URL": url, "RELEASES_DIR": f"{releases}-theatres"}
    if os.environ.get("EXPORTS_DIR"):  # the whole history's files of each database apart (each keeps one a theatre)
        env["EXPORTS_DIR"] = f"{os.environ['EXPORTS_DIR']}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:])} on {url} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def figures_of(answer: dict) -> list:
    from bench.route_figures import RouteFigure

    return [RouteFigure(**{**f, "runs": tuple(f["runs"])}) for f in answer["figures"]]


def best_of(first: list, second: list) -> list:
    """Each route's cold and warm figures, the better of two measures (a figure missing in either: None)."""

    later = {f.key: f for f in second}
    out = []
    for a in first:
        b = later.get(a.key)
        pairs = {name: (getattr(a, name), getattr(b, name) if b else None) for name in ("cold", "warm")}
        out.append(
            dataclasses.replace(
                a,
                **{name: min(pair) if None not in pair else None for name, pair in pairs.items()},
                problems=[*a.problems, *(b.problems if b else ["measured once"])],
            )
        )
    return out


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return f"{'-':>10}"
    return f"{seconds * 1000:7.1f} ms" if seconds < 1 else f"{seconds:8.2f} s"


def _ratio(before: float | None, after: float | None) -> str:
    return f"{after / before:7.2f}" if before and after is not None else f"{'-':>7}"


def print_comparison(one: list, two: list, *, slug: str) -> tuple[int, int]:
    """Theatre 1's figures on both databases, one line per route; a moved figure fails its line."""
    before = {f.key: f for f in one}
    print(
        f"{'route (?theatre=' + slug + ')':<28} {'cold 1':>10} {'cold 2':>10} {'ratio':>7} {'warm 1':>10} "
        f"{'warm 2':>10} {'ratio':>7}  {'target':<24} met"
    )
    met = 0
    for after in two:
        first = before.get(after.key)
        cold = (first.cold if first else None, after.cold)
        warm = (first.warm if first else None, after.warm)
        failed = [name for name, pair in (("cold", cold), ("warm", warm)) if moved(*pair)]
        problems = [*(first.problems if first else ["not timed on the one-theatre database"]), *after.problems]
        met += not failed
        verdict = "yes" if not failed else f"NO (moved: {', '.join(failed)})"
        note = f"  ({'; '.join(problems)})" if problems else ""
        print(
            f"{after.key:<28} {_ms(cold[0])} {_ms(cold[1])} {_ratio(*cold)} {_ms(warm[0])} {_ms(warm[1])} "
            f"{_ratio(*warm)}  {f'<= {MOVE_RATIO:g}x or +{MOVE_SECONDS * 1000:.0f} ms':<24} {verdict}{note}"
        )
    return met, len(two)


def run(
    *,
    one_url: str,
    two_url: str,
    towns: int,
    changes: int,
    built: bool,
    on: dt.date,
    runs: int,
    explain: bool,
    only: list[str] | None = None,
) -> tuple[int, int]:
    """Measure, print both tables (and the theatre-scoped slice's plans), return (met, total)."""
    from bench.__main__ import _print_routes
    from bench.second_theatre import SLUG, second_size

    first = "syria"
    t2, c2 = second_size(towns, changes)
    one = measure(url=one_url, theatre=first, on=on, runs=runs, explain=False, only=only)
    two = measure(url=two_url, theatre=first, on=on, runs=runs, explain=explain, only=only)
    second = measure(url=two_url, theatre=SLUG, on=on, runs=runs, explain=explain, only=only)
    two_again = measure(url=two_url, theatre=first, on=on, runs=runs, explain=False, only=only)
    one_again = measure(url=one_url, theatre=first, on=on, runs=runs, explain=False, only=only)
    print()
    print(
        f"two theatres: {first} ({towns:,} x {changes:,}) beside {SLUG} ({t2:,} towns x {c2:,} changes, "
        f"{'built now' if built else 'cached'}); every reader route asked with ?theatre=, slice date {on}"
    )
    print(
        f"{first}'s figures: 1 = the one-theatre database, 2 = the two-theatre database; a figure moved when "
        f"it is > {MOVE_RATIO:g}x and > {MOVE_SECONDS * 1000:.0f} ms slower; each the better of two runs "
        "(order: 1, 2, 2, 1)"
    )
    met, total = print_comparison(
        best_of(figures_of(one), figures_of(one_again)), best_of(figures_of(two), figures_of(two_again)), slug=first
    )
    print()
    print(f"{SLUG}'s figures on the two-theatre database (its own floors: its towns, areas and changes)")
    m, t = _print_routes(figures_of(second))
    if explain:
        for name, answer in ((f"{first}, two theatres", two), (SLUG, second)):
            print(f"\n-- the slice asked for {name}:\n{answer['explain']}")
    return met + m, total + t


# The measuring process.


def _explain(on: dt.date, theatre) -> str:
    """The plan of control_as_of's own query for one theatre."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.selectors.rule import PUBLIC
    from events.selectors.slices import read_slice

    with CaptureQueriesContext(connection) as queries:
        read_slice(on=on, seen=PUBLIC, theatre=theatre.pk)
    query = max(queries.captured_queries, key=lambda q: len(q["sql"]))["sql"]
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + query)
        rows = cursor.fetchall()
    return "\n".join(f"{r[0]:>3} {r[1]:>3} {r[3]}" if connection.vendor == "sqlite" else r[0] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.theatre_routes")
    parser.add_argument("--theatre", required=True)
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--routes", nargs="+", metavar="ROUTE", help="only these reader routes")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    from django.core.management import call_command
    from django.test import Client

    from bench.__main__ import _reviewer
    from bench.figures import bench_release, median
    from bench.route_figures import SPECS, Params, route_figure
    from bench.routes import reader_routes
    from geodata.models import Theatre

    call_command("migrate", verbosity=0)
    theatre = Theatre.objects.get(slug=args.theatre)
    reviewer = _reviewer()
    client = Client()
    bench_release(args.date, theatre)  # the release routes serve the theatre's own release (made untimed)
    params = Params.pick(args.date, theatre)

    def round_trip() -> float:
        return median(lambda: client.get("/api/bench-floor-not-a-page"), args.runs)[0]

    figures = [
        route_figure(
            key=r.key,
            spec=SPECS[r.key],
            params=params,
            client=client,
            reviewer=reviewer,
            runs=args.runs,
            round_trip=round_trip,
        )
        for r in reader_routes()
        if not args.routes or r.key in args.routes
    ]
    answer = {
        "figures": [dataclasses.asdict(f) for f in figures],
        "explain": _explain(args.date, theatre) if args.explain else "",
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
