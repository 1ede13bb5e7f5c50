"""The map read ?as_published=: it says so, and its script asks for every layer and the dates as known then."""

from urllib.parse import parse_qs, urlsplit

import pytest

from .test_layer_urls_browser import LAYERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVENING = "2017-09-02T20:00:00+03:00"  # the seed: Uqayribat's report came out the next day


def test_the_map_as_published_asks_for_its_layers_as_published(live_server, seeded, open_page):
    page, watch = open_page()
    page.goto(f"{live_server.url}/?date=2017-09-02&as_published={EVENING.replace('+', '%2B')}")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    assert "later corrections excluded" in page.inner_text("#as-published")
    asked = [u for u in watch.requests if urlsplit(u).path in (*LAYERS, "/api/change-dates.json")]
    assert {urlsplit(u).path for u in asked} == {*LAYERS, "/api/change-dates.json"}, asked
    for url in asked:
        moment = parse_qs(urlsplit(url).query)["as_published"]
        assert moment == ["2017-09-02T17:00:00+00:00"], url
    page.click("#as-published a")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    assert "as_published" not in page.url and page.query_selector("#as-published") is None
    assert watch.console_errors == [] and watch.page_errors == []
