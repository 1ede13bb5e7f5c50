"""Every reader route, asked with hostile query strings on the seed, answers without a 5xx and escapes what it echoes.

The routes come from the URL configuration (``bench.routes``) and their path arguments from the seed's own
objects, picked by the route's name (a town's page gets a town); each parameter the route reads (found by
asking it, ``_parameters_read``) is given, one at a time, empty, malformed, past any bound, or carrying
markup. The schema fuzzer (``tests/api``) covers the API's documented parameters; this covers the pages too,
and parameters a schema does not list.
"""

import re
from unittest import mock

import pytest
from django.http import QueryDict
from django.test import Client

from bench.routes import reader_routes
from events.models import Confirmation, ControlChange, Dispute, Faction, Source
from geodata.models import AdminArea, Theatre, Town
from tests.events.roles import client_as, user_in

pytestmark = pytest.mark.django_db

ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
MARKUP = '<script>alert("x")</script>'
# Each parameter a route reads is asked, one at a time, with each of these: left empty, malformed and carrying
# markup (and a right-to-left mark and a control character), and past any bound (a number beyond the
# database's integers, the last day of year 9999).
VALUES = ["", MARKUP + "\u202e\x01 2017-9-3", str(10**30), "9999-12-31"]
MODELS = {
    "town": Town, "area": AdminArea, "faction": Faction, "theatre": Theatre, "source": Source,
    "controlchange": ControlChange, "confirmation": Confirmation, "dispute": Dispute,
}


def _argument(key: str, converter: str | None, name: str) -> str:
    """A seed object's slug or id for the route's argument, picked by the route's name; else a name of nothing."""
    model = next((m for word, m in MODELS.items() if word in key.split(":")[-1]), None)
    if name == "theatre":
        model = Theatre
    found = model.objects.order_by("pk").first() if model is not None else None
    if found is None:
        return "1" if converter == "int" or "pk" in name else "nowhere"
    if converter == "int" or name in ("pk", "number"):
        return str(found.pk)
    return getattr(found, "slug", None) or str(found.pk)


def _url(key: str, pattern: str) -> str:
    def value(match: re.Match) -> str:
        return _argument(key, match.group(1), match.group(2) or match.group(3))

    path = ARGUMENT.sub(value, pattern).replace("^", "").replace("/?$", "/").replace("$", "")
    return "/" + path.replace("(?P<fmt>[A-Za-z0-9]{1,10})", "gif")


def _parameters_read(client: Client, url: str) -> set[str]:
    """The query parameters a request to ``url`` asks for (the views read ``request.GET`` / DRF's
    ``query_params``, both a QueryDict): what each route reads, found by asking it, not listed."""
    asked: set[str] = set()
    originals = {name: getattr(QueryDict, name) for name in ("get", "getlist", "__getitem__", "__contains__")}

    def recording(name):
        def method(self, key, *args, **kwargs):
            if isinstance(key, str):
                asked.add(key)
            return originals[name](self, key, *args, **kwargs)

        return method

    with mock.patch.multiple(QueryDict, **{name: recording(name) for name in originals}):
        client.get(url)
    return asked


def _inert(response) -> bool:
    """Whether markup in the body cannot run: a plain-text or JSON answer that browsers are told not to sniff
    (an error message quoting the value as typed); never HTML, XML (the Atom feed, KML) or SVG."""
    kind = response.get("Content-Type", "")
    plain = kind.startswith(("text/plain", "application/json", "text/csv"))
    return plain and response.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("reader", ["anonymous", "editor"])
def test_every_reader_route_refuses_hostile_queries_without_a_5xx(seeded, reader):
    # An editor reads drafts and delayed changes (events.readers): other queries, the same refusals.
    client = Client(raise_request_exception=False)
    if reader == "editor":
        client = client_as(user_in("editor"), raise_request_exception=False)
    routes = reader_routes()
    assert {"home", "what-changed", "town-detail", "api:control-geojson", "api:source-list"} <= {r.key for r in routes}
    failures, asked = [], 0
    for route in routes:
        url = _url(route.key, route.pattern)
        for parameter in sorted(_parameters_read(client, url)):
            for value in VALUES:
                asked += 1
                response = client.get(url, {parameter: value})
                body = b"".join(response.streaming_content) if response.streaming else response.content
                if response.status_code >= 500:
                    failures.append(f"{url}?{parameter}={value!r}: {response.status_code} {body[:200]!r}")
                elif MARKUP.encode() in body and not _inert(response):
                    failures.append(f"{url}?{parameter}={value!r}: the markup echoed unescaped")
    assert asked > 200  # the routes were asked about their parameters (a recording that found none checks nothing)
    assert not failures, "\n".join(failures)
