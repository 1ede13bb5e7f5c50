"""Every route of the URL configuration answers a fresh installation (migrated, nothing loaded) without a 5xx.

The routes come from the URL configuration (bench.routes), not a list: a new page is checked the day
it is added. A path argument names nothing (a 404 is the right answer); a route with no argument
answers 200 or says what is missing in 4xx.
"""

import re

import pytest
from django.test import Client

from bench.routes import routes

# A path argument, as Django's converters (<slug:slug>) or DRF's router regexes ((?P<pk>[^/.]+)) write it.
ARGUMENT = re.compile(r"<(?:(\w+):)?\w+>|\(\?P<\w+>[^)]*\)")


def _url(pattern: str) -> str:
    def value(match: re.Match) -> str:
        return "1" if match.group(1) == "int" or "pk" in match.group(0) else "nowhere"

    return "/" + ARGUMENT.sub(value, pattern).replace("^", "").replace("/?$", "/").replace("$", "")


GET_ROUTES = [r for r in routes() if r.reader or r.key.startswith("api:") and r.key not in {"api:logout", "api:token"}]


def test_the_routes_are_found():
    keys = {r.key for r in GET_ROUTES}
    assert {"home", "factions", "what-changed", "api:control-geojson", "api:town-list"} <= keys


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.key)
def test_a_fresh_installation_answers_every_route(db, route):
    response = Client().get(_url(route.pattern))
    assert response.status_code < 500, (route.key, response.status_code, response.content[:300])
    if "<" not in route.pattern and "(?P" not in route.pattern:
        assert response.status_code in {200, 204, 400, 404}, (route.key, response.status_code)
