"""Nothing Syria-only in code: the extent, title, default date and credits of a map are its theatre's; the
boundary and town presets are data (geodata/presets.json); / is the default theatre's map."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import Client, override_settings
from rest_framework.test import APIClient

from geodata.models import Theatre
from geodata.presets import boundary_presets, town_presets
from tests.seed_theatre import OCHA_ATTRIBUTION
from tests.theatres.test_theatres import build_zenda, files, run  # noqa: F401  (files is a fixture)

ROOT = Path(__file__).resolve().parents[2]
# The application's code: what runs for every installation, whatever conflict it maps. Migrations (they
# record the seed's history), seeds/ (the shipped scenario is data), scripts/ (seed tooling), bench/ and
# tests/ may name Syria.
CODE = ["conflictmap", "geodata", "events", "templates", "static/js", "static/css"]
SUFFIXES = {".py", ".html", ".js", ".css", ".txt"}
FORBIDDEN = [
    (re.compile(r"syria", re.I), "names Syria"),
    (re.compile(r"\bSYR\b"), "names Syria's ISO code"),
    (re.compile(r"OCHA_ATTRIBUTION|SYRIA_BOUNDS"), "brings back a country constant"),
    # A hand-written extent: ((south, west), (north, east)).
    (re.compile(r"\(\(\s*{n},\s*{n}\),\s*\(\s*{n},\s*{n}\)\)".replace("{n}", r"-?\d+(\.\d+)?")), "fixes an extent"),
]
# Where an extent may appear for a reason a reader can check (path -> the line).
ALLOWED = {
    # The one extent a map is given when it has no theatre: the inhabited world, no country's.
    "geodata/map_settings.py": re.compile(r"WORLD_BOUNDS = \(\(-56\.0, -170\.0\), \(72\.0, 180\.0\)\)"),
}


def _code_files():
    for top in CODE:
        for path in sorted((ROOT / top).rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if path.suffix in SUFFIXES and "/migrations/" not in rel and "/vendor/" not in rel and path.is_file():
                yield rel, path.read_text(encoding="utf-8", errors="replace")


def test_no_country_is_named_or_drawn_in_the_code():
    found = []
    for rel, text in _code_files():
        for number, line in enumerate(text.splitlines(), 1):
            if (allowed := ALLOWED.get(rel)) and allowed.search(line):
                continue
            found += [f"{rel}:{number}: {why}: {line.strip()}" for pattern, why in FORBIDDEN if pattern.search(line)]
    assert found == [], "\n".join(found)


def test_the_grep_sees_the_code_and_would_catch_a_constant_coming_back():
    scanned = dict(_code_files())
    assert "geodata/map_settings.py" in scanned and "events/views.py" in scanned and len(scanned) > 100
    constant = 'SYRIA_BOUNDS = ((32.2, 35.5), (37.4, 42.5))\nregion_name = "Syria"'
    assert {why for pattern, why in FORBIDDEN if pattern.search(constant)} == {
        "names Syria", "brings back a country constant", "fixes an extent"}


def test_the_presets_are_data_with_a_credit_and_licence_each_and_no_country_in_them():
    boundaries, towns = boundary_presets(), town_presets()
    assert set(boundaries) == {"ocha", "geoboundaries", "gadm", "naturalearth"} and set(towns) == {"ocha", "geonames"}
    for preset in [*boundaries.values(), *towns.values()]:
        assert preset.credit and preset.licence and preset.licence_url.startswith("https://"), preset.name
        text = json.dumps([preset.title, preset.credit, preset.levels, preset.fields, preset.source_url])
        assert not re.search(r"syri|\bSYR|\bSY\d", text, re.I), (preset.name, text)
    assert boundaries["ocha"].credit_for(theatre_name="Ruritania") == (
        "Administrative boundaries: OCHA, Ruritania COD-AB (CC BY 3.0 IGO)")


def _config(html: str) -> dict:
    return json.loads(html.split('id="map-config" type="application/json">')[1].split("</script>")[0])


@pytest.mark.django_db
def test_an_installation_of_another_conflict_shows_its_own_map_at_the_root(files, tmp_path):  # noqa: F811
    """Another conflict alone in an installation: / is its map (title, extent, credits), the preset gave the
    boundaries' credit, and nothing a reader sees says Syria or OCHA's Syrian dataset."""
    Theatre.objects.all().delete()  # the theatre a migrated database starts with, unused here
    # No theatre at all: the pages still answer, naming no country; a loader says what to do first.
    empty = Client().get("/")
    assert empty.status_code == 200 and "Who controls what: no change recorded yet" in empty.content.decode()
    assert ".fitBounds([[-56.0, -170.0], [72.0, 180.0]]" in empty.content.decode()  # the world
    assert Client().get("/changes/").status_code == 200 and Client().get("/map.html").status_code == 200
    with pytest.raises(CommandError, match="No theatre exists yet; python manage.py add_theatre SLUG"):
        run("load_towns", files["towns"], "--commit")
    run("add_theatre", "zenda", "--name", "Ruritania")
    out = run("load_boundaries", files["governorates"], "--preset", "geoboundaries", "--name-field", "ADM1_EN",
              "--code-field", "ADM1_PCODE", "--commit")
    assert "theatre zenda: boundaries credit set from preset 'geoboundaries': Administrative boundaries: " \
           "geoBoundaries, Ruritania" in out
    zenda = Theatre.objects.get()
    assert zenda.boundaries_url == "https://www.geoboundaries.org/"
    assert zenda.boundaries_licence_url == "https://creativecommons.org/licenses/by/4.0/"
    # A second load keeps the credit the theatre has (an editor may have improved it).
    assert "credit" not in run("load_boundaries", files["governorates"], "--preset", "geoboundaries", "--name-field",
                               "ADM1_EN", "--code-field", "ADM1_PCODE")
    run("load_towns", files["towns"], "--commit")

    html = Client().get("/").content.decode()
    assert "Who controls what in Ruritania: no change recorded yet" in html
    assert ".fitBounds([[0.0, 10.0], [1.0, 11.0]]" in html  # its governorates' extent
    assert "geoBoundaries, Ruritania" in html and 'href=\\"https://www.geoboundaries.org/\\"' in html
    assert not re.search(r"syria|OCHA", html, re.I)
    # One theatre: its layers are read unscoped, at the URLs (and caches) of before theatres.
    assert _config(html)["endpoints"]["towns"] == "/api/control.geojson"
    download = Client().get("/map.html?date=2021-01-01").content.decode()
    assert '"heading": "Control in Ruritania on 1 January 2021"' in download and "geoBoundaries" in download
    assert not re.search(r"syria|OCHA", download, re.I)
    changed = Client().get("/changes/").content.decode()
    assert ".fitBounds([[0.0, 10.0], [1.0, 11.0]]" in changed and not re.search(r"syria", changed, re.I)
    layer = APIClient().get("/api/provinces.geojson?date=2021-01-01").json()
    assert layer["attribution"].startswith("Administrative boundaries: geoBoundaries, Ruritania")
    assert layer["licence"] == "https://creativecommons.org/licenses/by/4.0/"


def test_root_shows_the_default_theatre_named_by_the_setting_else_the_oldest(seeded, files):  # noqa: F811
    build_zenda(files)
    syria = Client().get("/").content.decode()  # the oldest: the seed's
    assert "Who controls what in Syria" in syria and OCHA_ATTRIBUTION in syria
    # Ruritania is named once, in the theatre switcher's link to its map.
    assert syria.count("Ruritania") == 1 and '?theatre=zenda">Ruritania</a>' in syria
    assert _config(syria)["endpoints"]["towns"] == "/api/control.geojson?theatre=syria"
    with override_settings(DEFAULT_THEATRE="zenda"):
        page = Client().get("/").content.decode()
        assert "Who controls what in Ruritania, 1\u00a0Mar\u00a02021 – 10\u00a0Apr\u00a02021" in page
        assert "[[0.0, 10.0], [1.0, 11.0]]" in page and "Boundaries: Ruritanian Survey" in page
        # (The palette holds every faction, Syria's too: the legend shows those present.)
        assert "in Syria" not in page and OCHA_ATTRIBUTION not in page and "cod-ab-syr" not in page
        config = _config(page)
        assert config["date"] == "2021-04-10" and config["endpoints"]["towns"] == "/api/control.geojson?theatre=zenda"
        assert {d["id"]: d["href"] for d in config["downloads"]}["tc-download"] == "/map.html?theatre=zenda&date={date}"
        download = Client().get("/map.html?date=2021-04-10").content.decode()
        assert '"heading": "Control in Ruritania on 10 April 2021"' in download and "OCHA" not in download
        assert "Strelsau" in download and "Raqqa" not in download  # its layers only
    # A theatre's default date is where its map opens.
    Theatre.objects.filter(slug="zenda").update(default_date="2021-03-02")
    assert _config(Client().get("/?theatre=zenda").content.decode())["date"] == "2021-03-02"


def test_the_seed_gives_its_theatre_the_ocha_credit_as_data(seeded):
    syria = Theatre.objects.get(slug="syria")
    assert syria.boundaries_credit == OCHA_ATTRIBUTION
    assert syria.boundaries_url == "https://data.humdata.org/dataset/cod-ab-syr"
    html = Client().get("/").content.decode()
    assert 'href=\\"https://data.humdata.org/dataset/cod-ab-syr\\"' in html and OCHA_ATTRIBUTION in html
    assert '"towns": "/api/control.geojson"' in html  # the only theatre: unscoped, as before theatres
    assert ".fitBounds([[32.2, 35.5], [37.4, 42.5]]" in html  # the seed's view: the extent / always opened on
