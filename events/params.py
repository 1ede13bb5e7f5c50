"""Parameters as a user typed them (query string, command line, CSV cell), checked once for every door.

Pages, the API's filters and exports, the export command and the CSV import all read dates and
factions here, so they accept the same input and refuse it with the same message.
"""

import datetime as dt
import re
from collections.abc import Callable, Mapping

from django.utils import timezone

from geodata.models import Theatre
from geodata.theatres import TheatreError, theatre_named

from . import names, selectors
from .export_rows import faction_with_members
from .models import EARLIEST_DATE
from .selectors.coalitions import coalition_members

ISO_DATE = "%Y-%m-%d"
ISO_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ParameterError(ValueError):
    """A bad parameter; ``parameter`` is its name (query-string name, or CSV column)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def parse_date(raw: str | None, *, parameter: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None when empty; anything else raises ParameterError."""
    if raw is None or raw == "":
        return None
    try:
        # Only YYYY-MM-DD: fromisoformat alone would also take 20170903 and other ISO variants,
        # and strptime alone would take 2017-9-3.
        if not ISO_DATE_SHAPE.fullmatch(raw):
            raise ValueError(raw)
        return dt.datetime.strptime(raw, ISO_DATE).date()
    except ValueError:
        raise ParameterError(parameter, f"'{raw}' is not a date in YYYY-MM-DD form.") from None


def parse_date_or(
    raw: str | None, *, parameter: str, fallback: dt.date | Callable[[], dt.date],
) -> tuple[dt.date, str | None]:
    """For a page: the date asked for, else ``fallback``; with a message saying so when the input was bad.
    ``fallback`` may be a function, called only when the date asked for is missing or bad (a page's default
    date can cost a walk of the log)."""

    def chosen() -> dt.date:
        return fallback() if callable(fallback) else fallback

    try:
        on = parse_date(raw, parameter=parameter)
    except ParameterError as exc:
        instead = chosen()
        return instead, f"{exc.message.rstrip('.')}; showing {instead:%Y-%m-%d}."
    if on is not None and on > timezone.localdate():
        # As the API refuses it: control "on" a future date would read as a forecast.
        instead = chosen()
        return instead, f"'{on}' is in the future; showing {instead:%Y-%m-%d}, the latest day with a record."
    return (on if on is not None else chosen()), None


def whole_number(text: str) -> int | None:
    """``text`` as a whole number if it is written in ASCII digits, else None: str.isdigit() is also
    true of '³' and other digits int() refuses."""
    return int(text) if text.isascii() and text.isdigit() else None


def parse_faction(raw: str | None, *, theatre: Theatre | None = None) -> set[int] | None:
    """The ids of the named faction and its members (in ``theatre``'s coalitions when given); the name may
    be a slug, name or alias."""
    if raw is None or raw == "":
        return None
    # The import's lookup: a name shared by several factions is refused, not read as the first one.
    faction, problem = names.faction_index().find(raw)
    if faction is None:
        raise ParameterError("faction", f"{problem[0].upper()}{problem[1:]}.")
    if theatre is not None:
        return coalition_members(faction=faction, theatre=theatre)
    return faction_with_members(faction)


def parse_theatre(params: Mapping[str, str]) -> Theatre | None:
    """``theatre``: the theatre a slug names; None when left out (every theatre, or a page's default).

    The one reading of the parameter: the API answers its ParameterError with 400 naming it, a page with
    a 404. Given empty, it is refused: "every theatre" is said by leaving it out.
    """
    raw = params.get("theatre")
    if raw is None:
        return None
    if raw == "":
        raise ParameterError("theatre", "'theatre' is empty; give a theatre's slug, or leave 'theatre' out.")
    try:
        return theatre_named(raw)
    except TheatreError as exc:
        raise ParameterError("theatre", str(exc)) from None


def given_date(params: Mapping[str, str], name: str) -> dt.date | None:
    """The date named ``name`` in a query string, None when it is left out. Given empty, it is refused:
    the schema says a date, and "no date" is said by leaving the parameter out."""
    raw = params.get(name)
    if raw == "":
        raise ParameterError(name, f"'{name}' is empty; give a date in YYYY-MM-DD form, or leave '{name}' out.")
    return parse_date(raw, parameter=name)


def parse_as_of(params: Mapping[str, str]) -> dt.date:
    """``date``; without one, the latest published change, i.e. control now. Never a future date."""
    on = given_date(params, "date")
    today = timezone.localdate()
    if on is not None and on > today:
        # Serving today's control under a future date would present it as a forecast.
        latest = selectors.latest_change_date()
        record = f"the latest day with a record is {latest}" if latest else "nothing is recorded yet"
        raise ParameterError("date", f"'{on}' is in the future; {record}.")
    return on or selectors.latest_change_date() or today


def parse_as_published(params: Mapping[str, str]) -> dt.datetime | None:
    """``as_published``: the moment the record is read as known at; None when left out (as known now).

    A day (YYYY-MM-DD) is the end of that day in the site's time zone (today: what is published so far
    today); a timestamp is ISO 8601 (in the site's time zone when it names none). A later day or moment,
    or one before the record's first possible date, is refused: what was published then cannot be known.
    """
    raw = params.get("as_published")
    if raw is None:
        return None
    hint = "give a day (YYYY-MM-DD) or an ISO 8601 timestamp such as 2017-09-02T20:00:00+03:00"
    if raw == "":
        raise ParameterError("as_published", f"'as_published' is empty; {hint}, or leave 'as_published' out.")
    now = timezone.now()
    try:
        day = parse_date(raw, parameter="as_published") if ISO_DATE_SHAPE.fullmatch(raw) else None
    except ParameterError:
        raise ParameterError("as_published", f"'as_published': '{raw}' is not a moment; {hint}.") from None
    if day is not None and day > timezone.localdate(now):
        raise ParameterError("as_published", f"'as_published': {raw} is in the future.")
    try:
        if day is not None:
            moment = timezone.make_aware(dt.datetime.combine(day, dt.time.max))
        else:
            moment = dt.datetime.fromisoformat(raw)
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        moment = moment.astimezone(dt.UTC)  # the database's form; a year-1 moment overflows here, not there
    except (ValueError, OverflowError):
        raise ParameterError("as_published", f"'as_published': '{raw}' is not a moment; {hint}.") from None
    if day is None and moment > now:  # today's date is its end: what is published so far today
        raise ParameterError("as_published", f"'as_published': {raw} is in the future.")
    if moment.date() < EARLIEST_DATE:
        raise ParameterError("as_published", f"'as_published': {raw} is before {EARLIEST_DATE}, the record's start.")
    return moment


def parse_release(params: Mapping[str, str]) -> dt.datetime | None:
    """``release`` (with ``theatre``): that release's moment, so a layer is read as published then (the
    middleware in events.as_published runs it as ``as_published`` would); None when left out.

    One of ``release`` and ``as_published``: each names the moment. An unknown release is refused naming it.
    """
    raw = params.get("release")
    if raw is None:
        return None
    if "as_published" in params:
        raise ParameterError("release", "Give 'release' or 'as_published', not both: each names the moment read.")
    number = whole_number(raw)
    if number is None or number < 1:
        raise ParameterError("release", f"'release': '{raw}' is not a release number (1, 2, ...).")
    theatre = parse_theatre(params)
    if theatre is None:
        raise ParameterError("release", "'release' needs 'theatre': releases are numbered per theatre.")
    from .release_models import Release

    moment = None
    if number < 2**31:  # beyond any release (and beyond the column: an overflow is no release, not a 500)
        moment = Release.objects.filter(theatre=theatre, number=number).values_list("moment", flat=True).first()
    if moment is None:
        raise ParameterError("release", f"'release': {theatre.slug} has no release {number}.")
    return moment


FLAG_VALUES = {"true": True, "1": True, "false": False, "0": False}


def parse_flag(params: Mapping[str, str], name: str) -> bool:
    """A yes/no parameter: true or 1, false or 0; False when left out. Anything else is refused."""
    raw = params.get(name)
    if raw is None:
        return False
    if raw not in FLAG_VALUES:
        raise ParameterError(name, f"'{raw}' is not a value of '{name}'; use true or false (1 or 0).")
    return FLAG_VALUES[raw]


def parse_level(params: Mapping[str, str]) -> int:
    """``level``: 1 for governorates (the default), 2 for districts."""
    value = (params.get("level") or "1").strip()
    if value not in ("1", "2"):
        raise ParameterError("level", f"'{value}' is not an area level; use 1 (governorates) or 2 (districts).")
    return int(value)


def parse_period(params: Mapping[str, str]) -> tuple[dt.date, dt.date]:
    """``from`` and ``to``, inclusive; from the first possible date up to today by default."""
    start = given_date(params, "from") or EARLIEST_DATE
    end = given_date(params, "to") or timezone.localdate()
    if start > end:
        raise ParameterError("from", f"'from' ({start}) is after 'to' ({end}).")
    return start, end
