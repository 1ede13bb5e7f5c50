"""What a browser asks for on every page and on the API docs (issue 20): a favicon, Redoc's bundle
with nothing to fetch from another host, and blob: workers allowed on the Redoc page alone."""

import re
import struct

import pytest

from conflictmap import assets

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served_at_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = response.content
    reserved, kind, count = struct.unpack("<HHH", body[:6])
    assert (reserved, kind) == (0, 1) and count >= 1  # an ICO file with at least one image
    assert "max-age" in response["Cache-Control"]
    assert client.get("/favicon.ico", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_pages_link_the_favicon(client, seeded):
    for url in ("/factions/", "/api/redoc/"):
        linked = re.search(r'<link rel="icon" href="([^"]+)">', client.get(url).content.decode()).group(1)
        assert linked.startswith("/static/") and client.get(linked).status_code == 200, url


def test_the_redoc_page_loads_a_bundle_that_names_no_other_host_for_its_logo(client):
    page = client.get("/api/redoc/").content.decode()
    assert '<script src="/api/redoc/redoc.standalone.js">' in page
    original = assets._static_bytes(assets.REDOC_BUNDLE)
    assert assets.REDOC_REMOTE_LOGO in original  # what the patch removes is still there to remove
    response = client.get("/api/redoc/redoc.standalone.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    served = response.content
    assert b"cdn.redoc.ly" not in served
    assert len(served) > 100_000  # the whole bundle, not a stub


def _directive(response, name: str) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


@pytest.mark.parametrize("url", ["/", "/factions/", "/api/docs/", "/admin/login/"])
def test_no_page_but_redoc_allows_blob_workers(client, seeded, url):
    assert "blob:" not in _directive(client.get(url), "worker-src")


def test_the_redoc_page_allows_its_blob_search_worker(client):
    assert "blob:" in _directive(client.get("/api/redoc/"), "worker-src")
