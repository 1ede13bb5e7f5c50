"""A date names its slice: a dated layer shows, keeps and tags the latest change date on or before the date asked."""

import datetime as dt
from collections import Counter
from unittest import mock

import pytest
from django.core.management import call_command

from events import geojson, selectors, services, slice_dates
from events.models import ControlChange
from geodata.models import Town

LAYERS = {  # the map's four dated layers and the builder each is made by
    "/api/control.geojson": "control_feature_collection",
    "/api/provinces.geojson": "provinces_feature_collection",
    "/api/provinces.geojson?level=2": "provinces_feature_collection",
    "/api/control-areas.geojson": "control_areas_feature_collection",
}
DAY = dt.timedelta(days=1)


def get(client, layer: str, headers=None, **params):
    path, _, fixed = layer.partition("?")
    query = dict(p.split("=") for p in fixed.split("&") if p)
    return client.get(path, {**query, **params}, headers=headers)


def test_a_date_resolves_to_the_latest_change_date_on_or_before_it(seeded, hidden_changes):
    on = dt.date
    assert slice_dates.slice_date(on=on(2017, 9, 2)) == on(2017, 9, 2)  # a change date is its own slice
    assert slice_dates.slice_date(on=on(2017, 8, 31)) == on(2017, 8, 6)
    assert slice_dates.slice_date(on=on(2017, 9, 1) - DAY) == on(2017, 8, 6)
    # The draft (4 Sept), the rejected (5) and the retracted (6) change move no slice.
    assert slice_dates.slice_date(on=on(2017, 9, 6)) == on(2017, 9, 3)
    # Before the first record (1 January 2014): the one day before it, an empty map.
    assert slice_dates.slice_date(on=on(2013, 12, 31)) == on(2013, 12, 31)
    assert slice_dates.slice_date(on=on(1950, 6, 1)) == on(2013, 12, 31)


def test_without_any_change_every_date_shows_the_earliest_day(db):
    assert slice_dates.slice_date(on=dt.date(2017, 9, 3)) == dt.date(1900, 1, 1)


@pytest.mark.parametrize("layer", LAYERS)
def test_the_answer_names_the_day_it_shows(client, seeded, layer):
    response = get(client, layer, date="2017-08-31")
    assert response.status_code == 200
    assert response["X-Slice-Date"] == "2017-08-06"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["as_of"] == "2017-08-06"
    assert "date=2017-08-06" in response["Content-Location"] and "date=2017-08-31" not in response["Content-Location"]
    assert response["Content-Location"].startswith(layer.split("?")[0])
    # Every day up to the next change is the same answer, with the same ETag.
    same = get(client, layer, date="2017-08-06")
    assert same.content == response.content and same["ETag"] == response["ETag"]
    assert get(client, layer, {"If-None-Match": response["ETag"]}, date="2017-08-31").status_code == 304
    # Another slice, another ETag.
    other = get(client, layer, date="2017-09-01")
    assert other.json()["as_of"] == "2017-09-01" and other["ETag"] != response["ETag"]


def test_the_slice_is_the_one_of_the_day_asked(client, seeded):
    """Uqayribat passed to the government on 1 September: the 31 August map still shows it with IS."""
    def uqayribat(date: str) -> str:
        towns = client.get("/api/control.geojson", {"date": date}).json()["features"]
        town_id = Town.objects.get(slug="uqayribat").pk
        return next(f["properties"]["faction"] for f in towns if f["properties"]["town_id"] == town_id)

    assert uqayribat("2017-08-31") == "islamic-state" and uqayribat("2017-09-01") == "pro-government"


def test_a_crawler_walking_every_day_builds_a_layer_per_change_date_at_most(client, seeded):
    first, last = dt.date(2013, 12, 1), selectors.latest_change_date() + 10 * DAY
    days = [first + n * DAY for n in range((last - first).days + 1)]
    builds = Counter()

    def counting(name):
        real = getattr(geojson, name)

        def build(**kwargs):
            builds[name, kwargs.get("level", 1), kwargs["on"]] += 1
            return real(**kwargs)
        return build

    with mock.patch.multiple(geojson, **{name: counting(name) for name in set(LAYERS.values())}):
        for day in days[::3] + [d - DAY for d in selectors.change_dates()]:
            for layer in LAYERS:
                response = get(client, layer, date=day.isoformat())
                assert response.status_code == 200
                assert response["X-Slice-Date"] == slice_dates.slice_date(on=day).isoformat()
    shown = set(selectors.change_dates()) | {dt.date(2013, 12, 31)}
    assert len(days[::3]) > 450
    assert set(builds.values()) == {1}  # each layer of each slice built once
    assert {on for _, _, on in builds} <= shown
    assert len(builds) <= len(LAYERS) * len(shown)


def test_a_url_naming_the_revision_is_kept_for_a_year_and_a_stale_one_is_not(client, seeded, reviewer):
    revision = selectors.data_version()
    for layer in LAYERS:
        pinned = get(client, layer, date="2017-09-03", rev=revision)
        assert pinned["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = get(client, layer, date="2017-09-03")
        assert plain["Cache-Control"] == "public, no-cache" and plain.content == pinned.content

    latest = ControlChange.objects.get(town__slug="kabajib", effective_date=dt.date(2017, 9, 3))
    services.control_change_retract(change=latest, by=reviewer, reason="unsourced")
    for layer in ["/api/control.geojson", "/api/changes.geojson"]:
        stale = get(client, layer, date="2017-09-03", rev=revision)
        # The URL named the revision before the write: it gets today's data, revalidated on every use.
        assert stale.status_code == 200 and stale["Cache-Control"] == "public, no-cache"
        assert get(client, layer, rev="not-a-revision")["Cache-Control"] == "public, no-cache"
    towns = get(client, "/api/control.geojson", date="2017-09-03", rev=revision).json()["features"]
    kabajib = next(f["properties"] for f in towns if f["properties"]["town_id"] == latest.town_id)
    assert kabajib["since"] != "2017-09-03"  # the retracted change is gone under the old URL too


def test_the_schema_documents_as_of_and_the_slice_date_header(seeded, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "as_of:" in schema and "X-Slice-Date:" in schema and "name: rev" in schema
