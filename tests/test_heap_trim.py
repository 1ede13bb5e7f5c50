"""A worker gives the heap a large answer freed back to the system (conflictmap/heap.py)."""

import io
import platform

import pytest
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from conflictmap import heap
from tests.conftest import skip_or_fail


@pytest.fixture
def trims(monkeypatch):
    """Every malloc_trim asked for, with the heap said to hold ``free[0]`` bytes free."""
    calls, free = [], [heap.TRIM_FREE_BYTES + 1]

    class FakeLibc:
        def mallinfo2(self):
            return heap._MallInfo2(fordblks=free[0])

        def malloc_trim(self, pad):
            calls.append(pad)
            return 1

    monkeypatch.setattr(heap, "_LIBC", FakeLibc())
    return calls, free


def test_a_large_free_heap_is_trimmed_after_the_answer(trims):
    calls, free = trims
    middleware = heap.HeapTrimMiddleware(lambda request: HttpResponse(b"x"))
    middleware(None)
    assert calls == [0]
    free[0] = heap.TRIM_FREE_BYTES - 1  # a small answer's few freed pages: no walk of the heap
    middleware(None)
    assert calls == [0]


def test_a_streamed_answer_is_trimmed_once_its_last_chunk_is_sent(trims):
    calls, _ = trims
    response = heap.HeapTrimMiddleware(lambda request: StreamingHttpResponse(iter([b"a", b"b"])))(None)
    chunks = iter(response.streaming_content)
    assert next(chunks) == b"a" and next(chunks) == b"b"
    assert calls == []
    assert list(chunks) == []
    assert calls == [0]


def test_a_file_is_sent_as_it_is(trims):
    calls, _ = trims
    answer = FileResponse(io.BytesIO(b"file"))
    response = heap.HeapTrimMiddleware(lambda request: answer)(None)
    assert response is answer and response.file_to_stream is not None
    assert b"".join(response.streaming_content) == b"file" and calls == []


def test_glibc_says_how_much_it_holds_free():
    if platform.libc_ver()[0] != "glibc":
        skip_or_fail("malloc_trim and mallinfo2 are glibc's (>= 2.33)", what="the heap test")
    assert isinstance(heap.heap_free_bytes(), int)
    assert heap.trim_freed(threshold=0) is True


def test_the_middleware_is_the_outermost():
    from django.conf import settings

    assert settings.MIDDLEWARE[0] == "conflictmap.heap.HeapTrimMiddleware"
