"""The public pages: the control map, town and governorate pages, what changed, the factions.

Views read the request, look up the object named in the URL, get their data from page_data and
their map from geodata.maps (the one module that touches Folium), and render.
"""

import datetime as dt
import functools
from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import escape
from django.utils.http import content_disposition_header, quote_etag
from django.views.decorators.clickjacking import xframe_options_exempt

from conflictmap.throttles import build_check
from geodata import maps
from geodata.models import AdminArea, Theatre, Town
from geodata.theatres import theatre_default

from . import changes_page, compare_page, map_inputs, page_data, selectors, territory, timelapse
from .as_published import PARAMETER, current_view_url, moment_words, with_moment
from .date_labels import date_label
from .params import ParameterError, parse_date_or, parse_flag, parse_theatre

DATE_TOKEN = "{date}"  # in download links: the page's script puts the date shown in its place


def _requested_date(
    request, name: str = "date", fallback: dt.date | Callable[[], dt.date | None] | None = None,
) -> tuple[dt.date, str | None]:
    """The date asked for, else ``fallback`` (a date, or a function called only when the date asked for is
    missing or bad), else the latest date with a change; with an error for bad input."""

    def chosen() -> dt.date:
        given = fallback() if callable(fallback) else fallback
        return given or selectors.latest_change_date() or timezone.localdate()

    # The API's parser, so a page and the API accept the same dates (YYYY-MM-DD only).
    return parse_date_or(request.GET.get(name), parameter=name, fallback=chosen)


def _latest_of(theatre: Theatre | None) -> dt.date | None:
    """A theatre's latest change date (its pages open on it); None without a theatre or a change. The date
    index walked back (``selectors.latest_change_date``): no summary of every theatre's log is read."""
    return selectors.latest_change_date(theatre=theatre) if theatre is not None else None


class TheatreNotFound(Exception):
    """``theatre`` names no theatre: the page answers 404 saying so."""


def _requested_theatre(request) -> Theatre | None:
    """The theatre ``?theatre=`` names (None when left out: the map as before theatres)."""
    try:
        return parse_theatre(request.GET)
    except ParameterError as exc:
        raise TheatreNotFound(exc.message) from None


def _feed_url(theatre: Theatre | None) -> str:
    """The change feed (events/feeds.py) of the page's theatre, for the page's autodiscovery link."""
    return reverse("change-feed") + ("" if theatre is None else f"?theatre={quote(theatre.slug)}")


def _as_published(request) -> dict | None:
    """What a page says when read ?as_published= (events/as_published.py): the moment, and the page as known now."""
    moment = selectors.known_moment()
    if moment is None:
        return None
    # Read ?release=N: the form carries on its moment (the same view) as as_published.
    return {"words": moment_words(moment), "moment": moment, "value": request.GET.get(PARAMETER) or moment.isoformat(),
            "current_url": current_view_url(request.path, request.GET)}
def _theatre_shown(request) -> tuple[Theatre | None, Theatre | None]:
    """The theatre a page shows (the one ``?theatre=`` names, else the default theatre: its name, extent and
    credits) and the one its data is read for. They are the same, except that with a single theatre and none
    named the data is read unscoped: the URLs, ETags and cached layers of before theatres, which are that
    theatre's. (None, None) when there is no theatre at all."""
    asked = _requested_theatre(request)
    if asked is not None:
        return asked, asked
    shown = theatre_default()
    if shown is None:
        return None, None
    return shown, (shown if Theatre.objects.exclude(pk=shown.pk).exists() else None)


def _theatre_settings(shown: Theatre | None, **overrides) -> dict:
    """The map settings of a page showing ``shown``: its name, extent (kept per revision) and credit lines."""
    mine = {} if shown is None else map_inputs.theatre_map_settings(shown, bbox=selectors.theatre_extent(theatre=shown))
    return map_inputs.map_settings(**mine, **overrides)


def _not_found(request, message: str) -> HttpResponse:
    return render(request, "events/not_found.html", {"message": message}, status=404)


def _own_theatre(request, *, own: Theatre, what: str) -> Theatre | None:
    """The theatre a town's or area's page links in: its own. ``?theatre=`` naming another is a 404 naming
    both (TheatreNotFound); None (links as before theatres) when none is named and there is one theatre."""
    named = _requested_theatre(request)
    if named is not None and named.pk != own.pk:
        raise TheatreNotFound(
            f"{what} is in the theatre '{own.slug}' ({own.name}), not in '{named.slug}' ({named.name})."
        )
    if named is None and not Theatre.objects.exclude(pk=own.pk).exists():
        return None
    return own


def _theatre_switcher(*, current: Theatre | None, url_name: str) -> list[dict]:
    """The switcher's links, one per theatre by name, to this page of each; none with a single theatre."""
    theatres = list(Theatre.objects.order_by("name", "slug").values_list("slug", "name"))
    if len(theatres) < 2:
        return []
    base = reverse(url_name)
    return [
        {"slug": slug, "name": name, "href": f"{base}?{urlencode({'theatre': slug})}",
         "current": current is not None and current.slug == slug}
        for slug, name in theatres
    ]


def _allow_map_code(response, rendered: maps.RenderedMap):
    """The page's Content-Security-Policy lets the map's inline code (and only it) run, by its hashes."""
    response._csp_update = rendered.csp_update  # read by django-csp's middleware
    return response


def _map_downloads(
    *, endpoints: dict[str, str], first: dt.date | None, theatre: Theatre | None = None,
) -> list[dict[str, str]]:
    """The map page's download links, with DATE_TOKEN where the date shown goes.

    The changes file runs from the first recorded change (``first``) to the date shown: every row
    that made this map what it is, which is what a reader checking or re-using the map needs.
    """
    dated = "date=" + DATE_TOKEN + "&download=1"
    since = f"from={first:%Y-%m-%d}&" if first else ""
    mine = f"theatre={quote(theatre.slug)}&" if theatre is not None else ""

    def query(url: str) -> str:  # an endpoint may carry a query already (a theatre's towns)
        return url + ("&" if "?" in url else "?")

    first_label = f"{first:%Y-%m-%d}" if first else "the first change"
    animated = timelapse.theatre_shown(theatre)  # none when the map shows several theatres at once
    lapse = [] if animated is None else [
        {"id": "dl-timelapse", "label": f"Timelapse around {DATE_TOKEN}: {timelapse.AROUND_CHANGES} change dates "
                                        "either side (animated GIF)",
         # With one theatre the URL names none (as every link of its map): the timelapse is the default theatre's.
         "href": reverse("timelapse", kwargs={"fmt": "gif"}) + f"?{mine}around={DATE_TOKEN}&download=1"},
    ]
    return [
        {"id": "tc-download", "label": f"Map of {DATE_TOKEN} (HTML file, works offline)",
         "href": with_moment(reverse("map-download") + f"?{mine}date=" + DATE_TOKEN)},
        {"id": "dl-towns", "label": f"Towns on {DATE_TOKEN} (GeoJSON)", "href": query(endpoints["towns"]) + dated},
        {"id": "dl-provinces", "label": f"Governorates on {DATE_TOKEN}, with control shares (GeoJSON)",
         "href": query(endpoints["provinces"]) + dated},
        {"id": "dl-areas", "label": f"Control areas on {DATE_TOKEN} (GeoJSON)",
         # The assessed areas alone (the map's own file adds the drawn overlays: layer=all).
         "href": query(endpoints["areas"].replace("layer=all&", "").replace("?layer=all", "")) + dated},
        {"id": "dl-changes", "label": f"Every change from {first_label} to {DATE_TOKEN} (CSV)",
         "href": with_moment(reverse("api:changes-csv") + f"?{mine}{since}to={DATE_TOKEN}&download=1")},
        *lapse,
    ]


EMBED_SIZE = (800, 600)  # the fixed-size snippet's iframe, in CSS pixels


def _embed_snippets(request, *, theatre: Theatre | None, title: str) -> list[dict[str, str]]:
    """The map menu's <iframe> snippets (fixed size, and responsive: the page's width at 4:3) for the
    embed route, with DATE_TOKEN where the date shown goes. HTML to paste, so its values are escaped."""
    query = (f"theatre={quote(theatre.slug)}&" if theatre is not None else "") + f"date={DATE_TOKEN}"
    src = escape(request.build_absolute_uri(reverse("embed")) + "?" + query)
    label = escape(title)
    width, height = EMBED_SIZE
    return [
        {"id": "embed-fixed", "label": f"Embed, {width} × {height} pixels (HTML)",
         "code": f'<iframe src="{src}" width="{width}" height="{height}" style="border:0" title="{label}" '
                 'loading="lazy"></iframe>'},
        {"id": "embed-responsive", "label": "Embed, the width of the page it is on (HTML)",
         "code": f'<iframe src="{src}" style="width:100%;aspect-ratio:4/3;border:0" title="{label}" '
                 'loading="lazy"></iframe>'},
    ]


def _in_region(theatre: Theatre | None) -> str:
    """" in <the theatre's name>", or nothing when there is no theatre to name."""
    return f" in {theatre.name}" if theatre is not None else ""


def _map_title(*, first: dt.date | None, last: dt.date | None, theatre: Theatre | None = None) -> str:
    """Where and when the map shows: the theatre and the recorded period."""
    region = _in_region(theatre)
    if first is None or last is None:
        return f"Who controls what{region}: no change recorded yet"
    # No-break spaces inside each date: a narrow screen wraps the title between dates, not inside one.
    first_words, last_words = (dateformat.format(d, "j M Y").replace(" ", "\u00a0") for d in (first, last))
    return f"Who controls what{region}, {first_words} – {last_words}"


def control_map(request):
    """The map on one date. The change dates the time control steps through are not in the page
    (thousands of them, a scan of the log): its script fetches them from the API, keyed by revision."""
    try:
        shown, theatre = _theatre_shown(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    # A theatre's map opens on its extent under its name, on its own record's last date (the only theatre's
    # record is the whole log). Not from theatre_summaries: its grouped pass over the log took ~3 s after
    # each write at 1,000,000 changes, on every map's first request.
    last = selectors.latest_change_date(theatre=theatre)  # a theatre's own (the whole log's without one)
    opens_on = (shown.default_date if shown else None) or (last if theatre is not None else None)
    on, error = _requested_date(request, fallback=opens_on)
    town, town_error = None, None
    if slug := request.GET.get("town"):
        town = Town.objects.select_related("theatre").filter(slug=slug).first()
        if town is not None and selectors.town_hidden(town):
            town = None
        if town is None:
            town_error = f"No town has the identifier '{slug}'."
        elif theatre is not None and town.theatre_id != theatre.pk:
            town_error = (f"The town '{slug}' is in the theatre '{town.theatre.slug}' ({town.theatre.name}), "
                          f"not in '{theatre.slug}' ({theatre.name}).")
            town = None
    rendered = maps.control_map_parts(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=_theatre_settings(shown),
        links=map_inputs.map_links(theatre),
    )
    # Read ?as_published=, every layer, the dates and the panel are asked for as known at that moment.
    endpoints = {k: with_moment(v) for k, v in map_inputs.map_endpoints(theatre).items()}
    # The data revision the page was drawn from: a URL carrying it as ?rev= is immutable, so a
    # browser, proxy or CDN keeps each date's layers and the date list without asking again.
    revision = selectors.data_version(theatre=theatre)  # a theatre's own: another's writes leave its page
    first = selectors.first_change_date(theatre=theatre)
    config = {
        "date": on.isoformat(),
        # A theatre's map steps through its own record's dates.
        "datesUrl": with_moment(f"{reverse('api:change-dates')}?rev={revision}"
                                + ("" if theatre is None else f"&theatre={quote(theatre.slug)}")),
        "endpoints": endpoints,
        "panelUrl": with_moment(reverse("town-panel", kwargs={"pk": 0}).replace("/0/", "/{id}/")
                                + ("" if theatre is None else f"?theatre={quote(theatre.slug)}")),
        "downloads": _map_downloads(endpoints=endpoints, first=first, theatre=theatre),
        "embeds": _embed_snippets(request, theatre=theatre, title=_map_title(first=first, last=last, theatre=shown)),
        # Pages (not files) in the same menu: the date shown against the change date before it, side by side.
        "pages": [{"id": "map-compare", "label": f"Compare {DATE_TOKEN} with the change date before (swipe map)",
                   "href": reverse("compare") + "?" + ("" if theatre is None else f"theatre={quote(theatre.slug)}&")
                   + f"to={DATE_TOKEN}"}],
        "dateToken": DATE_TOKEN,
        "town": {"id": town.pk, "slug": town.slug} if town else None,
        "revision": revision,
    }
    # The same links as the script builds, for the first view and for readers without JavaScript.
    downloads = [
        {key: value.replace(DATE_TOKEN, on.isoformat()) for key, value in d.items()} for d in config["downloads"]
    ]
    embeds = [{**e, "code": e["code"].replace(DATE_TOKEN, on.isoformat())} for e in config["embeds"]]
    pages = [{key: value.replace(DATE_TOKEN, on.isoformat()) for key, value in d.items()} for d in config["pages"]]
    errors = [e for e in (error, town_error) if e]
    return _allow_map_code(render(
        request,
        "events/control_map.html",
        {"on": on, "map": rendered, "config": config, "downloads": downloads, "embeds": embeds, "pages": pages,
         "errors": errors,
         "title": _map_title(first=first, last=last, theatre=shown), "feed_url": _feed_url(theatre),
         "as_published": _as_published(request), "theatre": theatre,
         "theatres": _theatre_switcher(current=shown, url_name="home")},
        status=400 if error else 200,
    ), rendered)


def map_download(request):
    """The map for one date as a single HTML file that needs neither this server nor the internet: of the
    theatre ``?theatre=`` names (on its extent, under its name, with its layers and credits), else the
    default theatre's."""
    try:
        shown, theatre = _theatre_shown(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    on, error = _requested_date(request, fallback=_latest_of(theatre))
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    build_check()  # every layer is built for this file (none kept): counted against the client's limit
    layers = page_data.map_layers(on=on, theatre=theatre)
    mine = "" if theatre is None else f"theatre={quote(theatre.slug)}&"
    m = maps.control_map_build(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_inline(),
        settings=_theatre_settings(shown),
        # The site's address before each pattern: build_absolute_uri would percent-encode its "{slug}".
        links={k: request.build_absolute_uri("/")[:-1] + v for k, v in map_inputs.map_links(theatre).items()},
        caption=maps.MapCaption(
            heading=f"Control{_in_region(shown)} on {date_label(on=on, precision='day', day_part=0)}",
            live_url=request.build_absolute_uri(f"{reverse('home')}?{mine}date={on:%Y-%m-%d}"),
        ),
        **layers,
    )
    named = "" if theatre is None else f" in {theatre.name}"
    html = maps.map_render_standalone(m, title=f"Control{named} on {on:%Y-%m-%d} · conflictmap")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    stem = "conflictmap" if theatre is None else f"conflictmap-{theatre.slug}"
    response["Content-Disposition"] = f'attachment; filename="{stem}-{on:%Y-%m-%d}.html"'
    return response


def town_detail(request, slug: str):
    town = get_object_or_404(Town.objects.select_related("admin_area__parent", "theatre"), slug=slug)
    if selectors.town_hidden(town):  # shown to the public only at its district's resolution: as if none
        raise Http404("No town matches the given query.")
    try:
        theatre = _own_theatre(request, own=town.theatre, what=f"The town '{town.slug}'")
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    context = page_data.town_page(town=town, theatre=theatre)
    m = maps.control_map_build(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=map_inputs.map_settings(**map_inputs.theatre_credit_settings(town.theatre), bounds=context["bounds"]),
        links=map_inputs.map_links(theatre),
        legend=False,  # one town on a small map: its colour is named in the history below
        **context["layers"],
    )
    rendered = maps.map_render_parts(m)
    return _allow_map_code(render(request, "events/town_detail.html",
                                  {**context, "map": rendered, "as_published": _as_published(request)}), rendered)


def town_panel(request, pk: int):
    """A town's names and history for the map's side panel (JSON; the page builds text from it)."""
    town = get_object_or_404(Town.objects.select_related("theatre"), pk=pk)
    if selectors.town_hidden(town):
        raise Http404("No town matches the given query.")
    try:
        theatre = _own_theatre(request, own=town.theatre, what=f"The town '{town.slug}'")
    except TheatreNotFound as exc:
        return JsonResponse({"detail": str(exc)}, status=404)
    return JsonResponse(page_data.town_panel(town=town, theatre=theatre))


def area_detail(request, slug: str):
    area = get_object_or_404(AdminArea.objects.select_related("theatre"), slug=slug)
    try:
        theatre = _own_theatre(request, own=area.theatre, what=f"The area '{area.slug}'")
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    # The area's own record's latest date by default, as its theatre's map opens on.
    opens_on = _latest_of(theatre)
    on, error = _requested_date(request, fallback=opens_on)
    context = page_data.area_page(
        area=area, on=on, page=page_data.page_number(request.GET.get("page")), theatre=theatre,
    )
    return render(request, "events/area_detail.html",
                  {**context, "error": error, "as_published": _as_published(request)}, status=400 if error else 200)


def what_changed(request):
    try:
        shown, theatre = _theatre_shown(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    # The default end: the theatre's last change date by walking the date index back, as the map finds it (not
    # the last of change_dates, whose walk visits every date of every theatre's log: ~400 ms after a write at
    # 1,000,000 changes, whatever the theatre's size). Only read when a date is missing or bad: as published,
    # the walk back passes every change published after the moment (~40 ms at that size).
    latest = functools.cache(lambda: selectors.latest_change_date(theatre=theatre) or timezone.localdate())
    start, start_error = _requested_date(request, "from", latest)
    if start_error or not request.GET.get("from"):
        # The default start is the change date before the latest: every change date is read only then
        # (after a write, their walk is 40-90 ms at 10,000 towns x 1,000,000 changes on either database).
        dates = selectors.change_dates(theatre=theatre)
        start, start_error = _requested_date(request, "from", dates[-2] if len(dates) > 1 else latest)
    end, end_error = _requested_date(request, "to", latest)
    errors = [e for e in (start_error, end_error) if e]
    if start > end:
        errors.append(f"'from' ({start}) is after 'to' ({end}); showing them swapped.")
        start, end = end, start
    page = page_data.page_number(request.GET.get("page"))
    context = changes_page.changes_page(start=start, end=end, page=page, theatre=theatre)
    as_published = _as_published(request)
    if as_published is not None:  # the page's links and layers read as known at the same moment
        context = {**context, **{k: with_moment(context[k]) for k in ("csv_url", "geojson_url")},
                   "page_query": with_moment("?" + context["page_query"])[1:]}
        if request.GET.get("date"):  # what we said then about that date, against what we say now
            on, on_error = _requested_date(request, "date", end)
            errors += [on_error] if on_error else []
            context["then_and_now"] = changes_page.then_and_now(
                on=on, moment=as_published["moment"], theatre=theatre)
    # The map's layers are fetched by the page's script from the API (as on the map page), not inlined.
    rendered = maps.control_map_parts(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=_theatre_settings(shown),
        links=map_inputs.map_links(theatre),
    )
    endpoints = {k: with_moment(v) for k, v in map_inputs.map_endpoints(theatre).items() if k != "districts"}
    map_config = {"date": end.isoformat(), "endpoints": endpoints}
    return _allow_map_code(render(
        request,
        "events/what_changed.html",
        {**context, "map": rendered, "map_config": map_config, "errors": errors, "feed_url": _feed_url(theatre),
         "as_published": as_published, "theatres": _theatre_switcher(current=shown, url_name="what-changed")},
        status=400 if errors else 200,
    ), rendered)


def compare(request):
    """Two dates on one map with a swipe between them (two maps in step on a narrow screen), the towns that
    changed hands outlined and the diff's km² beside it. The URL is the state; the divider's place, its hash."""
    try:
        shown, theatre = _theatre_shown(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    latest = (_latest_of(theatre) if theatre is not None else selectors.latest_change_date()) or timezone.localdate()
    end, end_error = _requested_date(request, "to", latest)
    start, start_error = _requested_date(request, "from", compare_page.date_before(end, theatre=theatre) or end)
    errors = [e for e in (start_error, end_error) if e]
    if start > end:
        errors.append(f"'from' ({start}) is after 'to' ({end}); showing them swapped.")
        start, end = end, start
    rendered = maps.control_map_parts(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=_theatre_settings(shown),
        links=map_inputs.map_links(theatre),
    )
    context = compare_page.compare_page(start=start, end=end, theatre=theatre)
    tiles, tiles_credit = maps.map_tiles(maps.map_settings_check(_theatre_settings(shown)))
    mine = "" if theatre is None else f"theatre={quote(theatre.slug)}&"
    config = {
        "from": start.isoformat(), "to": end.isoformat(),
        "endpoints": {k: v for k, v in map_inputs.map_endpoints(theatre).items() if k != "districts"},
        "changed": context["changed"],
        "tiles": {"url": tiles, "attribution": tiles_credit or ""},
    }
    return _allow_map_code(render(request, "events/compare.html", {
        **context, "start": start, "end": end, "map": rendered, "compare_config": config, "errors": errors,
        "theatre": theatre, "theatres": _theatre_switcher(current=shown, url_name="compare"),
        "what_changed_url": reverse("what-changed") + f"?{mine}from={start:%Y-%m-%d}&to={end:%Y-%m-%d}",
    }, status=400 if errors else 200), rendered)


def factions(request):
    """Every faction's towns, land and population; a theatre's (``?theatre=``): the factions of its record,
    its counts, its coalitions."""
    try:
        theatre = _requested_theatre(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    return render(request, "events/factions.html", page_data.factions_page(theatre=theatre))


def timelapse_file(request, fmt: str):
    """The theatre's map over a range as an animated GIF or an MP4 (events.timelapse), kept per revision."""
    try:
        params = timelapse.TimelapseParameters.parse(request.GET, fmt=fmt)
        dates = timelapse.frame_dates(params)
        download = parse_flag(request.GET, "download")
    except ParameterError as exc:
        return HttpResponse(f"{exc.parameter}: {exc.message}", status=400, content_type="text/plain; charset=utf-8")
    revision = selectors.data_version(theatre=params.theatre)  # the theatre's own: another's writes leave it
    etag = quote_etag(timelapse.cache_key(params, revision))
    response = get_conditional_response(request, etag=etag)
    if response is None:
        made = timelapse.timelapse_build(params, revision=revision, frames_at=dates)
        response = HttpResponse(made.content, content_type=made.media_type)
        response["Content-Disposition"] = content_disposition_header(download, made.filename) or "inline"
    response["ETag"] = etag
    patch_cache_control(response, public=True, no_cache=True)  # revalidated by ETag: a write moves it
    return response


@xframe_options_exempt  # this route alone may be framed: CSP frame-ancestors below says by whom
def embed_map(request):
    """The map on one date without the site's chrome, for another site's <iframe> (the map menu's snippet)."""
    try:
        shown, theatre = _theatre_shown(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    opens_on = (theatre.default_date or _latest_of(theatre)) if theatre is not None else None
    on, error = _requested_date(request, fallback=opens_on)  # the date the theatre's map opens on
    rendered = maps.control_map_parts(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=_theatre_settings(shown),
        links=map_inputs.map_links(theatre),
    )
    endpoints = {k: v for k, v in map_inputs.map_endpoints(theatre).items() if k != "districts"}
    full = reverse("home") + "?" + ("" if theatre is None else f"theatre={quote(theatre.slug)}&") + f"date={on}"
    response = _allow_map_code(render(request, "events/embed.html", {
        "on": on, "map": rendered, "error": error, "full_map": full,
        "heading": f"Control{_in_region(shown)} on {date_label(on=on, precision='day', day_part=0)}",
        "map_config": {"date": on.isoformat(), "endpoints": endpoints},
    }, status=400 if error else 200), rendered)
    response._csp_replace = {"frame-ancestors": settings.EMBED_FRAME_ANCESTORS}  # read by django-csp
    return response
