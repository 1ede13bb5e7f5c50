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

from .views import DOWNLOAD_PARAM, REV_PARAM, ExportView


def _no_params(params) -> dict:
    return {}


def _change_dates() -> exports.Export:
    dates = selectors.change_dates()
    content = orjson.dumps({"dates": dates})  # dates as YYYY-MM-DD
    return exports.Export(content, "application/json", "change-dates.json")


CHANGE_DATES = exports.Layer(_no_params, _change_dates)


@extend_schema_view(get=extend_schema(
    operation_id="change_dates", tags=["exports"],
    parameters=[
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
