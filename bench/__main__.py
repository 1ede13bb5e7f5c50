"""Run every bench module against a throwaway SQLite database."""

import importlib
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
_db_dir = tempfile.mkdtemp(prefix="conflictmap-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_db_dir}/bench.sqlite3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def report(name: str, figure: float, floor: float | None = None, unit: str = "s") -> None:
    if floor is None:
        print(f"{name:<60} {figure:>10.4f} {unit}")
    else:
        ratio = floor / figure if figure else float("inf")
        print(f"{name:<60} {figure:>10.4f} {unit}   floor {floor:>10.4f} {unit}   ({ratio:.1f}x)")


def timed(fn, *args, repeat: int = 3, **kwargs) -> tuple[float, object]:
    """Best of ``repeat`` wall-clock runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    call_command("migrate", verbosity=0)
    only = sys.argv[1:]
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        print(f"== {info.name}")
        importlib.import_module(f"bench.{info.name}").run(report)


if __name__ == "__main__":
    main()
