"""GET /api/change-dates.json: the dates the map's time control steps through, fetched by the page."""

import orjson
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from events import exports, selectors
from geodata.models import Theatre

from .views import AS_PUBLISHED_PARAM, DOWNLOAD_PARAM, REV_PARAM, THEATRE_PARAM, ExportView


def _theatre_param(params) -> dict:
    theatre = exports.layer_theatre(params)
    return {} if theatre is None else {"theatre": theatre}


def _change_dates(*, theatre: Theatre | None = None) -> exports.Export:
    dates = selectors.change_dates(theatre=theatre)
    content = orjson.dumps({"dates": dates})  # dates as YYYY-MM-DD
    name = "change-dates" if theatre is None else f"change-dates-{theatre.slug}"
    return exports.Export(content, "application/json", f"{name}.json")


CHANGE_DATES = exports.Layer(_theatre_param, _change_dates)


@extend_schema_view(get=extend_schema(
    operation_id="change_dates", tags=["exports"],
    parameters=[
        THEATRE_PARAM,
        AS_PUBLISHED_PARAM,
        REV_PARAM,
        DOWNLOAD_PARAM,
    ],
    responses={(200, "application/json"): OpenApiResponse(
        inline_serializer("ChangeDates", {"dates": serializers.ListField(child=serializers.DateField())}),
        description="Every day on which a published change in force is dated, oldest first."), 304: None},
))
class ChangeDatesView(ExportView):
    """The days on which control changed (published changes in force), oldest first: the steps of
    the map's time control. The last is the default `date` of the map and the GeoJSON layers."""

    renderer_classes = [JSONRenderer]

    def export_layer(self) -> exports.Layer:
        return CHANGE_DATES
