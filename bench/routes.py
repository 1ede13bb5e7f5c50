"""The routes the bench must time, read from the URL configuration (not a list someone remembered).

``routes()`` walks ``get_resolver()`` (the site's urls, ``events.api.urls`` and the DRF router) and
classifies each route: a *reader* route answers a reader's GET (pages, the town panel JSON, the API
layers, exports, API list and detail GETs, feeds) and must have a figure in ``bench.route_figures``;
the others are named here with the reason they have none (admin: its change list and review queue
are figures of their own; sign-in and tokens; the schema and its docs; POST-only review actions;
the API's catch-all 404). A route this module does not know is a reader route, so a new page is
timed or the bench fails (``unfigured``).
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Route names (namespace:name) that are not read by readers, and why.
NOT_READER = {
    "api:token": "sign-in: issues a token",
    "api:logout": "sign-out: revokes a token",
    "api:schema": "the OpenAPI schema (for tools, not readers)",
    "api:docs": "the schema's Swagger page",
    "api:redoc": "the schema's Redoc page",
    "redoc-standalone": "the schema's Redoc script (a static file, patched once per process)",
    "favicon": "a static file (read once per process, ETag and 304), as whitenoise serves the others",
}
NOT_READER_NAMESPACES = {"admin": "admin: timed by the change list and review queue figures, and the writes"}


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str  # the full pattern, e.g. "towns/<slug:slug>/"
    reader: bool
    why_not: str = ""


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield entry, prefix + str(entry.pattern), namespace


def _classify(entry: URLPattern, pattern: str, namespace: str) -> Route:
    key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or pattern
    top = namespace.split(":")[0]
    if top in NOT_READER_NAMESPACES:
        return Route(key, pattern, False, NOT_READER_NAMESPACES[top])
    if key in NOT_READER:
        return Route(key, pattern, False, NOT_READER[key])
    if entry.name is None and getattr(entry.callback, "__name__", "") == "api_not_found":
        return Route(key, pattern, False, "the API's catch-all 404")
    actions = getattr(entry.callback, "actions", None)  # a DRF viewset route: {"get": "list", ...}
    if actions is not None and "get" not in actions:
        return Route(key, pattern, False, f"no GET ({', '.join(sorted(actions))} only): timed as a write")
    return Route(key, pattern, True)


def routes(urlconf: str | None = None) -> list[Route]:
    """Every route of the URL configuration once (a DRF format-suffix variant shares its route's name)."""
    seen: dict[str, Route] = {}
    for entry, pattern, namespace in _walk(get_resolver(urlconf).url_patterns):
        route = _classify(entry, pattern, namespace)
        seen.setdefault(route.key, route)
    return list(seen.values())


def reader_routes(urlconf: str | None = None) -> list[Route]:
    return [r for r in routes(urlconf) if r.reader]


def unfigured(figured: set[str], urlconf: str | None = None) -> list[Route]:
    """Reader routes with no figure: each one fails the bench."""
    return [r for r in reader_routes(urlconf) if r.key not in figured]


def route_check(figured: set[str], urlconf: str | None = None) -> list[str]:
    """One line per reader route with no figure (empty when every reader route is timed)."""
    return [f"route without a figure: {r.key} ({r.pattern or '/'}): add it to bench/route_figures.py"
            for r in unfigured(figured, urlconf)]
