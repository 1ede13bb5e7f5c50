"""The admin's town map takes its base layer from the same checked settings as the public map."""

import re

import pytest

from geodata import maps
from geodata.admin import map_tiles
from geodata.models import Town
from tests.events.roles import client_as, user_in

pytestmark = pytest.mark.django_db


def town_map_config(settings, **tiles) -> dict:
    for name, value in tiles.items():
        setattr(settings, name, value)
    client = client_as(user_in("editor"))
    town = Town.objects.get(slug="uqayribat")
    return client.get(f"/admin/geodata/town/{town.pk}/change/").context["town_map"]["tiles"]


def test_osm_tiles_come_from_the_maps_module(seeded, settings):
    url, attribution = maps.TILE_PRESETS["osm"]
    assert town_map_config(settings, MAP_TILES="osm") == {"url": url, "attribution": attribution}


def test_no_tiles_offline(seeded, settings):
    assert town_map_config(settings, MAP_TILES="none") == {"url": None, "attribution": ""}


def test_custom_tiles_with_their_attribution(seeded, settings):
    config = town_map_config(settings, MAP_TILES="https://tiles.example.org/{z}/{x}/{y}.png",
                             MAP_TILES_ATTRIBUTION="© Example")
    assert config == {"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Example"}


@pytest.mark.parametrize(("tiles", "attribution", "message"), [
    ("https://tiles.example.org/{z}/{x}/{y}.png", "", "needs 'tiles_attribution'"),
    ("https://tiles.example.org/tile.png", "© Example", "with {z}, {x}, {y}"),
    ("javascript:alert(1)//{z}{x}{y}", "x", "use 'osm', 'none' or an http(s) URL"),
])
def test_bad_custom_tiles_are_refused_as_on_the_public_map(settings, tiles, attribution, message):
    settings.MAP_TILES, settings.MAP_TILES_ATTRIBUTION = tiles, attribution
    with pytest.raises(maps.MapSettingsError, match=re.escape(message)):
        map_tiles()


def test_the_add_change_form_map_has_the_same_base_layer(seeded, settings):
    settings.MAP_TILES = "osm"
    client = client_as(user_in("editor"))
    response = client.get("/admin/events/controlchange/add/")
    assert response.status_code == 200
    url, attribution = maps.TILE_PRESETS["osm"]
    assert response.context["town_map"]["tiles"] == {"url": url, "attribution": attribution}
    assert 'id="change-map-config"' in response.content.decode()
