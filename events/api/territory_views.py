"""GET /api/territory-change.json: the diff page's numbers, with the rule they follow."""

from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from events import selectors, territory
from events.params import ParameterError, parse_date, parse_theatre

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
    areas are drawn (`radius_km`). For each faction, gained − lost + newly − no longer = after − before."""

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
            response = Response(territory.territory_change_summary(change))
        response["ETag"] = etag
        patch_cache_control(response, public=True, no_cache=True)
        return response
