"""A worker gives the heap a large answer freed back to the system (glibc's ``malloc_trim``).

Building a layer, a map file or a timelapse allocates hundreds of MB of short-lived rows, dicts and
strings; once they are freed, glibc keeps the pages in its heap for reuse, so a worker's resident memory
stays at its largest answer's and the next large answer is built on top of it. Measured with every
reader route served in one process at 10,000 towns x 1,000,000 changes (bench.worker): after the map
file (/map.html) 454 MiB resident, 346 MiB once trimmed; after the timelapse 436, 298 trimmed; the peak
of the whole run fell below the first large answer's own.

Trimming walks the heap (0.4 ms measured with 58 MiB free), so it is done only when the heap holds more
than ``TRIM_FREE_BYTES`` free. glibc still counts trimmed pages as free, so after a large answer each
answer trims until the heap reuses them: trimming only when the free bytes grew since the last trim was
tried and missed pages freed, reused and freed again (the worker's peak went back to 515 MiB). Other C
libraries (no ``malloc_trim``) are left as they are.
"""

import ctypes
from collections.abc import Iterable, Iterator

from django.http import FileResponse

TRIM_FREE_BYTES = 32 * 1024 * 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _glibc():
    try:
        libc = ctypes.CDLL(None)  # the C library this process runs on
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc (>= 2.33): nothing to trim with
        return None
    return libc


_LIBC = _glibc()


def heap_free_bytes() -> int | None:
    """Bytes glibc holds free in its heap (``mallinfo2().fordblks``), or None where it cannot say."""
    return None if _LIBC is None else _LIBC.mallinfo2().fordblks


def trim_freed(threshold: int = TRIM_FREE_BYTES) -> bool:
    """Give the heap's free pages back when it holds more than ``threshold`` bytes free; whether it did."""
    free = heap_free_bytes()
    if free is None or free < threshold:
        return False
    _LIBC.malloc_trim(0)
    return True


def _then_trim(chunks: Iterable[bytes]) -> Iterator[bytes]:
    yield from chunks
    trim_freed()


class HeapTrimMiddleware:
    """After each answer (a streamed one once its last chunk is sent), ``trim_freed``; a file sent as it is
    (``FileResponse``: static files, a release's files) allocates no heap and keeps the server's sendfile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, FileResponse):
            return response
        if response.streaming:
            response.streaming_content = _then_trim(response.streaming_content)
        else:
            trim_freed()
        return response
