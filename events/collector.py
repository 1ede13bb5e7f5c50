"""Large answers built without the cyclic garbage collector's full passes.

A layer at 10,000 towns holds tens of thousands of rows, dicts and lists at once. Python's collector
counts them as they survive its young passes, and once they outnumber a quarter of what the worker
keeps for good (Django, pandas, shapely: ~150,000 objects) it walks the whole heap: 60-100 ms per
full pass, one or two per layer written, a third of the time of an export after a write at that
size (``make bench``, issue 18). The rows are plain tuples, dicts and lists that reference counting
frees as soon as they are written; nothing they hold forms a cycle for the collector to find, so it
is paused while they are built and resumes after, when they are gone.
"""

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused():
    """No cyclic collection inside the block (reference counting frees as ever); as it was after.

    Only the caller that paused it resumes it: nested or concurrent blocks leave it to the outermost,
    and a process that runs without the collector keeps it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def paused_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A streamed answer's chunks, each made with the collector paused (``paused``)."""
    while True:
        with paused():
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk
