"""A page's date parameter (events.params.parse_date_or): its fallback is worked out only when needed."""

import datetime as dt

import pytest

from events.params import parse_date_or

FALLBACK = dt.date(2017, 9, 3)


def _counted_fallback(calls: list[int]):
    def fallback() -> dt.date:
        calls.append(1)
        return FALLBACK

    return fallback


def test_a_date_asked_for_never_works_out_the_fallback():
    calls: list[int] = []
    assert parse_date_or("2017-08-31", parameter="date", fallback=_counted_fallback(calls)) == (
        dt.date(2017, 8, 31), None)
    assert calls == []


@pytest.mark.parametrize(("raw", "words"), [
    (None, None),
    ("", None),
    ("2017-9-3", "showing 2017-09-03"),
    ("2999-01-01", "is in the future; showing 2017-09-03"),
])
def test_a_missing_or_bad_date_works_out_the_fallback_once(raw, words):
    calls: list[int] = []
    on, error = parse_date_or(raw, parameter="date", fallback=_counted_fallback(calls))
    assert on == FALLBACK and calls == [1]
    assert (error is None) if words is None else (words in error)


def test_a_plain_date_is_still_a_fallback():
    assert parse_date_or("nonsense", parameter="date", fallback=FALLBACK)[0] == FALLBACK
