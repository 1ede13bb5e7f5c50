"""The map asks for its layers by immutable URLs: each carries the page's data revision (?rev=)."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from events import selectors

from .maptowns import wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYERS = ("/api/control.geojson", "/api/provinces.geojson", "/api/control-areas.geojson")


def test_layer_requests_carry_the_revision_and_are_kept_for_a_year(live_server, seeded, open_page):
    page, watch = open_page()
    answers = {}
    page.on("response", lambda r: answers.__setitem__(r.url, r.headers.get("cache-control")))
    page.goto(f"{live_server.url}/?date=2017-09-02")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    wait_town(page, "Uqayribat")
    revision = selectors.data_version()  # the public's: the revision and the next delayed change's moment (none)

    asked = [u for u in watch.requests if urlsplit(u).path in LAYERS]
    assert {urlsplit(u).path for u in asked} == set(LAYERS), asked
    for url in asked:
        query = parse_qs(urlsplit(url).query)
        assert query["rev"] == [revision] and query["date"] == ["2017-09-02"], url
    # The answers are marked immutable (read once the responses are in).
    deadline = time.monotonic() + 10
    while not all(u in answers for u in asked) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    for url in asked:
        assert answers[url] == "public, max-age=31536000, immutable", url
    assert watch.console_errors == [] and watch.page_errors == []
