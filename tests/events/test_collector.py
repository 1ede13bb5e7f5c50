"""Layers are built with the cyclic garbage collector paused, and it is on again after."""

import gc

import pytest

from events import collector, exports, geojson

pytestmark = pytest.mark.django_db


def test_the_collector_is_paused_inside_and_as_it_was_after():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the outer block resumes it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # a process that runs without it keeps it off
    finally:
        gc.enable()


def test_an_error_inside_resumes_the_collector():
    with pytest.raises(ValueError), collector.paused():
        raise ValueError
    assert gc.isenabled()


def test_a_layer_and_each_batch_of_a_streamed_one_are_built_paused(seeded, monkeypatch):
    seen = []
    build = geojson.control_feature_collection

    def recording(**kwargs):
        seen.append(("control", gc.isenabled()))
        return build(**kwargs)

    monkeypatch.setattr(geojson, "control_feature_collection", recording)
    exports.LAYERS["control"].export({"date": "2017-09-03"})
    features = geojson.changes_features

    def batches(**kwargs):
        for batch in features(**kwargs):
            seen.append(("changes", gc.isenabled()))
            yield batch

    monkeypatch.setattr(geojson, "changes_features", batches)
    chunks = exports.LAYERS["changes"].export({"from": "2017-09-01"}).chunks()
    assert gc.isenabled()  # between chunks (a streamed answer is written between them)
    assert b"".join(chunks) and gc.isenabled()
    assert ("control", False) in seen and ("changes", False) in seen and all(not on for _, on in seen)
