"""The public pages through Django's test client (the browser tests cover the map's behaviour)."""

import json
import re
from html import unescape

import pytest

from events.models import Source
from geodata.models import AdminArea
from tests.factories import ControlChangeFactory, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _map_config(response) -> dict:
    html = response.content.decode()
    raw = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


def _asset_urls(html: str) -> list[str]:
    # Scripts and styles; a rel="alternate" link names another document (the change feed), not an asset.
    return re.findall(r'<(?:script|link)(?![^>]*rel="alternate")[^>]+(?:src|href)="([^"]+)"', html)


def test_map_page_keeps_the_date_and_links_the_change_dates(client, seeded):
    response = client.get("/?date=2017-09-02")
    assert response.status_code == 200
    config = _map_config(response)
    assert config["date"] == "2017-09-02"
    # The list of dates is not in the page: the time control fetches it, pinned to the page's revision.
    assert "dates" not in config
    assert config["datesUrl"] == f"/api/change-dates.json?rev={config['revision']}"
    dates = client.get(config["datesUrl"])
    assert dates.status_code == 200 and "immutable" in dates["Cache-Control"]
    assert dates.json()["dates"][-3:] == ["2017-09-01", "2017-09-02", "2017-09-03"]
    assert config["endpoints"] == {
        "towns": "/api/control.geojson",
        "provinces": "/api/provinces.geojson",
        "districts": "/api/provinces.geojson?level=2",
        "areas": "/api/control-areas.geojson?layer=all",
    }
    assert 'value="2017-09-02"' in response.content.decode()


@pytest.mark.parametrize("raw", ["20170903", "2017-W35-7", "2017-09-03T00:00", "2017-13-45"])
def test_pages_take_dates_only_in_the_api_form(client, seeded, raw):
    # The API's parser: a page must not show a date for input the API (and the download) would refuse.
    assert client.get("/api/control.geojson", {"date": raw}).status_code == 400
    for path, name in (("/", "date"), ("/map.html", "date"), ("/areas/hama/", "date"), ("/changes/", "from")):
        response = client.get(path, {name: raw})
        assert response.status_code == 400, path
        assert f"'{raw}' is not a date in YYYY-MM-DD form" in unescape(response.content.decode()), path


def test_map_page_offers_the_dates_downloads(client, seeded):
    response = client.get("/?date=2017-09-02")
    html = response.content.decode()
    links = dict(re.findall(r'<a id="((?:tc|dl)-[\w-]+)" href="([^"]+)" download>', html))
    assert links == {
        "tc-download": "/map.html?date=2017-09-02",
        "dl-towns": "/api/control.geojson?date=2017-09-02&amp;download=1",
        "dl-provinces": "/api/provinces.geojson?date=2017-09-02&amp;download=1",
        "dl-areas": "/api/control-areas.geojson?date=2017-09-02&amp;download=1",
        "dl-changes": "/api/changes.csv?from=2014-01-01&amp;to=2017-09-02&amp;download=1",
        "dl-timelapse": "/timelapse.gif?around=2017-09-02&amp;download=1",
    }
    assert "Every change from 2014-01-01 to 2017-09-02 (CSV)" in html
    # Each link is a file for that date, offered as a download.
    for name, href in links.items():
        got = client.get(href.replace("&amp;", "&"))
        assert got.status_code == 200, name
        assert got["Content-Disposition"].startswith("attachment;"), name
        if name == "dl-timelapse":  # a range of change dates around the date: the file names its ends
            start, end = re.search(r"(\d{4}-\d\d-\d\d)-(\d{4}-\d\d-\d\d)\.gif", got["Content-Disposition"]).groups()
            assert start < "2017-09-02" < end, got["Content-Disposition"]
            continue
        assert "2017-09-02" in got["Content-Disposition"], name
    rows = client.get("/api/changes.csv?from=2014-01-01&to=2017-09-02").getvalue().decode().splitlines()
    assert max(r.split(",")[1] for r in rows[1:]) == "2017-09-02"
    # The script rebuilds the same links from the page's configuration when the date changes.
    config = _map_config(response)
    assert [d["id"] for d in config["downloads"]] == list(links)
    for d in config["downloads"]:
        assert d["href"].replace(config["dateToken"], "2017-09-02") == links[d["id"]].replace("&amp;", "&")


def test_map_page_defaults_to_latest_change_date(client, seeded):
    assert _map_config(client.get("/"))["date"] == "2017-09-03"


def test_map_page_bad_date_is_a_clear_error(client, seeded):
    response = client.get("/?date=2017-13-45")
    assert response.status_code == 400
    assert "is not a date in YYYY-MM-DD form" in response.content.decode()


def test_map_page_does_not_embed_the_towns_and_uses_no_cdn(client, seeded):
    html = client.get("/?date=2017-09-02").content.decode()
    assert "Uqayribat" not in html  # town data comes from the API, not the page
    urls = _asset_urls(html)
    assert urls, "the page should load its scripts and styles"
    assert all(u.startswith("/static/") or u.startswith("data:") for u in urls), urls
    assert "/static/vendor/leaflet/leaflet.js" in urls
    for dropped in ("bootstrap", "font-awesome", "awesome-markers", "jquery", "cdn", "://"):
        assert not any(dropped in u for u in urls), dropped


def test_every_asset_the_map_page_uses_is_served(client, seeded):
    html = client.get("/").content.decode()
    for url in _asset_urls(html):
        if url.startswith("/static/"):
            response = client.get(url)
            assert response.status_code == 200, url
            b"".join(response.streaming_content if response.streaming else [response.content])


def test_show_on_map_link_carries_town_and_date(client, seeded):
    html = client.get("/towns/uqayribat/").content.decode()
    assert 'href="/?date=2017-09-03&amp;town=uqayribat"' in html
    config = _map_config(client.get("/?date=2017-09-03&town=uqayribat"))
    assert config["town"]["slug"] == "uqayribat"


def test_unknown_town_on_map_is_reported(client, seeded):
    response = client.get("/?town=atlantis")
    assert "No town has the identifier" in response.content.decode()
    assert _map_config(response)["town"] is None


def test_town_page_shows_history_with_sources(client, seeded):
    html = client.get("/towns/uqayribat/").content.decode()
    assert "Oqeirbat" in html
    history = html.split('class="data-table history-table"')[1]
    for date in ("2014-01-01", "2017-09-01", "2017-09-02", "2017-09-03"):
        assert date in history
    assert "Daesh and pro-government forces fight for Uqayribat in eastern Hama" in history


def test_town_panel_json(client, seeded):
    from geodata.models import Town

    town = Town.objects.get(slug="uqayribat")
    data = client.get(f"/towns/{town.pk}/panel.json").json()
    assert data["name"] == "Uqayribat" and "عقيربات" in data["alt_names"]
    assert [h["date"] for h in data["history"]] == ["2014-01-01", "2017-09-01", "2017-09-02", "2017-09-03"]
    assert data["history"][2]["status"] == "contested" and data["history"][2]["contested_by"] == "pro-government"
    assert data["history"][1]["sources"][0]["publisher"]
    assert client.get("/towns/999999/panel.json").status_code == 404


def test_names_and_links_are_escaped(client, seeded):
    town = TownFactory(name=HOSTILE, slug="hostile", admin_area=AdminArea.objects.get(slug="hama"))
    faction = FactionFactory(name="<b>bold</b>", slug="bold")
    # A URL the services refuse, written straight to the table: data may carry it, no page may link it.
    source = Source.objects.create(publisher="Test Wire", title="<i>t</i>", url="javascript:alert(1)")
    ControlChangeFactory(town=town, faction=faction, sources=[source])
    pages = ("/towns/hostile/", "/factions/", "/changes/?from=2017-08-31&to=2017-09-02", "/?date=2017-09-02",
             "/areas/hama/?date=2017-09-02")  # the area page's rows are joined in Python (events.area_rows)
    for url in pages:
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "<b>bold</b>" not in html, url
        assert 'href="javascript:' not in html, url  # data may carry it; no page links it
    assert ESCAPED in client.get("/areas/hama/?date=2017-09-02").content.decode()
    town_html = client.get("/towns/hostile/").content.decode()
    assert ESCAPED in town_html and "&lt;b&gt;bold&lt;/b&gt;" in town_html
    panel = client.get(f"/towns/{town.pk}/panel.json").json()
    assert panel["name"] == HOSTILE and panel["history"][0]["sources"][0]["url"] is None


def test_download_is_one_self_contained_file(client, seeded):
    response = client.get("/map.html?date=2017-09-02")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="conflictmap-2017-09-02.html"'
    html = response.content.decode()
    assert "Uqayribat" in html and '"area_km2"' in html and '"shares"' in html  # all three layers embedded
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="(?!data:)', html)  # nothing to fetch
    assert "L.map(" in html and "conflictmap.configure" in html
    assert client.get("/map.html?date=nope").status_code == 400


def test_pages_answer(client, seeded):
    for url in ("/factions/", "/changes/", "/changes/?from=2017-08-31&to=2017-09-03", "/areas/hama/",
                "/areas/hama/?date=2017-09-02"):
        assert client.get(url).status_code == 200, url
    assert client.get("/areas/nowhere/").status_code == 404
    assert client.get("/towns/nowhere/").status_code == 404


def test_what_changed_lists_handovers_and_km2_per_faction(client, seeded):
    response = client.get("/changes/?from=2017-08-31&to=2017-09-01")
    assert response.status_code == 200
    context = response.context
    assert [h.town.slug for h in context["handovers"]] == ["raqqa", "uqayribat"]
    rows = {r["faction_name"]: r for r in context["territory"]["factions"]}
    government, islamic_state = rows["Syrian government and allied forces"], rows["Islamic State"]
    assert government["gained_km2"] > 0 and islamic_state["lost_km2"] > 0
    assert government["net_km2"] > 0 > islamic_state["net_km2"]
    html = response.content.decode()
    assert "Uqayribat" in html and "km²" in html
    assert "folium-map" in html


def test_what_changed_bad_dates_are_reported(client, seeded):
    response = client.get("/changes/?from=2017-09-03&to=2017-09-01")
    assert response.status_code == 400
    assert "is after" in response.content.decode()
    assert client.get("/changes/?from=yesterday").status_code == 400


def test_factions_page_charts_towns_km2_and_population(client, seeded):
    response = client.get("/factions/")
    charts = response.context["charts"]
    assert [c.title for c in charts] == ["Towns held", "Territory", "Population of towns held"]
    towns_chart = charts[0]
    names = {s.name for s in towns_chart.series}
    assert {"Islamic State", "Syrian Democratic Forces", "Contested"} <= names
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 3
    # One column per step on each chart, each split into its classes' parts.
    assert all(len(c.columns) == len(charts[0].columns) > 3 for c in charts)
    assert html.count('<rect class="hover"') == 3 * len(charts[0].columns) and html.count('<path class="part"') > 3 * 3
    assert "Daesh" in html  # aliases


def test_governorate_page_towns_and_shares_over_time(client, seeded):
    response = client.get("/areas/hama/?date=2017-09-02")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-town="uqayribat"' in html
    table = response.context["table"]
    assert [row["date"].isoformat() for row in table][-3:] == ["2017-09-01", "2017-09-02", "2017-09-03"]
    assert response.context["chart"] is not None


def _queries(client, url: str, django_assert_max_num_queries) -> int:
    """How many queries ``url`` runs from a cold cache."""
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(200) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _more_change_dates(town_slug: str, count: int) -> None:
    import datetime as dt

    from events.models import Faction
    from geodata.models import Town

    town, factions = Town.objects.get(slug=town_slug), list(Faction.objects.order_by("slug"))
    for i in range(count):
        ControlChangeFactory(town=town, faction=factions[i % len(factions)],
                             effective_date=dt.date(2018, 1, 1) + dt.timedelta(days=i))


def test_governorate_page_shares_over_time_need_no_geometry_per_date(client, seeded, django_assert_max_num_queries):
    import datetime as dt

    from events import territory
    from events.models import Faction

    url = "/areas/hama/?date=2017-09-02"
    before = _queries(client, url, django_assert_max_num_queries)
    _more_change_dates("uqayribat", 5)
    # Five more dates in the shares table, and not one more query: nothing is computed per date.
    assert _queries(client, url, django_assert_max_num_queries) == before
    response = client.get(url)
    assert len(response.context["table"]) >= 5 + 3
    table = response.context["table"]
    columns = response.context["columns"]
    sep_2 = next(row for row in table if row["date"].isoformat() == "2017-09-02")
    expected = territory.province_control_as_of(on=dt.date(2017, 9, 2)).set_index("slug").loc["hama", "shares"]
    names = {f.slug: f.name for f in Faction.objects.all()}
    assert dict(zip(columns, sep_2["cells"], strict=True)) == {
        **dict.fromkeys(columns, 0), **{names[s]: round(100 * v) for s, v in expected.items()}
    }


def test_factions_page_territory_starts_small_and_draws_no_polygons(client, seeded, django_assert_max_num_queries):
    before = _queries(client, "/factions/", django_assert_max_num_queries)
    _more_change_dates("palmyra", 4)
    # Four more dates on the charts and no more queries: no time slice, so no control areas, per date.
    assert _queries(client, "/factions/", django_assert_max_num_queries) == before
    response = client.get("/factions/")
    territory_chart = response.context["charts"][1]
    first = territory_chart.columns[0]
    islamic_state = next(part for part in first.segments if part.name == "Islamic State")
    first_y = islamic_state.y
    # The first change date (2014) knows one town: IS's first step sits near the axis, not at ~190k km².
    assert territory_chart.plot_bottom - first_y < 0.1 * (territory_chart.plot_bottom - territory_chart.plot_top)


@pytest.mark.parametrize("url", [
    "/?date=9999-12-31", "/areas/hama/?date=9999-12-31", "/changes/?to=9999-12-31", "/map.html?date=9999-12-31",
])
def test_pages_refuse_a_future_date_as_the_api_does(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "is in the future" in response.content.decode()


@pytest.mark.parametrize("url", ["/?date=garbage", "/areas/hama/?date=garbage", "/map.html?date=garbage"])
def test_pages_answer_a_bad_date_with_400_and_the_reason(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode()
