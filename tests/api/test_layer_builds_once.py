"""Readers asking for the same new layer at once: one worker builds it, the others wait for its file."""

import threading

import pytest

from events import exports


def asking(results: dict, n: int, build):
    def ask():
        exports._revision.set("rev-1")  # the revision the request read (a thread starts without it)
        try:
            results[n] = exports._kept("test-layer-at-once", build)
        except Exception as exc:  # noqa: BLE001 (the test reads it)
            results[n] = exc
    return threading.Thread(target=ask)


@pytest.fixture
def quick_polls(monkeypatch):
    monkeypatch.setattr(exports, "BUILD_POLL_SECONDS", 0.01)


def test_a_layer_asked_for_twice_at_once_is_built_once(quick_polls):
    started, release, builds, results = threading.Event(), threading.Event(), [], {}

    def build():
        builds.append(1)
        started.set()
        release.wait(30)
        return {"type": "FeatureCollection", "features": [{"id": n} for n in range(100)]}

    first, second = asking(results, 1, build), asking(results, 2, build)
    first.start()
    assert started.wait(30)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first one's file, not building its own
    release.set()
    first.join(30)
    second.join(30)
    assert builds == [1] and results[1] == results[2] and b'"id":99' in results[2]


def test_when_the_build_fails_the_waiting_reader_builds_it(quick_polls):
    started, release, results = threading.Event(), threading.Event(), {}

    def failing():
        started.set()
        release.wait(30)
        raise RuntimeError("the database went away")

    first = asking(results, 1, failing)
    first.start()
    assert started.wait(30)
    second = asking(results, 2, lambda: {"type": "FeatureCollection", "features": []})
    second.start()
    second.join(0.5)
    release.set()
    first.join(30)
    second.join(30)
    assert isinstance(results[1], RuntimeError) and b'"features":[]' in results[2]
