"""The public pages: the control map, town and governorate pages, what changed, the factions.

Views read the request, look up the object named in the URL, get their data from page_data and
their map from geodata.maps (the one module that touches Folium), and render.
"""

import datetime as dt
from urllib.parse import quote

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone

from conflictmap.throttles import build_check
from geodata import maps
from geodata.models import AdminArea, Theatre, Town

from . import changes_page, map_inputs, page_data, selectors, territory
from .date_labels import date_label
from .params import ParameterError, parse_date_or, parse_theatre

DATE_TOKEN = "{date}"  # in download links: the page's script puts the date shown in its place


def _requested_date(request, name: str = "date", fallback: dt.date | None = None) -> tuple[dt.date, str | None]:
    """The date asked for, else the latest date with a change; with an error for bad input."""
    fallback = fallback or selectors.latest_change_date() or timezone.localdate()
    # The API's parser, so a page and the API accept the same dates (YYYY-MM-DD only).
    return parse_date_or(request.GET.get(name), parameter=name, fallback=fallback)


class TheatreNotFound(Exception):
    """``theatre`` names no theatre: the page answers 404 saying so."""


def _requested_theatre(request) -> Theatre | None:
    """The theatre ``?theatre=`` names (None when left out: the map as before theatres)."""
    try:
        return parse_theatre(request.GET)
    except ParameterError as exc:
        raise TheatreNotFound(exc.message) from None


def _not_found(request, message: str) -> HttpResponse:
    return render(request, "events/not_found.html", {"message": message}, status=404)


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
    return [
        {"id": "tc-download", "label": f"Map of {DATE_TOKEN} (HTML file, works offline)",
         "href": reverse("map-download") + "?date=" + DATE_TOKEN},
        {"id": "dl-towns", "label": f"Towns on {DATE_TOKEN} (GeoJSON)", "href": query(endpoints["towns"]) + dated},
        {"id": "dl-provinces", "label": f"Governorates on {DATE_TOKEN}, with control shares (GeoJSON)",
         "href": query(endpoints["provinces"]) + dated},
        {"id": "dl-areas", "label": f"Control areas on {DATE_TOKEN} (GeoJSON)",
         # The assessed areas alone (the map's own file adds the drawn overlays: layer=all).
         "href": query(endpoints["areas"].replace("layer=all&", "").replace("?layer=all", "")) + dated},
        {"id": "dl-changes", "label": f"Every change from {first_label} to {DATE_TOKEN} (CSV)",
         "href": reverse("api:changes-csv") + f"?{mine}{since}to={DATE_TOKEN}&download=1"},
    ]


def _region(theatre: Theatre | None = None) -> str:
    """The country or region the map shows: the theatre's name, else the map setting's."""
    return theatre.name if theatre is not None else maps.map_settings_check(map_inputs.map_settings())["region_name"]


def _map_title(*, first: dt.date | None, last: dt.date | None, theatre: Theatre | None = None) -> str:
    """Where and when the map shows: the theatre (or the region named in the map settings) and the
    recorded period."""
    region = _region(theatre)
    if first is None or last is None:
        return f"Who controls what in {region}: no change recorded yet"
    # No-break spaces inside each date: a narrow screen wraps the title between dates, not inside one.
    first_words, last_words = (dateformat.format(d, "j M Y").replace(" ", "\u00a0") for d in (first, last))
    return f"Who controls what in {region}, {first_words} – {last_words}"


def control_map(request):
    """The map on one date. The change dates the time control steps through are not in the page
    (thousands of them, a scan of the log): its script fetches them from the API, keyed by revision."""
    try:
        theatre = _requested_theatre(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    # A theatre's map opens on its extent under its name, on its own record's dates.
    summary = selectors.theatre_summaries().get(theatre.slug) if theatre is not None else None
    opens_on = (theatre.default_date or summary.last_change) if theatre is not None and summary else None
    on, error = _requested_date(request, fallback=opens_on)
    town, town_error = None, None
    if slug := request.GET.get("town"):
        town = Town.objects.filter(slug=slug).first()
        if town is None:
            town_error = f"No town has the identifier '{slug}'."
    rendered = maps.control_map_parts(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=map_inputs.map_settings(**(map_inputs.theatre_map_settings(theatre) if theatre else {})),
        links=map_inputs.map_links(),
    )
    endpoints = map_inputs.map_endpoints(theatre)
    # The data revision the page was drawn from: a URL carrying it as ?rev= is immutable, so a
    # browser, proxy or CDN keeps each date's layers and the date list without asking again.
    revision = selectors.data_version()
    first = summary.first_change if summary else selectors.first_change_date()
    last = summary.last_change if summary else selectors.latest_change_date()
    config = {
        "date": on.isoformat(),
        # A theatre's map steps through its own record's dates.
        "datesUrl": f"{reverse('api:change-dates')}?rev={revision}"
        + ("" if theatre is None else f"&theatre={quote(theatre.slug)}"),
        "endpoints": endpoints,
        "panelUrl": reverse("town-panel", kwargs={"pk": 0}).replace("/0/", "/{id}/"),
        "downloads": _map_downloads(endpoints=endpoints, first=first, theatre=theatre),
        "dateToken": DATE_TOKEN,
        "town": {"id": town.pk, "slug": town.slug} if town else None,
        "revision": revision,
    }
    # The same links as the script builds, for the first view and for readers without JavaScript.
    downloads = [
        {key: value.replace(DATE_TOKEN, on.isoformat()) for key, value in d.items()} for d in config["downloads"]
    ]
    errors = [e for e in (error, town_error) if e]
    return _allow_map_code(render(
        request,
        "events/control_map.html",
        {"on": on, "map": rendered, "config": config, "downloads": downloads, "errors": errors,
         "title": _map_title(first=first, last=last, theatre=theatre)},
        status=400 if error else 200,
    ), rendered)


def map_download(request):
    """The map for one date as a single HTML file that needs neither this server nor the internet."""
    on, error = _requested_date(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    build_check()  # every layer is built for this file (none kept): counted against the client's limit
    layers = page_data.map_layers(on=on)
    m = maps.control_map_build(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_inline(),
        settings=map_inputs.map_settings(),
        links={k: request.build_absolute_uri(v) for k, v in map_inputs.map_links().items()},
        caption=maps.MapCaption(
            heading=f"Control in {_region()} on {date_label(on=on, precision='day', day_part=0)}",
            live_url=request.build_absolute_uri(f"{reverse('home')}?date={on:%Y-%m-%d}"),
        ),
        **layers,
    )
    html = maps.map_render_standalone(m, title=f"Control on {on:%Y-%m-%d} · conflictmap")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="conflictmap-{on:%Y-%m-%d}.html"'
    return response


def town_detail(request, slug: str):
    town = get_object_or_404(Town.objects.select_related("admin_area__parent"), slug=slug)
    context = page_data.town_page(town=town)
    m = maps.control_map_build(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=map_inputs.map_settings(bounds=context["bounds"]),
        links=map_inputs.map_links(),
        legend=False,  # one town on a small map: its colour is named in the history below
        **context["layers"],
    )
    rendered = maps.map_render_parts(m)
    return _allow_map_code(render(request, "events/town_detail.html", {**context, "map": rendered}), rendered)


def town_panel(request, pk: int):
    """A town's names and history for the map's side panel (JSON; the page builds text from it)."""
    town = get_object_or_404(Town, pk=pk)
    return JsonResponse(page_data.town_panel(town=town))


def area_detail(request, slug: str):
    area = get_object_or_404(AdminArea, slug=slug)
    on, error = _requested_date(request)
    context = page_data.area_page(area=area, on=on, page=page_data.page_number(request.GET.get("page")))
    return render(request, "events/area_detail.html", {**context, "error": error}, status=400 if error else 200)


def what_changed(request):
    try:
        theatre = _requested_theatre(request)
    except TheatreNotFound as exc:
        return _not_found(request, str(exc))
    if theatre is None:
        latest = selectors.latest_change_date() or timezone.localdate()
    else:  # the theatre's own record (its dates are kept per revision)
        latest = (selectors.change_dates(theatre=theatre) or [timezone.localdate()])[-1]
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
    # The map's layers are fetched by the page's script from the API (as on the map page), not inlined.
    rendered = maps.control_map_parts(
        palette=map_inputs.faction_palette(),
        area_rule=territory.area_rule()["text"],
        assets=map_inputs.map_assets_linked(),
        settings=map_inputs.map_settings(**(map_inputs.theatre_map_settings(theatre) if theatre else {})),
        links=map_inputs.map_links(),
    )
    endpoints = {k: v for k, v in map_inputs.map_endpoints(theatre).items() if k != "districts"}
    map_config = {"date": end.isoformat(), "endpoints": endpoints}
    return _allow_map_code(render(
        request,
        "events/what_changed.html",
        {**context, "map": rendered, "map_config": map_config, "errors": errors},
        status=400 if errors else 200,
    ), rendered)


def factions(request):
    return render(request, "events/factions.html", page_data.factions_page())
