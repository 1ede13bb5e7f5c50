"""The embedded map: /embed/ alone may be framed by other sites; the map menu gives its <iframe> snippets."""

import html
import re

import pytest
from django.test import Client

from bench.routes import routes
from tests.web.test_empty_database import _url


def frame_ancestors(response) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        words = part.split()
        if words and words[0] == "frame-ancestors":
            return words[1:]
    return []


def test_the_embed_may_be_framed_by_any_site(seeded):
    response = Client().get("/embed/?theatre=syria&date=2017-09-02")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert frame_ancestors(response) == ["*"]
    page = response.content.decode()
    assert "Control in Syria on 2 September 2017" in page
    assert 'href="/?theatre=syria&amp;date=2017-09-02" target="_blank" rel="noopener"' in page
    assert 'class="site-header"' not in page and 'class="time-control"' not in page  # no chrome
    assert '"date": "2017-09-02"' in page  # the layers the page's script loads


def test_the_embed_says_what_is_wrong(seeded):
    assert Client().get("/embed/?theatre=atlantis").status_code == 404
    response = Client().get("/embed/?date=2999-01-01")
    assert response.status_code == 400
    assert "&#x27;2999-01-01&#x27; is in the future" in response.content.decode()
    assert "X-Frame-Options" not in response  # an error inside a frame still shows in the frame


FRAMED = [r for r in routes() if r.key != "embed"]


@pytest.mark.parametrize("route", FRAMED, ids=lambda r: r.key)
def test_every_other_route_refuses_to_be_framed(db, route):
    response = Client().get(_url(route.pattern))
    assert response["X-Frame-Options"] == "DENY", route.key
    if "Content-Security-Policy" in response:
        assert frame_ancestors(response) == ["'none'"], route.key


def test_the_map_menu_gives_the_iframe_snippets(seeded):
    page = Client().get("/?theatre=syria&date=2017-09-02").content.decode()
    snippets = dict(re.findall(r'<textarea id="(embed-[\w-]+)" rows="3" readonly>(.*?)</textarea>', page, re.DOTALL))
    assert set(snippets) == {"embed-fixed", "embed-responsive"}
    fixed, responsive = (html.unescape(snippets[k]) for k in ("embed-fixed", "embed-responsive"))
    src = "http://testserver/embed/?theatre=syria&amp;date=2017-09-02"  # HTML to paste: & is escaped in it
    assert fixed.startswith(f'<iframe src="{src}" width="800" height="600" ')
    assert responsive.startswith(f'<iframe src="{src}" style="width:100%;aspect-ratio:4/3;border:0" ')
    assert Client().get(html.unescape(src).removeprefix("http://testserver")).status_code == 200
