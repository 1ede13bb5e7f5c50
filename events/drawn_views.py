"""The towns-against-polygons page (/areas-conflicts/): towns inside a faction's drawn area but recorded for
another side on a date (``conflicts_page``; /api/area-conflicts.json gives the same rows)."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone

from geodata.theatres import theatre_default

from . import conflicts_page
from .params import ParameterError, parse_date_or, parse_theatre, whole_number


def area_conflicts(request):
    """One page of conflicts; a bad date or page is said on the page (400) and the default shown instead."""
    try:
        theatre = parse_theatre(request.GET) or theatre_default()
    except ParameterError as exc:
        return render(request, "events/not_found.html", {"message": exc.message}, status=404)
    if theatre is None:
        return render(request, "events/not_found.html", {"message": "No theatre is loaded."}, status=404)
    errors = []
    on, error = parse_date_or(request.GET.get("date"), parameter="date", fallback=conflicts_page.default_date(theatre))
    errors += [error] if error else []
    raw = request.GET.get("page", "1")
    page = whole_number(raw)
    if page is None or page < 1:
        errors.append(f"'{raw}' is not a page number; showing page 1.")
        page = 1
    data = conflicts_page.area_conflicts_page(on=on, theatre=theatre, page=page)
    query = {"theatre": theatre.slug, "date": on.isoformat()}
    pager = {
        "previous": urlencode({**query, "page": page - 1}) if page > 1 else "",
        "next": urlencode({**query, "page": page + 1}) if page < data["pages"] else "",
    }
    return render(
        request,
        "events/area_conflicts.html",
        {
            **data,
            "on": on,
            "theatre": theatre,
            "errors": errors,
            "pager": pager,
            "api_query": urlencode({**query, "page": page}),
            "today": timezone.localdate(),
        },
        status=400 if errors else 200,
    )
