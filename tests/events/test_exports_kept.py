"""A layer's bytes kept per data revision: built once, inflated once, never answered from memory alone."""

import pytest
import zstandard
from django.core.cache import cache

from events import exports, selectors

pytestmark = pytest.mark.django_db


def counting_build(payload: dict):
    calls = []

    def build():
        calls.append(1)
        return payload

    return build, calls


def test_a_layer_is_built_once_per_revision_and_read_back_the_same():
    build, calls = counting_build({"type": "FeatureCollection", "features": [{"id": n} for n in range(1000)]})
    first = exports._kept("test-layer", build)
    assert exports._kept("test-layer", build) == first and len(calls) == 1
    cache.clear()  # cleared (or evicted): built again, whatever a worker remembers
    assert exports._kept("test-layer", build) == first and len(calls) == 2


def test_what_the_cache_holds_wins_over_a_remembered_inflation():
    build, _ = counting_build({"type": "FeatureCollection", "features": []})
    exports._kept("test-layer", build)
    key = f"exports:zst:test-layer:{selectors.data_version()}"
    cache.set(key, zstandard.compress(b'{"replaced":true}', 1))  # another worker's bytes under the same key
    assert exports._kept("test-layer", build) == b'{"replaced":true}'


def test_remembered_inflations_stay_within_their_budget(monkeypatch):
    monkeypatch.setattr(exports, "INFLATED_BYTES", 10_000)
    monkeypatch.setattr(exports, "_inflated_files", type(exports._inflated_files)())
    for n in range(20):
        build, _ = counting_build({"n": n, "padding": "x" * 2_000})
        exports._kept(f"test-layer-{n}", build)
    kept = exports._inflated_files
    assert 1 <= len(kept) < 20 and sum(len(k) + len(c) for k, c in kept.values()) <= 10_000
    assert f"exports:zst:test-layer-19:{selectors.data_version()}" in kept  # the latest stays


def test_a_kept_layer_over_http_reads_the_revision_once(client, seeded, django_assert_num_queries):
    url = "/api/control-areas.geojson?date=2017-09-03"
    first = client.get(url)
    with django_assert_num_queries(1):  # the revision, for the ETag and the file's key alike
        again = client.get(url)
    assert again.status_code == 200 and again.content == first.content and again["ETag"] == first["ETag"]
