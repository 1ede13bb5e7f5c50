"""The one way a change's date is put in words, with its precision and part of day.

Pages, the API (``date_label`` fields), the map's side panel and its popups all show this text, so
a reader sees the same words for the same change wherever they look. Nothing else formats a
change's date for people; ISO dates stay for machines (URLs, CSV, ``<time datetime>``).
"""

import datetime as dt
import functools

from django.utils import dateformat, translation

from .models import ControlChange

Precision = ControlChange.Precision
DayPart = ControlChange.DayPart


def date_label(*, on: dt.date, precision: str, day_part: int) -> str:
    """A change's date as a reader says it.

    - day: "3 September 2017", with its part of day when known: "3 September 2017, morning";
    - month: "September 2017" (stored as the 1st: ``events.services.control_change_date_check``);
    - approximate: "about 2014" for a date entered as 1 January, "about June 2017" for one
      entered as the first of a month (how vague dates are entered, e.g. the seed's "since 2014"),
      else "about 6 June 2017".

    A part of day is only said with an exact day: the part of an unknown day tells the reader
    nothing (it still orders same-day changes). An unknown precision or part of day is an error,
    not a guess.
    """
    return _label(on, precision, day_part, translation.get_language())


# A page lists hundreds of changes over a few dates, and Django's dateformat parses its format and looks up
# the month's name on every call (~15 ms of the what-changed page's 200 rows); the words are the same for
# the same date, precision, part of day and language.
@functools.lru_cache(maxsize=4096)
def _label(on: dt.date, precision: str, day_part: int, language: str | None) -> str:
    if precision not in Precision.values:
        raise ValueError(f"'{precision}' is not a date precision ({', '.join(Precision.values)}).")
    if day_part not in DayPart.values:
        raise ValueError(f"'{day_part}' is not a part of day ({min(DayPart.values)}-{max(DayPart.values)}).")
    if precision == Precision.MONTH:
        return dateformat.format(on, "F Y")
    if precision == Precision.APPROXIMATE:
        if on.day != 1:
            shown = "j F Y"
        else:
            shown = "Y" if on.month == 1 else "F Y"
        return "about " + dateformat.format(on, shown)
    label = dateformat.format(on, "j F Y")
    if day_part != DayPart.UNSPECIFIED:
        label += ", " + DayPart(day_part).label.lower()
    return label
