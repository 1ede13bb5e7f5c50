"""Every reader page of a second theatre: generated from the URL configuration (bench.routes), each page
takes ``theatre=``, answers 404 naming an unknown one (or both theatres for another theatre's town or area),
and every link it emits keeps the theatre; the switcher; the factions page and the map file per theatre."""

import html as htmllib
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.routes import routes
from events.models import Faction
from events.permissions import SEED
from events.services.coalitions import faction_role_set
from geodata.models import AdminArea, Theatre, Town
from tests.theatres.test_theatres import build_zenda, files  # noqa: F401  (files: the fixture)

ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
# The site's reader pages (the API's layers and lists take theatre= too: tests/theatres/test_theatres.py).
# A route whose path names its theatre (a release's page and files: tests/events/test_releases.py) takes no theatre=.
PAGES = [r for r in routes() if r.reader and not r.key.startswith("api:") and "<slug:theatre>" not in r.pattern]


def _path(pattern: str, objects: dict[str, str]) -> str:
    """The route's path with its arguments filled from ``objects`` (by the route's name of the argument)."""
    return "/" + ARGUMENT.sub(lambda m: objects[m.group(2) if m.group(1) != "int" else "pk"], pattern)


def _path_of(route, theatre: Theatre) -> str:
    if route.key == "timelapse":  # a regular expression's route: the GIF
        return "/timelapse.gif"
    town = Town.objects.filter(theatre=theatre).order_by("name").first()
    area = AdminArea.objects.filter(theatre=theatre, level=1).order_by("name").first()
    objects = {"pk": str(town.pk), "slug": area.slug if route.key == "area-detail" else town.slug, "fmt": "gif"}
    return _path(route.pattern, objects)


def _get(client, path: str, query: str):
    return client.get(path + ("&" if "?" in path else "?") + query)


def test_the_pages_are_found_from_the_url_configuration():
    assert {r.key for r in PAGES} >= {
        "home",
        "map-download",
        "town-detail",
        "town-panel",
        "area-detail",
        "what-changed",
        "factions",
    }


@pytest.mark.parametrize("route", PAGES, ids=lambda r: r.key)
def test_every_page_takes_a_theatre_and_names_an_unknown_one(seeded, files, route):  # noqa: F811
    zenda = build_zenda(files)
    client = Client()
    path = _path_of(route, zenda)
    assert _get(client, path, "theatre=zenda").status_code == 200, path
    missing = _get(client, path, "theatre=nope")
    # A page's unknown theatre is a 404; a file asked for by its parameters (the timelapse) is a 400 naming it.
    refused = 400 if route.key == "timelapse" else 404
    assert missing.status_code == refused, path
    assert "No theatre is called 'nope'; known theatres: syria, zenda." in htmllib.unescape(missing.content.decode())
    hostile = _get(client, path, "theatre=%3Cb%3Ex")
    assert hostile.status_code == refused
    if hostile["Content-Type"].startswith("text/html"):
        assert b"<b>x" not in hostile.content and b"&lt;b&gt;x" in hostile.content  # named, escaped
    elif hostile["Content-Type"].startswith("application/json"):  # the panel's JSON says it as data
        assert hostile.json()["detail"].startswith("No theatre is called '<b>x'")
    else:  # a file's route (the Atom feed) says it as plain text
        assert hostile["Content-Type"].startswith("text/plain")
        assert "No theatre is called '<b>x'" in hostile.content.decode()


@pytest.mark.parametrize("route", [r for r in PAGES if re.search(r"<(slug|int):", r.pattern)], ids=lambda r: r.key)
def test_a_town_or_area_asked_for_in_another_theatre_is_a_404_naming_both(seeded, files, route):  # noqa: F811
    zenda = build_zenda(files)
    syria = Theatre.objects.get(slug="syria")
    answer = _get(Client(), _path_of(route, syria), "theatre=zenda")
    assert answer.status_code == 404
    text = htmllib.unescape(answer.content.decode())
    assert "in the theatre 'syria' (Syria), not in 'zenda' (Ruritania)" in text, text[:500]
    assert _get(Client(), _path_of(route, zenda), "theatre=syria").status_code == 404


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for item in items for s in _strings(item)]


def _links(page: str) -> list[str]:
    """Every site link a page emits: hrefs, form targets and the map's config (its layers, downloads, links)."""
    hrefs = [htmllib.unescape(h) for h in re.findall(r'(?:href|action)="([^"]*)"', page)]
    for config in re.findall(r'<script id="[\w-]*config" type="application/json">(.*?)</script>', page, re.S):
        hrefs += [v for v in _strings(json.loads(config)) if v.startswith("/")]
    hrefs += re.findall(r'"(/(?:towns|areas)/\{slug\}/[^"]*)"', page)  # the popups' link patterns
    site = [h for h in hrefs if h.startswith(("/", "?")) and not h.startswith(("/static/", "/favicon", "/admin/"))]
    return [h for h in site if not h.startswith("/api/redoc")]


@pytest.mark.parametrize(
    "route",
    [r for r in PAGES if r.key not in {"map-download", "town-panel", "change-feed", "timelapse"}],  # files, not pages
    ids=lambda r: r.key,
)
def test_every_link_a_theatre_page_emits_keeps_the_theatre(seeded, files, route):  # noqa: F811
    zenda = build_zenda(files)
    page = _get(Client(), _path_of(route, zenda), "theatre=zenda").content.decode()
    links = _links(page)
    assert len(links) >= (3 if route.key == "embed" else 4)  # the embed: its map, popups' links and the full map
    # A form's own target ("" or the page) keeps it in a hidden field; the switcher names each theatre.
    lost = [link for link in links if "theatre=" not in link and link not in ("", "/", "/changes/", "/compare/", "?")]
    assert lost == []
    forms = re.findall(r"<form[^>]*method=\"get\".*?</form>", page, re.S)
    assert all('name="theatre" value="zenda"' in form for form in forms)
    others = [link for link in links if "theatre=" in link and "theatre=zenda" not in link]
    # Only the theatre switcher names another theatre: on the pages that have one, its link to that page.
    switched = {"home": "/", "what-changed": "/changes/", "compare": "/compare/"}
    assert others == (
        [f"{switched[route.key]}?theatre=syria"]
        if route.key in switched
        else []
    )
    # And each answers (a pattern's {date} or {slug} is the script's to fill; the form's own "?" left out).
    client = Client()
    broken = [
        (link, status)
        for link in sorted(set(links))
        if "{" not in link and link.startswith("/") and (status := client.get(link).status_code) != 200
    ]
    assert broken == []


def test_with_one_theatre_pages_and_links_are_those_of_before(seeded):
    client = Client()
    area = AdminArea.objects.order_by("name").first().slug
    for path in ("/", "/changes/", "/factions/", "/towns/raqqa/", f"/areas/{area}/"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.content.decode()
        assert "theatre-switcher" not in html and "theatre=" not in html, path


def test_the_switcher_lists_every_theatre_escaped_and_marks_the_one_shown(seeded, files):  # noqa: F811
    zenda = build_zenda(files)
    zenda.name = "<i>Ruritania</i> & Co"
    zenda.save()
    html = Client().get("/?theatre=zenda").content.decode()
    switcher = html.split('<nav class="theatre-switcher" aria-label="Theatres">')[1].split("</nav>")[0]
    shown = "<strong>&lt;i&gt;Ruritania&lt;/i&gt; &amp; Co</strong>"
    assert f'<a href="/?theatre=zenda" aria-current="page">{shown}</a>' in switcher
    assert '<a href="/?theatre=syria">Syria</a>' in switcher
    assert "<i>" not in html
    # The map at / is the default theatre's (the oldest: Syria), marked as the one shown; the what-changed
    # page switches to that page of each theatre.
    every = Client().get("/").content.decode()
    assert '<a href="/?theatre=syria" aria-current="page">' in every.split("theatre-switcher")[1].split("</nav>")[0]
    changes = Client().get("/changes/?theatre=syria").content.decode()
    assert '<a href="/changes/?theatre=syria" aria-current="page"><strong>Syria</strong></a>' in changes


def _factions_table(html: str) -> dict[str, list[str]]:
    rows = {}
    for slug, cells in re.findall(r'<tr data-faction="([^"]+)">(.*?)</tr>', html, re.S):
        rows[slug] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    return rows


def test_the_factions_page_of_a_theatre_lists_its_factions_counts_and_coalitions(seeded, files):  # noqa: F811
    client = Client()
    before = _factions_table(client.get("/factions/").content.decode())
    zenda = build_zenda(files)
    elphberg = Faction.objects.get(slug="black-elphberg")
    faction_role_set(theatre=zenda, faction=Faction.objects.get(slug="islamic-state"), coalition=elphberg, by=SEED)
    page = client.get("/factions/?theatre=zenda").content.decode()
    rows = _factions_table(page)
    # Only the factions of its record (my call: a faction absent from the theatre is not listed).
    assert set(rows) == {"islamic-state", "black-elphberg"}
    assert rows["black-elphberg"][3] == "2" and rows["islamic-state"][3] == "1"  # towns on 2021-04-10
    assert rows["islamic-state"][2] == "Black Elphberg"  # its coalition in this theatre
    assert "Towns on 2021-04-10" in page and "Factions in Ruritania" in page
    # Syria's page: its factions and counts as before Zenda (the Islamic State's coalition there unchanged).
    syria = _factions_table(client.get("/factions/?theatre=syria").content.decode())
    assert {k: v[:4] for k, v in syria.items()} == {k: v[:4] for k, v in before.items() if k in syria}
    assert "black-elphberg" not in syria and set(syria) <= set(before)
    assert syria["islamic-state"][2] == before["islamic-state"][2]


def test_the_map_file_of_a_theatre_is_its_extent_name_and_layers(seeded, files):  # noqa: F811
    build_zenda(files)
    answer = Client().get("/map.html?theatre=zenda")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="conflictmap-zenda-2021-04-10.html"'
    html = answer.content.decode()
    assert "<title>Control in Ruritania on 2021-04-10 · conflictmap</title>" in html
    assert '"heading": "Control in Ruritania on 10 April 2021"' in html
    assert "[[0.0, 10.0], [1.0, 11.0]]" in html  # the governorates' extent
    assert "Strelsau" in html and "Tarlenheim" in html and "Raqqa" not in html
    assert '"live_url": "http://testserver/?theatre=zenda\\u0026date=2021-04-10"' in html  # the live map, its theatre
    # The popups' links: the town's page in its theatre ("{slug}" kept for the script, not percent-encoded).
    assert '"town": "http://testserver/towns/{slug}/?theatre=zenda"' in html
    assert "Boundaries: Ruritanian Survey" in html
    # With two theatres, the file with none named is the default theatre's (the oldest: Syria), named so.
    syria = Client().get("/map.html?date=2017-09-02")
    assert syria["Content-Disposition"] == 'attachment; filename="conflictmap-syria-2017-09-02.html"'
    assert '"town": "http://testserver/towns/{slug}/?theatre=syria"' in syria.content.decode()


def test_the_town_panel_links_its_page_in_its_theatre(seeded, files):  # noqa: F811
    zenda = build_zenda(files)
    strel = Town.objects.get(slug="strel")
    panel = json.loads(Client().get(f"/towns/{strel.pk}/panel.json?theatre=zenda").content)
    assert panel["url"] == "/towns/strel/?theatre=zenda"
    assert [h["faction"] for h in panel["history"]] == ["islamic-state"]
    raqqa = Town.objects.get(slug="raqqa")
    other = Client().get(f"/towns/{raqqa.pk}/panel.json?theatre={zenda.slug}")
    assert other.status_code == 404 and "not in 'zenda' (Ruritania)" in other.json()["detail"]


@pytest.mark.parametrize("route", [r for r in PAGES if "<" not in r.pattern], ids=lambda r: r.key)
def test_every_page_of_a_theatre_with_nothing_yet_answers(seeded, route):
    Theatre.objects.create(slug="empty", name="Nowhere yet")
    answer = _get(Client(), _path(route.pattern, {}), "theatre=empty")
    assert answer.status_code == 200, (route.key, answer.content[:300])


def test_a_theatres_map_asked_to_open_another_theatres_town_says_so(seeded, files):  # noqa: F811
    build_zenda(files)
    html = htmllib.unescape(Client().get("/?theatre=zenda&town=raqqa").content.decode())
    assert "The town 'raqqa' is in the theatre 'syria' (Syria), not in 'zenda' (Ruritania)." in html
    assert '"town": null' in html
    assert '"town": {"id": ' in Client().get("/?theatre=zenda&town=strel").content.decode()


@pytest.mark.parametrize("route", [r for r in PAGES if re.search(r"<(slug|int):", r.pattern)], ids=lambda r: r.key)
def test_a_town_or_area_of_a_theatre_links_in_it_unasked(seeded, files, route):  # noqa: F811
    """With several theatres, a town's or area's page (and panel) belongs to its theatre even when the
    URL names none: its links back to the map, what-changed and the downloads carry it."""
    zenda = build_zenda(files)
    answer = Client().get(_path_of(route, zenda))
    assert answer.status_code == 200
    if route.key == "town-panel":
        assert answer.json()["url"] == "/towns/strel/?theatre=zenda"
        return
    links = [link for link in _links(answer.content.decode()) if link not in ("", "?")]
    assert links and all("theatre=zenda" in link for link in links), links


@pytest.mark.parametrize("path", ["/", "/embed/"])
def test_a_theatres_map_opens_on_its_last_date_without_summing_every_theatres_log(
    seeded, files, path,  # noqa: F811
):
    # The map and the embed open on the theatre's last change date, found by walking the date index back,
    # not from theatre_summaries: its grouped pass over the whole log (/api/theatres/) took ~3 s after each
    # write at 1,000,000 changes, on every map's first request.
    build_zenda(files)
    with CaptureQueriesContext(connection) as queries:
        page = Client().get(f"{path}?theatre=zenda")
    assert page.status_code == 200
    assert "2021-04-10" in page.content.decode()  # Zenda's last change, not Syria's 2017 dates
    sql = [q["sql"] for q in queries.captured_queries]
    assert [q for q in sql if "GROUP BY" in q and "events_controlchange" in q] == []
