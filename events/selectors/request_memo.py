"""Small reads a request makes several times, made once per request.

A page or a file composes several readers, each reading the few rows it needs: the factions, the coarse
towns, how many towns a theatre has, which way its period is walked (``theatre_walk``). On a small
theatre those repeats were a third of a 20 ms request (issue 21 item 7). ``events.readers.ReaderMiddleware``
opens a memo for a reading request (GET or HEAD: it writes nothing, so nothing it read goes stale while it
runs) and keeps it open over a streamed answer's batches; it is dropped with the request, so a write is
seen by the next one. Outside a request (commands, services, tests calling a reader) every call reads.
"""

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# Per thread, not a ContextVar: a request (and each batch of its streamed answer) runs in one thread of a
# worker, and setting a ContextVar here crashed CPython 3.11.7 (a segmentation fault in ContextVar.set, reached
# by the bench after a GeoPackage was sent: `python -X faulthandler -m bench --only routes --routes
# api:changes-gpkg api:control-spans-gpkg@whole`).
_local = threading.local()


@contextmanager
def request_memo(memo: dict[Hashable, object] | None) -> Iterator[None]:
    """Inside the block, ``once`` keeps its answers in ``memo`` (None: no memo, every call reads); as it was
    after."""
    before = getattr(_local, "memo", None)
    _local.memo = memo
    try:
        yield
    finally:
        _local.memo = before


def once(key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, made once per request under ``key`` (every time outside one). Callers hand out copies
    of a mutable answer, so one reader's change to it is not seen by the next."""
    memo = getattr(_local, "memo", None)
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]  # type: ignore[return-value]
