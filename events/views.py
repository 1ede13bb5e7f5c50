import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from . import selectors


def _requested_date(request) -> tuple[dt.date, str | None]:
    """The ?date= asked for, else the latest date with a change; with an error for bad input."""
    fallback = selectors.latest_change_date() or timezone.localdate()
    raw = request.GET.get("date")
    if not raw:
        return fallback, None
    try:
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return fallback, f"'{raw}' is not a date in YYYY-MM-DD form; showing {fallback:%Y-%m-%d}."


def control_list(request):
    on, error = _requested_date(request)
    snapshot = selectors.control_as_of(on=on)
    return render(
        request,
        "events/control_list.html",
        {"on": on, "snapshot": snapshot, "error": error, "dates": selectors.change_dates()},
        status=400 if error else 200,
    )
