"""A theatre's changes CSV and what-changed page read each small thing once per request (issue 21 item 7):
the factions, the coarse towns, the theatre's town count and which way its period is walked were read two or
three times by the readers each composes, a third of a small theatre's 20 ms file."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from events import selectors
from events.models import Faction
from geodata.models import AdminArea, Theatre
from geodata.services.revision import revision_bump
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: a fixture)

pytestmark = pytest.mark.django_db

CSV = "/api/changes.csv?theatre=zenda&from=2021-01-01&to=2021-12-31"
PAGE = "/changes/?theatre=zenda&from=2021-01-01&to=2021-12-31"
# Each small read, by a pattern of its SQL (the same on SQLite and PostgreSQL).
READS = {
    "factions": r"FROM events_faction ORDER BY id",
    "coarse towns": r'FROM "geodata_town" WHERE "geodata_town"."coarse_location"',
    "the theatre's towns counted": r'COUNT\(\*\) AS "__count" FROM "geodata_town" WHERE "geodata_town"."theatre_id"',
    "the walk's probe": r'FROM "events_controlchange" WHERE \("events_controlchange"."effective_date" >= .* OFFSET',
}


def _reads(client, url: str) -> dict[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body[:300]
    return {
        name: sum(bool(re.search(pattern, q["sql"])) for q in queries.captured_queries)
        for name, pattern in READS.items()
    }


def test_a_theatres_changes_csv_reads_each_small_thing_once(seeded, files):  # noqa: F811
    build_zenda(files)
    api = APIClient()
    reads = _reads(api, CSV)
    assert reads == {"factions": 1, "coarse towns": 1, "the theatre's towns counted": 1, "the walk's probe": 1}
    # Once per request, not once per worker: the next request reads again.
    assert _reads(api, CSV) == reads


# What the diff page reads besides: the data revision, the factions' models (its handovers, summary and palette),
# and every theatre's areas (a governorate's lookup) where the theatre's own are enough.
PAGE_READS = {
    **READS,
    "the data revision": r'FROM "geodata_datarevision"',
    "the factions' models": r'SELECT "events_faction"."id", "events_faction"."name"',
    "every theatre's areas": r'FROM "geodata_adminarea" ORDER BY',
}


def test_the_what_changed_page_of_a_theatre_reads_each_small_thing_at_most_once(seeded, files, client):  # noqa: F811
    build_zenda(files)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)
    assert response.status_code == 200
    reads = {
        name: sum(bool(re.search(pattern, q["sql"])) for q in queries.captured_queries)
        for name, pattern in PAGE_READS.items()
    }
    assert reads == {
        **{name: reads[name] and 1 for name in READS},
        "the data revision": 1,
        "the factions' models": 1,
        "every theatre's areas": 0,
    }


def test_a_theatres_extent_is_read_again_only_when_its_areas_change(seeded, files, client):  # noqa: F811
    zenda = build_zenda(files)
    geometry = 'SELECT "geodata_adminarea"."geometry" AS "geometry" FROM "geodata_adminarea" WHERE'

    def reads_boundaries() -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return any(q["sql"].startswith(geometry) for q in queries.captured_queries)

    client.get(PAGE)
    revision_bump(theatres=[Theatre.objects.get(slug="syria").pk])  # a write in another theatre
    assert not reads_boundaries()
    revision_bump(theatres=[zenda.pk])  # a change of control in its own
    assert not reads_boundaries()
    AdminArea.objects.filter(theatre=zenda, level=1).first().save()  # a boundary edited
    revision_bump(theatres=[zenda.pk])
    assert reads_boundaries()


def test_a_faction_renamed_between_two_requests_shows_in_the_second(seeded, files):  # noqa: F811
    build_zenda(files)
    api = APIClient()
    assert b"black-elphberg" in api.get(CSV).getvalue()
    Faction.objects.filter(slug="black-elphberg").update(slug="white-elphberg")
    assert b"white-elphberg" in api.get(CSV).getvalue()


def test_outside_a_request_every_call_reads(seeded):
    with CaptureQueriesContext(connection) as queries:
        selectors.faction_rows()
        selectors.faction_rows()
    assert len(queries.captured_queries) == 2


def test_a_theatre_with_no_outlines_has_the_extent_of_its_towns_after_each_write(seeded):
    from django.core.cache import cache

    from geodata.models import Town

    theatre = Theatre.objects.create(slug="outlineless", name="Outlineless")
    Town.objects.create(theatre=theatre, slug="first", name="First", latitude=1.0, longitude=10.0)
    cache.clear()
    assert selectors.theatre_extent(theatre=theatre) == [10.0, 1.0, 10.0, 1.0]
    Town.objects.create(theatre=theatre, slug="second", name="Second", latitude=2.0, longitude=12.0)
    revision_bump(theatres=[theatre.pk])  # as a write through the services does
    assert selectors.theatre_extent(theatre=theatre) == [10.0, 1.0, 12.0, 2.0]
