"""GET /api/territory-change.json: the diff page's numbers, with the rule they follow (and, where control
is drawn as polygons, the drawn areas' km² as ``drawn``); GET /api/area-conflicts.json: towns against polygons."""

from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from events import conflicts_page, selectors, territory
from events.params import ParameterError, given_date, parse_date, parse_theatre, whole_number
from geodata.theatres import theatre_default

from .views import AS_PUBLISHED_PARAM, ERROR_RESPONSE, THEATRE_PARAM, _date_param


def _period(params) -> tuple:
    """``from`` and ``to``, both required here: a diff between unnamed dates would be a guess."""
    dates = {}
    for name in ("from", "to"):
        dates[name] = parse_date(params.get(name), parameter=name)
        if dates[name] is None:
            raise ParameterError(name, f"'{name}' is required (YYYY-MM-DD).")
    if dates["from"] > dates["to"]:
        raise ParameterError("from", f"'from' ({dates['from']}) is after 'to' ({dates['to']}).")
    return dates["from"], dates["to"]


@extend_schema_view(get=extend_schema(
    operation_id="territory_change", tags=["exports"],
    parameters=[
        _date_param("from", "Control at the end of this day, YYYY-MM-DD (required).", required=True),
        _date_param("to", "against control at the end of this day, YYYY-MM-DD (required).", required=True),
        THEATRE_PARAM,
        AS_PUBLISHED_PARAM,
    ],
    responses={200: OpenApiTypes.OBJECT, 304: None, 400: ERROR_RESPONSE},
))
class TerritoryChangeView(APIView):
    """Per faction between `from` and `to`: km² gained from and lost to each other faction (conquest),
    newly recorded and no longer recorded (bookkeeping), and the towns behind each; `rule` states how
    areas are drawn (`radius_km`). For each faction, gained − lost + newly − no longer = after − before.
    Where drawn polygons are in force on either date, `drawn` gives per layer and faction the km² gained from
    and lost to each side (by its drawing or its towns), newly drawn and no longer drawn, measured from the
    polygons; overlays (advances, claims, counteroffensives) are their own layers, never in assessed control."""

    authentication_classes = []  # the same published data for everyone
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        start, end = _period(request.query_params)
        theatre = parse_theatre(request.query_params)
        rule = territory.area_rule()
        etag = quote_etag(f"territory-change-{rule['radius_km']:g}-{selectors.data_version(theatre=theatre)}")
        response = get_conditional_response(request._request, etag=etag)
        if response is None:
            change = territory.territory_between(start=start, end=end, theatre=theatre)
            summary = territory.territory_change_summary(change)
            drawn = territory.drawn_between(start=start, end=end, theatre=theatre)
            if drawn is not None:  # only where control is drawn: the members of before stay byte for byte
                summary["drawn"] = drawn
            response = Response(summary)
        response["ETag"] = etag
        patch_cache_control(response, public=True, no_cache=True)
        return response


def _conflict_params(params) -> tuple:
    """``theatre`` (else the default theatre), ``date`` (else the theatre's latest day) and ``page``."""
    theatre = parse_theatre(params) or theatre_default()
    if theatre is None:
        raise ParameterError("theatre", "No theatre is loaded; 'theatre' names one (see /api/theatres/).")
    on = given_date(params, "date") or conflicts_page.default_date(theatre)
    if on > timezone.localdate():
        raise ParameterError("date", f"'{on}' is in the future.")
    raw = params.get("page", "1")
    page = whole_number(raw)
    if page is None or page < 1:
        raise ParameterError("page", f"'{raw}' is not a page number (1, 2, ...).")
    return theatre, on, page


@extend_schema_view(get=extend_schema(
    operation_id="area_conflicts", tags=["exports"],
    parameters=[
        OpenApiParameter("theatre", OpenApiTypes.STR, description=(
            "The theatre (a slug; /api/theatres/ lists them). Left out: the default theatre.")),
        _date_param("date", "Towns and drawings in force at the end of this day, YYYY-MM-DD. Left out: the "
                    "theatre's latest day with a drawing or a change."),
        OpenApiParameter("page", OpenApiTypes.INT, description=(
            f"Page of results, from 1 ({conflicts_page.PER_PAGE} a page).")),
        AS_PUBLISHED_PARAM,
    ],
    responses={200: OpenApiTypes.OBJECT, 304: None, 400: ERROR_RESPONSE},
))
class AreaConflictsView(APIView):
    """Towns against polygons: towns inside a faction's published drawn assessed area on `date` but recorded
    for another side; each with the change in force, the drawing (its day, age and sources). `count` is
    every conflict; `results` one page of them. `rule` states the test."""

    authentication_classes = []  # the same published data for everyone
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        theatre, on, page = _conflict_params(request.query_params)
        etag = quote_etag(f"area-conflicts-{on}-{page}-{selectors.data_version(theatre=theatre)}")
        response = get_conditional_response(request._request, etag=etag)
        if response is None:
            response = Response(conflicts_page.area_conflicts_page(on=on, theatre=theatre, page=page))
        response["ETag"] = etag
        patch_cache_control(response, public=True, no_cache=True)
        return response
