"""API and export figures on the seed scenario, and serialising 10,000 point features three ways."""

import datetime as dt
import json

import geopandas
import orjson
from django.db import transaction
from django.test import Client, override_settings

from bench.__main__ import timed
from events import exports, geojson
from events.models import ControlChange, Faction
from events.seeding import seed_scenario_load
from geodata.models import Town

ENDPOINTS = [
    ("/api/control.geojson?date=2017-09-03", ("control", {"date": "2017-09-03"})),
    ("/api/provinces.geojson?date=2017-09-03", ("provinces", {"date": "2017-09-03"})),
    ("/api/control-areas.geojson?date=2017-09-03", ("areas", {"date": "2017-09-03"})),
    ("/api/changes.geojson?from=2014-01-01&to=2017-09-30", ("changes", {"from": "2014-01-01", "to": "2017-09-30"})),
    ("/api/changes.csv?from=2014-01-01&to=2017-09-30", ("changes-csv", {"from": "2014-01-01", "to": "2017-09-30"})),
    ("/api/control-changes/?limit=100", None),
    ("/api/towns/?limit=100", None),
    ("/api/factions/", None),
    ("/api/areas/", None),
    ("/api/schema/", None),
]
FEATURES = 10_000


class _Rollback(Exception):
    pass


def _endpoints(report) -> None:
    client = Client()
    for url, layer in ENDPOINTS:
        first = client.get(url)
        assert first.status_code == 200, (url, first.status_code)
        figure, response = timed(client.get, url, repeat=5)
        floor = None
        if layer is not None:
            # Floor: building the same bytes without HTTP (export caches nothing but control areas).
            floor, export = timed(exports.LAYERS[layer[0]].export, layer[1], repeat=5)
            assert export.content == response.content
        report(f"GET {url} ({len(response.content):,} B)", figure, floor)
    etag = client.get(ENDPOINTS[0][0])["ETag"]
    figure, response = timed(client.get, ENDPOINTS[0][0], HTTP_IF_NONE_MATCH=etag, repeat=5)
    assert response.status_code == 304
    report("GET /api/control.geojson with If-None-Match (304)", figure)


def _synthetic_features() -> list[dict]:
    return [
        {
            "type": "Feature",
            "id": i,
            "geometry": {"type": "Point", "coordinates": [36.0 + i * 1e-4, 33.0 + i * 1e-4]},
            "properties": {
                "name": f"Town {i}", "town_id": i, "faction": "pro-government", "faction_name": "Pro-government",
                "colour": "#d7191c", "status": "controlled", "contested_by": None, "since": "2017-09-03",
                "precision": "day", "confidence": "reported", "province": "Hama", "province_code": "SY05",
                "sources": [{"title": "Report", "url": "", "publisher": "Wire", "date": "2017-09-03"}],
            },
        }
        for i in range(FEATURES)
    ]


def _serialisers(report) -> None:
    collection = geojson.feature_collection(_synthetic_features())
    orjson_s, _ = timed(orjson.dumps, collection, repeat=5)
    json_s, _ = timed(json.dumps, collection, repeat=5)
    report(f"serialise {FEATURES:,} point features: orjson (floor: json.dumps)", orjson_s, json_s)
    frame = geopandas.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
    gdf_s, _ = timed(frame.to_json, repeat=3)
    report(f"serialise {FEATURES:,} point features: orjson (floor: GeoDataFrame.to_json)", orjson_s, gdf_s)


def _control_at_scale(report) -> None:
    """The whole control layer (queries + features + bytes) for 10,000 towns, against orjson alone."""
    faction = Faction.objects.get(slug="pro-government")
    towns = Town.objects.bulk_create(
        Town(name=f"B{i}", slug=f"bench-api-{i}", latitude=33 + i * 1e-4, longitude=36 + i * 1e-4)
        for i in range(FEATURES)
    )
    ControlChange.objects.bulk_create(
        (ControlChange(town=t, faction=faction, state="published", effective_date=dt.date(2017, 1, 1)) for t in towns),
        batch_size=2_000,
    )
    on = dt.date(2017, 9, 3)
    figure, collection = timed(lambda: geojson.dumps(geojson.control_feature_collection(on=on)), repeat=3)
    floor, _ = timed(orjson.dumps, geojson.control_feature_collection(on=on), repeat=3)
    report(f"control layer for {Town.objects.count():,} towns, rows to bytes (floor: orjson only)", figure, floor)


def run(report) -> None:
    # Everything in one rolled-back transaction: later bench modules expect an empty database.
    try:
        with transaction.atomic(), override_settings(ALLOWED_HOSTS=["testserver"]):
            seed_scenario_load()
            _endpoints(report)
            _serialisers(report)
            _control_at_scale(report)
            raise _Rollback
    except _Rollback:
        pass
