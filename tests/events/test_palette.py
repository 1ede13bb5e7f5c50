"""One palette: the colours of the data's classes (factions, contested, no record) are set in Python and
reach the map's scripts through the page; no script holds one of its own."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from events import colours, map_inputs, territory
from events.models import Faction
from geodata import maps

pytestmark = pytest.mark.django_db

JS = sorted(Path(settings.BASE_DIR, "static", "js").glob("*.js"))
HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})\b")
# The greys the scripts used to fall back on, and the Python fallbacks' grey.
OLD_GREYS = {"#9e9e9e", "#999999", "#999"}


def _data_colours() -> set[str]:
    return ({f.colour.lower() for f in Faction.objects.all()} | {territory.CONTESTED_COLOUR, colours.NO_RECORD_COLOUR}
            | OLD_GREYS)


def test_no_script_holds_a_colour_of_the_datas_classes(seeded):
    assert JS, "no scripts found"
    data = _data_colours()
    found = {(path.name, hex_.lower()) for path in JS for hex_ in HEX.findall(path.read_text())}
    assert not {(name, hex_) for name, hex_ in found if hex_ in data}


def test_the_map_gets_every_class_colour_from_the_one_palette(seeded):
    palette = map_inputs.faction_palette()
    script = maps.map_render_parts(maps.control_map_build(
        palette=palette, assets=map_inputs.map_assets_linked(), settings={"tiles": "none"})).script
    config = json.loads(re.search(r"conflictmap\.configure\([^,]+, (\{.*?\})\);", script).group(1))
    assert {slug: v["colour"] for slug, v in config["palette"].items()} == {
        **{f.slug: f.colour.lower() for f in Faction.objects.all()}, territory.CONTESTED: territory.CONTESTED_COLOUR}
    assert config["no_record"] == {"name": colours.NO_RECORD_NAME, "colour": colours.NO_RECORD_COLOUR}
    assert maps.NO_RECORD not in config["order"]  # "no record" has the legend's own rows, not a faction's


def test_the_no_record_grey_stays_apart_from_every_faction(seeded):
    for faction in Faction.objects.all():
        assert colours.colour_distance(colours.NO_RECORD_COLOUR, faction.colour) >= colours.TOO_CLOSE, faction.slug


def test_the_admins_town_map_gets_the_same_grey(admin_client, seeded):
    response = admin_client.get("/admin/events/controlchange/add/")
    config = json.loads(re.search(r'id="change-map-config"[^>]*>(.*?)</script>', response.content.decode()).group(1))
    assert config["no_record"] == colours.NO_RECORD_COLOUR
