"""Anonymous reads that miss the cache and build (a layer, a diff, a chart, the standalone map) are
limited per client (429 with Retry-After); reads served from the cache are never limited."""

import pytest
from django.core.cache import cache

from conflictmap import throttles
from events import exports

FROZEN = 1_800_000_030.0  # mid-minute: the requests never straddle two windows


@pytest.fixture
def build_limit(settings, monkeypatch):
    monkeypatch.setattr(throttles, "now", lambda: FROZEN)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "build": "2/min"}
    return settings.RATE_LIMITS


def test_layers_built_on_a_miss_count_and_cached_ones_do_not(client, seeded, build_limit):
    assert client.get("/api/control.geojson?date=2017-09-01").status_code == 200
    assert client.get("/api/provinces.geojson?date=2017-09-01").status_code == 200
    limited = client.get("/api/control.geojson?date=2017-09-02")
    assert limited.status_code == 429 and int(limited["Retry-After"]) == 30
    assert "not yet prepared" in limited.json()["detail"]
    # A crowd reading what is built: never limited.
    assert {client.get("/api/control.geojson?date=2017-09-01").status_code for _ in range(50)} == {200}
    assert client.get("/api/provinces.geojson?date=2017-09-01", REMOTE_ADDR="203.0.113.5").status_code == 200
    # Another client has its own count.
    assert client.get("/api/control.geojson?date=2017-09-02", REMOTE_ADDR="203.0.113.5").status_code == 200


def test_the_diff_a_chart_page_and_the_standalone_map_count_too(client, seeded, build_limit):
    assert client.get("/api/control.geojson?date=2017-09-01").status_code == 200
    assert client.get("/api/control.geojson?date=2017-09-02").status_code == 200
    diff = client.get("/api/territory-change.json?from=2017-09-01&to=2017-09-03")
    assert diff.status_code == 429 and "Retry-After" in diff
    page = client.get("/factions/")  # its chart of territory over time
    assert page.status_code == 429 and int(page["Retry-After"]) == 30
    assert "not yet prepared" in page.content.decode()
    assert client.get("/map.html?date=2017-09-03").status_code == 429


def test_signed_in_users_and_commands_are_not_counted(client, seeded, build_limit, editor):
    for day in ("2017-09-01", "2017-09-02"):
        assert client.get(f"/api/control.geojson?date={day}").status_code == 200
    client.force_login(editor)
    assert client.get("/api/control.geojson?date=2017-09-03").status_code == 200
    assert client.get("/map.html?date=2017-09-03").status_code == 200
    cache.clear()
    for day in ("2017-08-31", "2017-09-01", "2017-09-02", "2017-09-03"):  # export_geojson's path: no request
        assert exports.LAYERS["control"].export({"date": day}).content


def test_a_newsroom_spike_from_one_address_passes_under_the_default_limit(client, seeded, settings, monkeypatch):
    """`make loadtest`'s readers (one address, the seed's dates, three layers each) never hear 429."""
    from conflictmap.settings import base

    monkeypatch.setattr(throttles, "now", lambda: FROZEN)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "build": base.RATE_LIMITS["build"]}
    codes = {
        client.get(f"/api/{layer}.geojson?date={day}").status_code
        for _reader in range(20)
        for day in ("2017-08-31", "2017-09-01", "2017-09-02", "2017-09-03")
        for layer in ("control", "provinces", "control-areas")
    }
    assert codes == {200}


def test_a_geopackage_or_kml_built_with_its_geojson_counts_once(client, seeded, build_limit):
    """A file built from a layer not yet built is one build, not two (the GeoJSON, then the file)."""
    assert client.get("/api/control.gpkg?date=2017-09-01").status_code == 200
    assert client.get("/api/control.kml?date=2017-09-02").status_code == 200
    assert client.get("/api/control.kml?date=2017-09-03").status_code == 429
    # Both files of a built layer are served again without counting.
    assert {client.get("/api/control.gpkg?date=2017-09-01").status_code for _ in range(5)} == {200}
