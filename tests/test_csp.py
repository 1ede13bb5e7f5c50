"""Content-Security-Policy: every page answers with it, and every inline block a page carries is one
the policy allows (by the request's nonce or by the map code's hash): nothing else would run."""

import base64
import hashlib
import re

import pytest
from django.test import Client

from conflictmap.settings.base import tile_hosts
from geodata.models import AdminArea
from tests.events.roles import user_in

pytestmark = pytest.mark.django_db

INLINE = re.compile(r"<(script|style)((?:\s[^>]*)?)>(.*?)</\1>", re.DOTALL)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def allowed(directive: list[str], attrs: str, body: str) -> bool:
    if "'unsafe-inline'" in directive and not any(v.startswith(("'nonce-", "'sha256-")) for v in directive):
        return True
    nonce = re.search(r'nonce="([^"]+)"', attrs)
    if nonce and f"'nonce-{nonce.group(1)}'" in directive:
        return True
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return f"'sha256-{digest}'" in directive


def blocked_inline(response) -> list[str]:
    """The inline scripts and styles of a page that its policy would stop (JSON data blocks aside)."""
    rules = policy(response)
    html = response.content.decode()
    out = []
    for tag, attrs, body in INLINE.findall(html):
        if tag == "script" and ("src=" in attrs or "application/json" in attrs):
            continue
        if not allowed(rules[f"{tag}-src"], attrs, body):
            out.append(f"<{tag}{attrs}>{body[:80]}")
    return out


def pages(seeded_area_slugs) -> list[str]:
    governorate, district = seeded_area_slugs
    return [
        "/", "/?date=2017-09-03", "/towns/uqayribat/", f"/areas/{governorate}/", f"/areas/{district}/",
        "/changes/", "/factions/", "/api/docs/", "/api/redoc/", "/api/towns/", "/api/provinces.geojson",
        "/admin/login/",
    ]


@pytest.fixture
def area_slugs(seeded):
    district = AdminArea.objects.filter(level=AdminArea.Level.DISTRICT).order_by("code").first()
    return district.parent.slug, district.slug


def test_every_page_answers_with_the_policy_and_no_inline_code_outside_it(area_slugs):
    client = Client()
    for url in pages(area_slugs):
        response = client.get(url)
        assert response.status_code == 200, url
        rules = policy(response)
        assert rules["default-src"] == ["'self'"], url
        assert "'unsafe-inline'" not in rules["script-src"] and "'unsafe-eval'" not in rules["script-src"], url
        # Redoc's bundle adds <style> elements before it can take a nonce: only its page allows them.
        assert ("'unsafe-inline'" in rules["style-src"]) == (url == "/api/redoc/"), url
        assert rules["object-src"] == ["'none'"] and rules["frame-ancestors"] == ["'none'"], url
        assert blocked_inline(response) == [], url


def test_the_admin_forms_answer_with_the_policy(seeded):
    client = Client()
    client.force_login(user_in("editor"))
    for url in ["/admin/", "/admin/events/controlchange/add/", "/admin/geodata/town/add/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert blocked_inline(response) == [], url


def test_the_map_page_carries_its_inline_code_under_the_policy(seeded):
    response = Client().get("/?date=2017-09-03")
    rules = policy(response)
    scripts = [body for tag, attrs, body in INLINE.findall(response.content.decode())
               if tag == "script" and "src=" not in attrs and "application/json" not in attrs]
    # The map's own code (Folium's) is there, and runs because its hash is in the policy.
    assert any("conflictmap.configure(" in body for body in scripts)
    assert sum(value.startswith("'sha256-") for value in rules["script-src"]) >= 1


@pytest.mark.parametrize(("tiles", "hosts"), [
    ("osm", ["https://tile.openstreetmap.org"]),
    ("none", []),
    ("https://tiles.example.org/{z}/{x}/{y}.png", ["https://tiles.example.org"]),
    ("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png", ["https://*.tiles.example.org:8443"]),
    ("tiles.example.org/{z}/{x}/{y}.png", []),
    ("javascript:alert(1)//{z}{x}{y}", []),
])
def test_images_come_from_this_host_and_the_configured_tile_host_only(tiles, hosts):
    assert tile_hosts(tiles) == hosts
