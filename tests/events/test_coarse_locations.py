"""Coarse locations: a town marked "show only its district" never reaches an anonymous reader by name, slug
or coordinates, through any route the URL configuration has (every export layer, GeoPackage and KML
included); editors still see it; the admin refuses a coarse town with no district."""

import datetime as dt
import re
import struct
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from events import exports, selectors, services
from geodata.models import Town
from tests.events.roles import user_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]

TOWN = "manbij"  # named in no other record of the seed (no source title, no note)
# Not data a reader downloads: the admin, the API's own description and login, the timelapse (pixels).
SKIPPED_NAMESPACES = ("admin",)
SKIPPED_NAMES = ("schema", "docs", "redoc", "token", "logout", "timelapse", "favicon", "redoc-standalone")


def _routes(patterns=None, prefix: str = ""):
    """Every named route of the URL configuration, as (name with namespace, its parameters' names)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from _routes(entry.url_patterns, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED_NAMES:
            yield f"{prefix}{entry.name}", tuple(entry.pattern.regex.groupindex)


def _urls(town: Town) -> list[str]:
    # format: the router's .json twins; a release's theatre, number and file (none made here: a 404)
    values = {"slug": town.slug, "pk": town.pk, "format": "json", "theatre": town.theatre.slug, "number": 1,
              "name": "control.geojson"}
    urls = set()
    for name, params in _routes():
        kwargs = {p: values[p] for p in params}
        if name == "area-detail":
            kwargs = {"slug": town.admin_area.slug}
        try:
            urls.add(reverse(name, kwargs=kwargs))
        except Exception:  # a route whose parameters cannot take these values (another format suffix)
            continue
    return sorted(urls)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _traces(town: Town) -> dict[str, re.Pattern]:
    """What would give the town away: its name and slug as text; its coordinates as a point writes them
    (longitude then latitude, as GeoJSON, KML and the CSV's last columns do), as a record's fields, and as
    the two doubles a GeoPackage's point holds. A lone number is no trace: a boundary's vertex may share it."""
    lat, lon = town.latitude, town.longitude
    traces = {
        "name": re.escape(town.name.encode()),
        "slug": rb"(?<![\w-])" + re.escape(town.slug.encode()) + rb"(?![\w-])",
    }
    for x, y in {(repr(lon), repr(lat)), (f"{lon:.4f}", f"{lat:.4f}"), (f"{lon:.6f}", f"{lat:.6f}")}:
        traces[f"point {x},{y}"] = (
            rb"(?<![\d.])" + re.escape(x.encode()) + rb",\s?" + re.escape(y.encode()) + rb"(?!\d)"
        )
        traces[f"field latitude {y}"] = rb'"latitude":\s?' + re.escape(y.encode()) + rb"(?!\d)"
    traces["point as doubles"] = re.escape(struct.pack("<dd", lon, lat))
    traces["point as doubles (big-endian)"] = re.escape(struct.pack(">dd", lon, lat))
    return {what: re.compile(pattern) for what, pattern in traces.items()}


@pytest.fixture
def coarse():
    town = Town.objects.select_related("admin_area").get(slug=TOWN)
    Town.objects.filter(pk=town.pk).update(coarse_location=True)
    town.refresh_from_db()
    return town


def test_every_route_is_covered(coarse):
    urls = _urls(coarse)
    paths = {urlsplit(u).path for u in urls}
    # Every export layer (events.exports.LAYERS, GeoPackage and KML too) is among the routes checked.
    for layer in exports.LAYERS:
        name, _, fmt = layer.partition(".")
        route = {"areas": "control-areas", "changes-csv": "changes"}.get(name, name)
        suffix = fmt or ("csv" if name == "changes-csv" else "geojson")
        assert f"/api/{route}.{suffix}" in paths, layer
    assert "/feeds/changes.atom" in paths and f"/towns/{coarse.slug}/" in paths


def test_a_coarse_town_appears_nowhere_an_anonymous_reader_looks(coarse, client):
    traces = _traces(coarse)
    checked = 0
    for url in _urls(coarse):
        for query in ("", "?date=2017-09-30", "?from=2016-01-01&to=2017-12-31"):
            response = client.get(url + query)
            assert response.status_code < 500, url + query
            body = _body(response)
            leaks = [
                what
                for what, trace in traces.items()
                if trace.search(body)
                # a 404 may echo the address it was asked (the slug the reader typed), nothing more
                and not (what == "slug" and response.status_code == 404)
            ]
            assert not leaks, f"{url}{query} gives the coarse town away: {leaks}"
            checked += 1
    assert checked > 40


def test_the_public_sees_the_town_at_its_district(coarse, client):
    body = client.get("/api/control.geojson").json()
    district = coarse.admin_area
    shown = [f for f in body["features"] if f["properties"]["name"] == f"{district.name} (district)"]
    assert len(shown) == 1 and shown[0]["properties"]["faction"] == "sdf"
    assert client.get(f"/towns/{coarse.slug}/").status_code == 404
    assert client.get(f"/towns/{coarse.pk}/panel.json").status_code == 404


def test_editors_see_the_town_as_it_is(coarse, editor_client):
    body = editor_client.get("/api/control.geojson").json()
    assert any(f["properties"]["name"] == coarse.name for f in body["features"])
    assert editor_client.get(f"/towns/{coarse.slug}/").status_code == 200
    with selectors.as_reader(editor=True):
        assert any(t.name == coarse.name for t in selectors.control_as_of(on=dt.date(2017, 9, 30)).towns)


def test_a_coarse_town_outside_every_area_is_refused_in_words(reviewer_client):
    response = reviewer_client.post(
        "/admin/geodata/town/add/",
        {
            "name": "Nowhere",
            "slug": "nowhere",
            "alt_names": "",
            "latitude": "10",
            "longitude": "10",
            "outside_boundaries": "on",
            "coarse_location": "on",
            "external_ids": "",
        },
    )
    assert response.status_code == 200
    assert "has no district to be shown at" in response.content.decode()
    assert not Town.objects.filter(slug="nowhere").exists()


def test_marking_a_town_coarse_in_the_admin_takes_effect_at_once(client, reviewer_client):
    town = Town.objects.get(slug=TOWN)
    assert any(f["properties"]["name"] == town.name for f in client.get("/api/control.geojson").json()["features"])
    town.coarse_location = True
    services.town_edit(town=town, by=_reviewer())
    names = [f["properties"]["name"] for f in client.get("/api/control.geojson").json()["features"]]
    assert town.name not in names  # the revision moved: no layer kept from before is served


def _reviewer():
    return user_in("reviewer", "coarse-reviewer")
