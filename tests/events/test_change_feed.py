"""/feeds/changes.atom: valid Atom (read by feedparser and checked element by element), one entry per
publication and per retraction, newest first, filters, pages, caching, and bad input answered 400/404."""

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser
import pytest
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from events import feeds, services
from events.models import ControlChange, Faction
from geodata.models import AdminArea, Town
from tests.factories import SYSTEM, ControlChangeFactory, SourceFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
URL = "/feeds/changes.atom"
D = dt.date


def _get(client, query: str = ""):
    response = client.get(URL + query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    return response


def _parsed(client, query: str = ""):
    parsed = feedparser.parse(_get(client, query).content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _titles(client, query: str = "") -> list[str]:
    return [e.title for e in _parsed(client, query).entries]


def _published_changes():
    return ControlChange.objects.filter(state__in=["published", "retracted"])


def test_feed_is_valid_atom_with_an_entry_per_published_change(seeded, client):
    body = _get(client).content
    root = ET.fromstring(body)
    # RFC 4287's required elements: the feed's id, title, updated and an author; each entry's id,
    # title, updated, and content or an alternate link (it has both).
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == _published_changes().count() > 0
    ids = []
    for entry in entries:
        for name in ("id", "title", "updated", "content"):
            assert (entry.find(f"{ATOM}{name}").text or "").strip(), name
        assert dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text).tzinfo is not None
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert urlsplit(link).path.startswith("/towns/")
        ids.append(entry.find(f"{ATOM}id").text)
    assert len(set(ids)) == len(ids)
    parsed = feedparser.parse(body)
    assert not parsed.bozo and parsed.version == "atom10"


def test_title_names_the_town_both_sides_and_the_date(seeded, client):
    titles = _titles(client)
    is_, gov = (Faction.objects.get(slug=s).name for s in ("islamic-state", "pro-government"))
    assert f"Uqayribat: {is_} → {gov} (3 Sep 2017)" in titles
    assert f"Uqayribat: {gov} → {is_}, contested by {gov} (2 Sep 2017)" in titles
    link = next(e.link for e in _parsed(client).entries if e.title.startswith("Uqayribat"))
    assert urlsplit(link).path == Town.objects.get(slug="uqayribat").get_absolute_url()


def test_newest_first_and_a_retraction_is_an_entry_of_its_own(seeded, client):
    raqqa = Town.objects.get(slug="raqqa")
    gov = Faction.objects.get(slug="pro-government")
    wrong = ControlChangeFactory(town=raqqa, faction=gov, effective_date=D(2017, 9, 4))
    later = ControlChangeFactory(town=Town.objects.get(slug="tabqa"), faction=gov, effective_date=D(2017, 9, 4))
    services.control_change_retract(change=wrong, by=SYSTEM, reason="Misread <b>dispatch</b>")
    entries = _parsed(client).entries
    updated = [dt.datetime.fromisoformat(e.updated) for e in entries]
    assert updated == sorted(updated, reverse=True)
    ids = [e.id for e in entries]
    assert ids[:3] == [
        f"tag:testserver,2017:conflictmap/change/{pk}/{kind}"
        for pk, kind in ((wrong.pk, "retracted"), (later.pk, "published"), (wrong.pk, "published"))
    ]
    retraction = entries[0]
    assert retraction.title.startswith("Retracted: Raqqa: ")
    # The reason is escaped: its markup reaches the reader as text.
    assert "Misread &lt;b&gt;dispatch&lt;/b&gt;" in retraction.content[0].value
    assert updated[0] > updated[2]


def test_content_is_escaped(seeded, client):
    source = SourceFactory(title="<script>alert(1)</script>", publisher="A & B", url='https://example.org/?a=1&b="x"')
    ControlChangeFactory(
        town=Town.objects.get(slug="raqqa"),
        faction=Faction.objects.get(slug="sdf"),
        effective_date=D(2017, 9, 4),
        sources=[source],
        note="<img src=x onerror=alert(1)>",
    )
    entry = ET.fromstring(_get(client).content).find(f"{ATOM}entry")
    html = entry.find(f"{ATOM}content").text  # the entry's HTML, as a feed reader renders it
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "A &amp; B" in html
    assert 'href="https://example.org/?a=1&amp;b=&quot;x&quot;"' in html


def test_theatre_filter_and_unknown_theatre(seeded, client):
    assert len(_titles(client, "?theatre=syria")) == _published_changes().count()
    response = client.get(URL + "?theatre=atlantis")
    assert response.status_code == 404
    assert "atlantis" in response.content.decode()


def test_area_filter_takes_its_districts_towns(seeded, client):
    hama = AdminArea.objects.get(slug="hama")
    in_hama = _published_changes().filter(
        town__admin_area_id__in=[hama.pk, *AdminArea.objects.filter(parent=hama).values_list("pk", flat=True)]
    )
    titles = _titles(client, "?area=hama")
    assert len(titles) == in_hama.count() > 0
    assert any(t.startswith("Uqayribat: ") for t in titles)
    assert not any(t.startswith("Raqqa: ") for t in titles)
    # A district: its towns only, and fewer than its governorate's.
    district = AdminArea.objects.get(pk=Town.objects.get(slug="uqayribat").admin_area_id)
    if district.parent_id:
        assert 0 < len(_titles(client, f"?area={district.slug}")) <= len(titles)
    response = client.get(URL + "?area=nowhere")
    assert response.status_code == 404 and "nowhere" in response.content.decode()


def test_faction_filter_takes_the_gaining_and_the_losing_side(seeded, client):
    is_ = Faction.objects.get(slug="islamic-state")
    titles = _titles(client, "?faction=islamic-state")
    assert f"Uqayribat: {is_.name} → {Faction.objects.get(slug='pro-government').name} (3 Sep 2017)" in titles
    assert all(is_.name in t for t in titles)
    assert _titles(client, "?faction=Daesh") == titles  # an alias names the same faction
    combined = _titles(client, "?faction=islamic-state&area=hama")
    assert combined and set(combined) <= set(titles)
    response = client.get(URL + "?faction=nobody")
    assert response.status_code == 404 and "nobody" in response.content.decode()


def test_pages_follow_next_links_without_loss_or_repeat(seeded, client, monkeypatch):
    # The seed is published in one import: every entry shares one moment, so the cursor's tie-break counts.
    wrong = ControlChangeFactory(
        town=Town.objects.get(slug="raqqa"), faction=Faction.objects.get(slug="sdf"), effective_date=D(2017, 9, 4)
    )
    services.control_change_retract(change=wrong, by=SYSTEM, reason="duplicate")
    everything = [e.id for e in _parsed(client).entries]
    monkeypatch.setattr(feeds, "ENTRIES_PER_PAGE", 7)
    cache.clear()  # the whole feed is kept per revision and address
    seen, query, pages = [], "", 0
    while True:
        parsed = _parsed(client, query)
        seen += [e.id for e in parsed.entries]
        pages += 1
        following = [link.href for link in parsed.feed.links if link.rel == "next"]
        if not following:
            break
        assert len(parsed.entries) == 7
        parts = urlsplit(following[0])
        assert parts.path == URL
        query = "?" + parts.query
    assert seen == everything
    assert pages == -(-len(everything) // 7)


def test_before_a_moment_leaves_out_later_entries(seeded, client):
    late = ControlChangeFactory(
        town=Town.objects.get(slug="raqqa"), faction=Faction.objects.get(slug="sdf"), effective_date=D(2017, 9, 4)
    )
    assert f"/change/{late.pk}/published" in _parsed(client).entries[0].id
    moment = late.reviewed_at.isoformat().replace("+", "%2B")
    ids = [e.id for e in _parsed(client, f"?before={moment}").entries]
    assert len(ids) == _published_changes().count() - 1
    assert not any(f"/change/{late.pk}/" in i for i in ids)
    assert _parsed(client, "?before=2000-01-01").entries == []


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("?before=yesterday", "before"),
        ("?before=2017-09-02T18:00:00", "before"),  # a time without its zone
        ("?before=0001-01-01T00:00:00%2B01:00", "before"),  # before year 1 in UTC
        ("?before=2017-09-02,99999999999999999999999,published", "before"),
        ("?before=2017-09-02,12,edited", "before"),
        ("?before=2017-09-02,%C2%B3,published", "before"),
        ("?page=2", "page"),
    ],
)
def test_bad_parameters_are_400_naming_them(seeded, client, query, parameter):
    response = client.get(URL + query)
    assert response.status_code == 400
    assert parameter in response.content.decode()


def test_etag_answers_304_until_a_write(seeded, client):
    first = _get(client)
    again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.get(URL + "?faction=sdf", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    change = ControlChangeFactory(
        town=Town.objects.get(slug="raqqa"), faction=Faction.objects.get(slug="sdf"), effective_date=D(2017, 9, 4)
    )
    after = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert f"/change/{change.pk}/published" in feedparser.parse(after.content).entries[0].id


def test_a_page_of_the_longest_entries_stays_under_a_megabyte(seeded, client):
    raqqa, sdf = Town.objects.get(slug="raqqa"), Faction.objects.get(slug="sdf")
    sources = [
        SourceFactory(publisher="&" * 200, title="<" * 500, url="https://example.org/?" + "&" * 900)
        for _ in range(feeds.SOURCES_SHOWN + 2)
    ]
    for day in range(feeds.ENTRIES_PER_PAGE):
        ControlChangeFactory(
            town=raqqa,
            faction=sdf,
            effective_date=D(2017, 9, 5) + dt.timedelta(days=day),
            sources=sources,
            note="<" * 5000,
        )
    # Cut to fit: fewer entries on the page, the rest on the next.
    parsed = _parsed(client)
    assert len(_get(client).content) < 1_000_000
    assert 0 < len(parsed.entries) < feeds.ENTRIES_PER_PAGE
    assert any(link.rel == "next" for link in parsed.feed.links)


def test_map_and_what_changed_pages_link_the_feed(seeded, client):
    for page in ("/", "/changes/", "/?theatre=syria"):
        html = client.get(page).content.decode()
        assert 'rel="alternate" type="application/atom+xml"' in html, page
    assert 'href="/feeds/changes.atom?theatre=syria"' in client.get("/?theatre=syria").content.decode()


def test_as_published_shows_what_a_reader_could_see_at_the_moment(seeded, client, monkeypatch):
    """?as_published=T: publications public by T and retractions made by T; a second after, not (the boundary)."""
    published, retracted = dt.datetime(2017, 9, 4, 12, tzinfo=dt.UTC), dt.datetime(2017, 9, 4, 9, tzinfo=dt.UTC)
    second = dt.timedelta(seconds=1)
    ControlChange.objects.update(reviewed_at=published - dt.timedelta(days=200), public_from=F("reviewed_at"))
    gov, sdf = Faction.objects.get(slug="pro-government"), Faction.objects.get(slug="sdf")
    late = ControlChangeFactory(town=Town.objects.get(slug="tabqa"), faction=gov, effective_date=D(2017, 9, 4))
    wrong = ControlChangeFactory(town=Town.objects.get(slug="raqqa"), faction=sdf, effective_date=D(2017, 9, 2))
    services.control_change_retract(change=wrong, by=SYSTEM, reason="misread")
    ControlChange.objects.filter(pk=late.pk).update(reviewed_at=published, public_from=published)
    day_before = retracted - dt.timedelta(days=1)
    ControlChange.objects.filter(pk=wrong.pk).update(
        reviewed_at=day_before, public_from=day_before, retracted_at=retracted
    )

    def ids(moment: dt.datetime) -> list[str]:
        moment_q = moment.isoformat().replace("+", "%2B")
        return [e.id.rsplit("/change/", 1)[1] for e in _parsed(client, f"?as_published={moment_q}").entries]

    assert ids(published)[:2] == [f"{late.pk}/published", f"{wrong.pk}/retracted"]
    assert f"{late.pk}/published" not in ids(published - second)
    assert ids(retracted)[0] == f"{wrong.pk}/retracted"
    before_retraction = ids(retracted - second)
    assert f"{wrong.pk}/retracted" not in before_retraction and before_retraction[0] == f"{wrong.pk}/published"
    # Now: everything, the later publication first.
    assert _titles(client)[0].startswith("Tabqa: ")
    # The next page's link keeps the moment.
    monkeypatch.setattr(feeds, "ENTRIES_PER_PAGE", 1)
    cache.clear()
    moment_q = (retracted - second).isoformat().replace("+", "%2B")
    parsed = _parsed(client, f"?as_published={moment_q}")
    following = urlsplit(next(link.href for link in parsed.feed.links if link.rel == "next"))
    assert "as_published=" in following.query
    following_ids = [e.id for e in _parsed(client, "?" + following.query).entries]
    assert following_ids and all(f"/change/{late.pk}/" not in i for i in following_ids)


def _sax_items(self, handler):
    """Atom1Feed's own way of writing the entries (a SAX call per element), with the entry's HTML content."""
    for item in self.items:
        handler.startElement("entry", self.item_attributes(item))
        Atom1Feed.add_item_elements(self, handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})
        handler.endElement("entry")


def test_entries_are_written_as_the_syndication_framework_writes_them(seeded, client, monkeypatch):
    """The feed writes each entry as one string: the bytes are Atom1Feed's, markup and quotes in every value."""
    source = SourceFactory(title="<b>'quoted' \"twice\"</b>", publisher="A & B", url="https://example.org/?a=1&b='x'")
    gov = Faction.objects.get(slug="pro-government")
    raqqa = Town.objects.get(slug="raqqa")
    wrong = ControlChangeFactory(
        town=raqqa,
        faction=gov,
        status="contested",
        contested_by=Faction.objects.get(slug="sdf"),
        effective_date=D(2017, 9, 4),
        sources=[source],
        note="x < y & \"z\" > 'w'",
    )
    services.control_change_retract(change=wrong, by=SYSTEM, reason="<i>misread</i> & 'duplicated'")
    written = _get(client).content
    cache.clear()
    monkeypatch.setattr(feeds.PagedAtomFeed, "write_items", _sax_items)
    assert _get(client).content == written


def _feed_queries(query: str = "", **kwargs) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.selectors import as_known_at
    from events.selectors.feed import change_feed_entries

    moment = kwargs.pop("known_at", None)
    with CaptureQueriesContext(connection) as queries, as_known_at(moment):
        entries, _ = change_feed_entries(limit=5, **kwargs)
    assert entries
    return [q["sql"] for q in queries.captured_queries]


def _page_queries(sqls: list[str]) -> list[str]:
    """The queries that read a page's range of publications or retractions (ordered by their moment)."""
    return [sql for sql in sqls if "ORDER BY" in sql and "LIMIT 6" in sql]


def _replaced_queries(sqls: list[str]) -> list[str]:
    """The queries that carry the rule's subquery for the change each entry replaced."""
    return [sql for sql in sqls if "(SELECT" in sql and "LIMIT 1)" in sql]


def test_the_change_each_entry_replaced_is_read_once_for_the_page(seeded):
    """Without a faction filter the page's ranges read keys only, and the rule's subquery for the replaced change
    is sent once, for the page's own changes, with the factions' names: read with each kind's range, it was
    compiled and sent twice, for up to twice the page, and the names in a query of their own (most of a cold
    page's Python time at a million changes on PostgreSQL). With a faction filter the ranges need it too."""
    faction = Faction.objects.get(slug="sdf")
    sqls = _feed_queries()
    (replaced,) = _replaced_queries(sqls)
    assert not _replaced_queries(_page_queries(sqls)), sqls
    # The coarse towns, the two ranges, the page's changes, their towns, their sources.
    assert len(sqls) == 6, sqls
    assert not [sql for sql in sqls if sql.startswith('SELECT "events_faction"')], sqls
    by_faction = _feed_queries(faction_ids={faction.pk})
    assert len(_replaced_queries(by_faction)) == 3, by_faction
    assert len(_replaced_queries(_page_queries(by_faction))) == 2, by_faction


def test_the_page_is_read_from_the_change_table_before_its_towns(seeded):
    """The page's keys come from the change table alone (each kind a range of its moment's index), the towns'
    names after, for those ids: joined in one query, PostgreSQL planned the town join on its estimate of the
    filtered range (one row for "the faction, or the one it replaced": a sequential scan of the towns per row)."""
    faction = Faction.objects.get(slug="sdf")
    for kwargs in ({}, {"faction_ids": {faction.pk}}):
        pages = _page_queries(_feed_queries(**kwargs))
        assert len(pages) == 2, pages
        for sql in pages:
            assert '"geodata_town"' not in sql and '"events_faction"' not in sql, sql


@pytest.mark.postgresql_only("PostgreSQL's plan of the rule's subquery (SQLite has no row comparison to plan)")
def test_postgresql_walks_a_town_s_index_back_from_each_entry_to_the_change_it_replaced(seeded):
    """The replaced change as published at a moment: one range of change_town_asof_idx starting at the entry's
    own key (a row comparison), the rule's terms as column tests PostgreSQL estimates from statistics. The
    three-way OR and COALESCE(...) terms had it read all of a town's earlier changes and sort them (a fixed
    guess of a third per COALESCE term made the rule's rows one in its estimate): 0.2 ms an entry at a million
    changes, against 0.01 walked."""
    from django.db import connection

    moment = timezone.now()
    (sql,) = _replaced_queries(_feed_queries(known_at=moment))
    replaced = sql.split("(SELECT", 1)[1]
    assert "COALESCE" not in replaced, replaced
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ROW(effective_date, day_part, id) < ROW(" in plan, plan
