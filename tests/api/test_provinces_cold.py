"""The provinces layer after a write (issue 18 item 2, issue 21 item 7): the areas' frame and their GeoJSON
shapes are made once per version of the areas, not once per data revision, and the files are the bytes
they were before."""

import contextlib
import datetime as dt
import hashlib
import re

import pytest
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from shapely.geometry import shape

from events import geojson, selectors, services, slice_dates
from events.models import ControlChange, Faction
from events.selectors import rule
from geodata.models import AdminArea, Theatre, Town
from geodata.services import admin_area_save
from tests.factories import ControlChangeFactory, SourceFactory
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: the fixture)

# The sha256 (first 16 hex digits) of each file as main served it at b270335, before the areas were kept, on
# the seed, with each area's database id written as its code (ids differ between runs and databases).
SEED_FILES = {
    "/api/provinces.geojson?date=2013-01-01": "bd206cce30afac1f",
    "/api/provinces.geojson?date=2013-01-01&level=2": "eb0d7d9938f6b34b",
    "/api/provinces.geojson?date=2013-01-01&theatre=syria": "bd206cce30afac1f",
    "/api/provinces.geojson?date=2017-09-02": "f9875a9e89f3b0db",
    "/api/provinces.geojson?date=2017-09-02&level=2": "83691dbe8c4aa8d8",
    "/api/provinces.geojson?date=2017-09-02&theatre=syria": "f9875a9e89f3b0db",
    "/api/provinces.geojson?date=2017-09-03": "6c383fe520bd0d0b",
    "/api/provinces.geojson?date=2017-09-03&level=2": "943f75521c98f37d",
    "/api/provinces.geojson?date=2017-09-03&theatre=syria": "6c383fe520bd0d0b",
    "/api/provinces.kml?date=2013-01-01": "3b06346b781f37d0",
    "/api/provinces.kml?date=2013-01-01&level=2": "7ab82ec54fb09514",
    "/api/provinces.kml?date=2013-01-01&theatre=syria": "83c70b488ddcdb75",
    "/api/provinces.kml?date=2017-09-02": "a7eaf92b4a6c9102",
    "/api/provinces.kml?date=2017-09-02&level=2": "9a34c7a7a306da21",
    "/api/provinces.kml?date=2017-09-02&theatre=syria": "1c2ca6ee1aee7a72",
    "/api/provinces.kml?date=2017-09-03": "cedc94cbefbbda74",
    "/api/provinces.kml?date=2017-09-03&level=2": "8696700a098d70eb",
    "/api/provinces.kml?date=2017-09-03&theatre=syria": "63bc194d55d629ba",
}
ZENDA_FILES = {
    "/api/provinces.geojson?theatre=zenda&date=2017-09-03": "0daa46685577db29",
    "/api/provinces.geojson?theatre=zenda&date=2017-09-03&level=2": "1090c30c37ba9440",
    "/api/provinces.kml?theatre=zenda&date=2017-09-03": "5c3bca62c93fe060",
    "/api/provinces.kml?theatre=zenda&date=2017-09-03&level=2": "08b0b9bb8b8f8e53",
    "/api/provinces.geojson?date=2017-09-03": "99c6d63bb0db516f",
}

URLS = [
    f"/api/provinces.{fmt}?date={on}{extra}"
    for fmt in ("geojson", "kml")
    for on in ("2013-01-01", "2017-09-02", "2017-09-03")
    for extra in ("", "&level=2", "&theatre=syria")
]
ZENDA_URLS = [
    f"/api/provinces.{fmt}?theatre=zenda&date=2017-09-03{extra}"
    for fmt in ("geojson", "kml")
    for extra in ("", "&level=2")
] + ["/api/provinces.geojson?date=2017-09-03"]
_AREA_ID = re.compile(rb'("id":|"area_id":|<Data name="area_id"><value>)(\d+)')


def _digests(urls) -> dict[str, str]:
    codes = {str(pk).encode(): code.encode() for pk, code in AdminArea.objects.values_list("pk", "code")}
    api = APIClient()
    answers = {url: api.get(url) for url in urls}
    assert {r.status_code for r in answers.values()} == {200}
    return {
        url: hashlib.sha256(_AREA_ID.sub(lambda m: m[1] + codes[m[2]], r.content)).hexdigest()[:16]
        for url, r in answers.items()
    }


def test_the_seeds_provinces_files_are_the_bytes_they_were(seeded):
    digests = _digests(URLS)
    assert digests == SEED_FILES


def test_a_second_theatres_provinces_files_are_the_bytes_they_were(seeded, files):  # noqa: F811
    build_zenda(files)
    digests = _digests(ZENDA_URLS)
    assert digests == ZENDA_FILES


def _published(reviewer) -> None:
    """A write the public sees that moves no area: a change published (a new data revision)."""
    draft = ControlChangeFactory(
        town=Town.objects.get(slug="raqqa"),
        faction=Faction.objects.get(slug="sdf"),
        effective_date=dt.date(2017, 9, 4),
        state=ControlChange.State.DRAFT,
        sources=[SourceFactory()],
    )
    services.control_change_publish(change=draft, by=reviewer)


@pytest.mark.parametrize(
    "url",
    [
        "/api/provinces.geojson?date=2017-09-04",
        "/api/provinces.kml?date=2017-09-04",
        "/api/provinces.geojson?date=2017-09-04&level=2&theatre=syria",
    ],
)
def test_after_a_write_the_layer_reads_no_boundary_and_writes_no_shape_again(seeded, reviewer, monkeypatch, url):
    api = APIClient()
    first = api.get(url)
    _published(reviewer)
    snapped = []
    monkeypatch.setattr(shapely, "set_precision", lambda *a, **k: snapped.append(1))  # geojson.polygons' first step
    with CaptureQueriesContext(connection) as queries:
        again = api.get(url)
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    areas = [q["sql"] for q in queries.captured_queries if "geodata_adminarea" in q["sql"]]
    # One read of the areas' ids, parents and updated_at (their version, and how districts lift), no geometry.
    assert len(areas) == 1 and "geometry" not in areas[0]
    assert snapped == []
    assert again.content.replace(b"2017-09-04", b"") != b""  # the file itself is served


def test_an_area_written_is_shown_as_written(seeded, reviewer):
    api = APIClient()
    url = "/api/provinces.geojson?date=2017-09-03"
    before = {f["properties"]["code"]: f for f in api.get(url).json()["features"]}
    hama = AdminArea.objects.get(code="SY05")
    hama.name = "Hamah"
    hama.geometry = {"type": "Polygon", "coordinates": [[[36.0, 35.0], [37.0, 35.0], [37.0, 35.5], [36.0, 35.0]]]}
    admin_area_save(area=hama)
    after = {f["properties"]["code"]: f for f in api.get(url).json()["features"]}
    assert after["SY05"]["properties"]["name"] == "Hamah"
    assert shape(after["SY05"]["geometry"]).equals(shape(hama.geometry))
    assert before["SY05"]["properties"]["towns"] == after["SY05"]["properties"]["towns"]
    assert {k: f for k, f in after.items() if k != "SY05"} == {k: f for k, f in before.items() if k != "SY05"}


def test_shapes_kept_are_the_shapes_written_afresh(seeded):
    """The kept GeoJSON shapes are ``geojson.polygons`` of the areas, as every request wrote them before."""
    from events import territory

    for level in (1, 2):
        areas = territory.level_areas(level=level)
        fresh = geojson.polygons(areas.frame.geometry)
        assert list(geojson._area_shapes(areas).values()) == fresh


@pytest.mark.parametrize("theatre", [None, "syria", "zenda"])
@pytest.mark.parametrize("reader", ["public", "editor", "as-known-at"])
def test_a_date_resolves_as_the_rules_orm_form_says(seeded, files, theatre, reader):  # noqa: F811
    """The date walk in the rule's SQL form finds the day the rule's ORM form finds (its form before)."""
    build_zenda(files)
    theatre_id = None if theatre is None else Theatre.objects.get(slug=theatre).pk
    dates = sorted(set(ControlChange.objects.values_list("effective_date", flat=True)))
    asked = sorted({d + dt.timedelta(days=k) for d in dates for k in (-1, 0, 1)} | {dt.date(1900, 1, 1)})
    context = {
        "public": contextlib.nullcontext(),
        "editor": rule.as_reader(editor=True),
        "as-known-at": rule.as_known_at(
            ControlChange.objects.order_by("reviewed_at").values_list("reviewed_at", flat=True)[3]
        ),
    }[reader]
    with context:
        for on in asked:
            orm = slice_dates._in_force(theatre_id).filter(effective_date__lte=on).order_by("-effective_date")
            assert (
                slice_dates._latest_on_or_before(on, theatre_id) == orm.values_list("effective_date", flat=True).first()
            ), on


def test_a_cold_layer_builds_no_orm_form_of_the_rule_for_its_date(seeded, reviewer, monkeypatch):
    api = APIClient()
    api.get("/api/provinces.geojson?date=2017-09-04")
    _published(reviewer)
    built = []
    monkeypatch.setattr(selectors, "changes_in_force", lambda **kw: built.append(kw))
    assert api.get("/api/provinces.geojson?date=2017-09-04").status_code == 200
    assert built == []
