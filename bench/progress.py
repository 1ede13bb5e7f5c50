"""A progress bar on a terminal (tqdm when installed, a one-line counter otherwise); silent when piped."""

import sys
import time


class _Quiet:
    def __init__(self, iterable=None, **_):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Line(_Quiet):
    """tqdm's look without tqdm: ``desc: 42% 420/1000 3.1 s`` rewritten in place on stderr."""

    def __init__(self, iterable=None, *, total=None, desc=""):
        super().__init__(iterable)
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.desc, self.n, self.start, self.shown = desc, 0, time.perf_counter(), 0.0

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update()
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self.shown > 0.2:
            self.shown = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = f"{100 * self.n / self.total:3.0f}% {self.n:,}/{self.total:,}" if self.total else f"{self.n:,}"
        sys.stderr.write(f"\r{self.desc}: {share} {now - self.start:.1f} s\033[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.start is not None:
            self._draw(time.perf_counter())
            sys.stderr.write("\n")
            self.start = None


def progress(iterable=None, *, total: int | None = None, desc: str = ""):
    """Wrap ``iterable`` (or count ``update()`` calls up to ``total``) with a bar on a terminal only."""
    if not sys.stderr.isatty():
        return _Quiet(iterable)
    try:
        from tqdm import tqdm
    except ImportError:
        return _Line(iterable, total=total, desc=desc)
    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, dynamic_ncols=True)
