"""``/feeds/changes.atom``: each published change and each retraction as an Atom entry, newest first.

Django's syndication framework writes the Atom (its feed elements; each entry is written as one string,
the same bytes as its Atom1Feed, tested); this module reads the query (``theatre``, ``area``,
``faction``, ``before``), caches the bytes per data revision and query, and answers 304 to a
reader whose ETag is current. A page holds ENTRIES_PER_PAGE entries and links the next one
(RFC 5005's ``rel="next"``) by the key of its last entry, so a deep page is as cheap as the first.
"""

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from html import escape as esc  # django.utils.html.escape's own, without the SafeString it returns
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed, rfc3339_date
from django.utils.http import RFC3986_SUBDELIMS, http_date, quote_etag
from django.utils.translation import get_language
from django.utils.xmlutils import UnserializableContentError

from conflictmap.throttles import build_check
from geodata.models import AdminArea, Theatre

from . import selectors
from .date_labels import date_label
from .models import ControlChange
from .params import ParameterError, parse_faction, parse_theatre, whole_number
from .selectors.feed import PUBLISHED, RETRACTED, FeedEntry, FeedKey, change_feed_entries

_CONTROL = re.compile(r"[\x00-\x08\x0B-\x0C\x0E-\x1F]")  # what XML 1.0 cannot hold (SimplerXMLGenerator's test)
_CONFIDENCE = dict(ControlChange._meta.get_field("confidence").flatchoices)  # as get_confidence_display()
ENTRIES_PER_PAGE = 100
SOURCES_SHOWN = 3  # per entry; the town page lists them all
NOTE_CHARS = 500  # a note's first characters; the town page has the rest
PAGE_BYTES = 1_000_000  # a page a feed reader fetches, whatever its entries hold
PARAMETERS = ("theatre", "area", "faction", "before")
# Read by events.as_published's middleware (the record as published at a moment); kept on the next page's link.
MOMENT_PARAMETERS = ("as_published", "release")


class FeedNotFound(Exception):
    """A filter names nothing (a theatre, area or faction): 404 saying which."""


@dataclass(frozen=True)
class FeedQuery:
    theatre: Theatre | None
    area: AdminArea | None
    area_ids: list[int] | None
    faction_ids: set[int] | None
    before: FeedKey | None
    params: dict[str, str]  # the filters as given (for the next page's link)


def _parse_before(raw: str | None) -> FeedKey | None:
    """``before``: the next-page link's cursor (``<moment>,<change id>,<published|retracted>``), or a moment
    alone (ISO 8601 with a time zone, or a YYYY-MM-DD day in the site's time zone): entries before it."""
    if raw is None:
        return None
    moment, _, rest = raw.partition(",")
    at: dt.datetime | None
    try:
        at = dt.datetime.fromisoformat(moment)
        if timezone.is_naive(at):  # a day alone is read in the site's time zone; a time needs its zone
            at = None if "T" in moment else timezone.make_aware(at)
        at = at and at.astimezone(dt.UTC)  # the database's form (and an overflow is caught here, not there)
    except (ValueError, OverflowError):
        at = None
    change_id, _, kind = rest.partition(",")
    number = whole_number(change_id)
    if at is None or (rest and (number is None or number >= 2**63 or kind not in (PUBLISHED, RETRACTED))):
        raise ParameterError(
            "before",
            f"'before': '{raw}' is not a point in the feed; give a moment with its "
            "time zone (e.g. 2017-09-02T18:00:00+00:00), a day, or the 'next' link's value.",
        )
    if not rest or number is None:  # a moment alone: every entry at it or later is left out
        return FeedKey(at, 0, PUBLISHED)
    return FeedKey(at, number, kind)


def feed_query(params) -> FeedQuery:
    """The feed's query, checked: FeedNotFound for a name that names nothing, ParameterError for bad input."""
    unknown = sorted(set(params) - set(PARAMETERS) - set(MOMENT_PARAMETERS))
    if unknown:
        raise ParameterError(
            unknown[0],
            f"'{unknown[0]}' is not a parameter of this feed; use {', '.join(PARAMETERS + MOMENT_PARAMETERS)}.",
        )
    try:
        theatre = parse_theatre(params)
        faction_ids = parse_faction(params.get("faction"), theatre=theatre)
    except ParameterError as exc:
        raise FeedNotFound(exc.message) from None
    area, area_ids = None, None
    if (slug := params.get("area")) is not None:
        area = AdminArea.objects.filter(slug=slug).first()
        if area is None:
            raise FeedNotFound(f"No area has the identifier '{slug}'.")
        # An area and its sub-areas (a governorate's districts): towns are placed in either.
        area_ids = [area.pk, *AdminArea.objects.filter(parent=area).values_list("pk", flat=True)]
    given = {
        name: params[name]
        for name in ("theatre", "area", "faction", *MOMENT_PARAMETERS)
        if params.get(name) is not None
    }
    return FeedQuery(theatre, area, area_ids, faction_ids, _parse_before(params.get("before")), given)


class PagedAtomFeed(Atom1Feed):
    """Atom with each entry's HTML as ``content`` and a ``rel="next"`` link to the next page."""

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if self.feed.get("next_url"):
            handler.addQuickElement("link", "", {"rel": "next", "href": self.feed["next_url"]})

    def write_items(self, handler):
        # Each entry written as one string: the same bytes as Atom1Feed's element-by-element SAX calls
        # (add_item_elements for what ChangeFeed gives an entry), at a fraction of their cost per entry.
        for item in self.items:
            handler.ignorableWhitespace(_entry_xml(item))


def _text(name: str, content: str) -> str:
    """``<name>content</name>`` as SimplerXMLGenerator writes it (control characters refused alike)."""
    if not content:
        return f"<{name}/>"
    if _CONTROL.search(content):
        raise UnserializableContentError("Control characters are not supported in XML 1.0")
    return f"<{name}>{xml_escape(content)}</{name}>"


def _entry_xml(item: dict) -> str:
    """An entry as Atom1Feed writes it for the keys ChangeFeed.get_feed sets: title, link, published,
    updated, id, and the HTML content (no summary, author, enclosures or categories)."""
    content = _text("content", item["content"]).replace("<content", '<content type="html"', 1)
    return (
        f'<entry>{_text("title", item["title"])}<link href={quoteattr(item["link"])} rel="alternate"/>'
        f"{_text('published', rfc3339_date(item['pubdate']))}{_text('updated', rfc3339_date(item['updateddate']))}"
        f"{_text('id', item['unique_id'])}{content}</entry>"
    )


@functools.lru_cache(maxsize=8192)
def _date_words(on: dt.date, precision: str, day_part: int, language: str) -> tuple[str, str]:
    """A change's date in words, short (the title's) and long (the content's): a pure function of its date,
    precision, part of day and the language, kept per process (dateformat was most of an entry's writing)."""
    long = date_label(on=on, precision=precision, day_part=day_part)
    if precision == ControlChange.Precision.DAY:
        return dateformat.format(on, "j M Y"), long
    return long, long


class ChangeFeed(Feed):
    feed_type = PagedAtomFeed
    author_name = "conflictmap"
    # Of the request, set by _feed_body before the feed is written: its address, the address without the
    # query (the next page's base) and the host (the entries' tag URIs).
    request_url = ""
    base_url = ""
    host = ""

    def __init__(self, query: FeedQuery):
        super().__init__()
        self.query = query
        self.entries, self.more = change_feed_entries(
            limit=ENTRIES_PER_PAGE,
            before=query.before,
            theatre=query.theatre,
            area_ids=query.area_ids,
            faction_ids=query.faction_ids,
        )

    def get_object(self, request, *args, **kwargs):
        return self.query

    def title(self, query: FeedQuery) -> str:
        where = [x.name for x in (query.theatre, query.area) if x is not None]
        mine = f" in {', '.join(where)}" if where else ""
        side = f", {query.params['faction']} gaining or losing" if "faction" in query.params else ""
        return f"Control changes{mine}{side} · conflictmap"

    def subtitle(self, query: FeedQuery) -> str:
        return "Each change of control as it is published, and each retraction, newest first."

    def link(self, query: FeedQuery) -> str:
        return reverse("what-changed") + (f"?theatre={query.theatre.slug}" if query.theatre else "")

    def feed_guid(self, query: FeedQuery) -> str:
        return self.request_url  # the feed's own address, filters included, identifies it

    def feed_extra_kwargs(self, query: FeedQuery) -> dict:
        if not (self.more and self.entries):
            return {"next_url": None}
        last = self.entries[-1].key
        before = f"{last.at.astimezone(dt.UTC).isoformat()},{last.change_id},{last.kind}"
        return {"next_url": f"{self.base_url}?{urlencode({**query.params, 'before': before})}"}

    def items(self, query: FeedQuery) -> list[FeedEntry]:
        return []  # the entries are added by get_feed, without the framework's per-item lookups

    def get_feed(self, obj: FeedQuery, request):
        """The framework's feed (its title, links, author...), each entry added directly: the per-item
        ``_get_dynamic_attr`` and ``reverse()`` calls were most of the time a page took to write."""
        feed = super().get_feed(obj, request)
        domain, secure = get_current_site(request).domain, request.is_secure()
        town_url = reverse("town-detail", kwargs={"slug": SLUG_MARK})
        language = get_language()
        for entry in self.entries:
            c = entry.change
            short, long = _date_words(c.effective_date, c.date_precision, c.day_part, language)
            at = entry.key.at
            feed.add_item(
                title=_title(entry, short),
                link=add_domain(domain, town_url.replace(SLUG_MARK, quote(c.town_slug, safe=URL_SAFE)), secure),
                description=None,  # type: ignore[arg-type]  # the entry's HTML is its content (PagedAtomFeed)
                # One id per change and kind, stable across pages and filters (RFC 4151 tag URI).
                unique_id=f"tag:{self.host},2017:conflictmap/change/{c.pk}/{entry.kind}",
                pubdate=at,
                updateddate=at,
                content=_content(entry, long),
            )
        return feed


SLUG_MARK = "town-slug-mark"  # a slug no town has, replaced by each town's in its address
URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted in a path


def _title(entry: FeedEntry, short_date: str) -> str:
    c = entry.change
    held = f"{entry.replaced_faction} → " if entry.replaced_faction else "first recorded: "
    contested = f", contested by {c.contested_by_name}" if c.contested_by_name else ""
    title = f"{c.town_name}: {held}{c.faction_name}{contested} ({short_date})"
    return f"Retracted: {title}" if entry.kind == RETRACTED else title


def _content(entry: FeedEntry, label: str) -> str:
    """The entry as HTML, every value escaped (``esc``, what ``format_html`` does to each value, without its
    per-call cost): what changed (``label``: its date in words), the note, the sources."""
    c = entry.change
    held = (
        f"contested between {esc(c.faction_name)} and {esc(c.contested_by_name)}"
        if c.contested_by_name
        else f"held by {esc(c.faction_name)}"
    )
    confidence = esc(str(_CONFIDENCE.get(c.confidence, c.confidence)).lower())
    parts = [f"<p>{esc(c.town_name)}: {held} from {esc(label)} ({confidence}).</p>"]
    if entry.kind == RETRACTED:
        parts.append(f"<p>Retracted: {esc(c.retraction_reason or 'no reason given')}</p>")
    if c.supersedes_id:
        parts.append("<p>This corrects an earlier entry for the same town.</p>")
    if c.note:
        note = c.note if len(c.note) <= NOTE_CHARS else c.note[:NOTE_CHARS] + "…"
        parts.append(f"<p>{esc(note)}</p>")
    sources = entry.sources
    if sources:
        items = "".join(f"<li>{_source(s)}</li>" for s in sources[:SOURCES_SHOWN])
        more = len(sources) - SOURCES_SHOWN
        extra = f"<li>and {more} more on the town's page</li>" if more > 0 else ""
        parts.append(f"<p>Sources:</p><ul>{items}{extra}</ul>")
    return "".join(parts)


def _source(source) -> str:
    text = f"{esc(source.publisher)}: {esc(source.title)}"
    if source.url:
        return f'<a href="{esc(source.url)}">{text}</a>'
    return text


def _feed_body(query: FeedQuery, request) -> bytes:
    """The page's Atom, cut to fewer entries (the rest on the next page) when it would pass PAGE_BYTES."""
    feed = ChangeFeed(query)
    feed.request_url = request.build_absolute_uri()
    feed.base_url = request.build_absolute_uri(request.path)
    feed.host = request.get_host().split(":")[0]
    while True:
        body = feed.get_feed(query, request).writeString("utf-8").encode()
        if len(body) <= PAGE_BYTES or len(feed.entries) == 1:
            return body  # one entry is at most ~50 kB (SOURCES_SHOWN, NOTE_CHARS)
        keep = max(1, min(len(feed.entries) - 1, int(len(feed.entries) * PAGE_BYTES * 0.9 / len(body))))
        feed.entries, feed.more = feed.entries[:keep], True


def change_feed(request) -> HttpResponse:
    """The feed for the query; 404 naming a filter that names nothing, 400 naming a bad parameter."""
    try:
        query = feed_query(request.GET)
    except FeedNotFound as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    except ParameterError as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    revision = selectors.data_revision()
    # The revision names the data; the query and the address (ids and links are absolute) the page of it.
    asked = hashlib.sha256(f"{request.build_absolute_uri()}".encode()).hexdigest()[:24]
    # The reader's version: the public's names the next delayed publication, so a 304 never outlives it.
    version = selectors.data_version(revision=revision)
    etag = quote_etag(f"feed-{version}-{asked}")
    changed = selectors.data_last_modified(revision=revision)
    last_modified = int(changed.timestamp()) if changed else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        key = f"feeds:changes:{version}:{asked}"
        body = cache.get(key)
        if body is None:
            build_check()  # a miss builds: counted against an anonymous client's limit
            body = _feed_body(query, request)
            cache.set(key, body, selectors.CACHE_SECONDS)
        response = HttpResponse(body, content_type=PagedAtomFeed.content_type)
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, no_cache=True)
    return response
