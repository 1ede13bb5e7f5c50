"""Older component figures (``python -m bench.extra [bench_map bench_spatial bench_import]``).

The spatial join, the Folium map build and a 10,000-row import, each beside its own reference,
on the seed plus synthetic towns in a throwaway SQLite database; ``python -m bench`` is the
size-and-floor bench the targets are checked with.
"""

import time


def report(name: str, figure: float, floor: float | None = None, unit: str = "s") -> None:
    if floor is None:
        print(f"{name:<60} {figure:>10.4f} {unit}")
    else:
        print(f"{name:<60} {figure:>10.4f} {unit}   floor {floor:>10.4f} {unit}   (project/floor {figure / floor:.2f})")


def timed(fn, *args, repeat: int = 3, **kwargs) -> tuple[float, object]:
    """Best of ``repeat`` wall-clock runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result
