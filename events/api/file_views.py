"""The layers as files for QGIS (GeoPackage) and Google Earth (KML), and the whole history as spans.

The same layers, parameters, errors and caching as the GeoJSON views (``views.ExportView``): only the
file's format differs, written by ``events.gis_files`` from the GeoJSON layers' own features.
"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.response import Response

from events import queued_files, selectors
from events.gis_files import GPKG_MEDIA_TYPE, KML_MEDIA_TYPE

from . import views
from .renderers import GeoJSONRenderer, GeoPackageRenderer, KMLRenderer
from .schema import error

FORMATS = {
    "gpkg": (GeoPackageRenderer, GPKG_MEDIA_TYPE, "A GeoPackage (OGC) with one layer: opens in QGIS as it is."),
    "kml": (
        KMLRenderer,
        KML_MEDIA_TYPE,
        "A KML 2.2 document (Google Earth): one Placemark per feature, "
        "styled by its faction's colour, its attributes as ExtendedData.",
    ),
}
# (the GeoJSON view, its parameters)
LAYERS = {
    "control": (views.ControlGeoJSONView, [views.DATE_PARAM, views.FACTION_PARAM, views.THEATRE_PARAM]),
    "provinces": (views.ProvincesGeoJSONView, [views.DATE_PARAM, views.LEVEL_PARAM, views.THEATRE_PARAM]),
    "areas": (views.ControlAreasGeoJSONView, [views.DATE_PARAM, views.THEATRE_PARAM]),
    "changes": (views.ChangesGeoJSONView, [*views.PERIOD_PARAMS, views.FACTION_PARAM, views.THEATRE_PARAM]),
}
DATED = {"control", "provinces", "areas"}


def _responses(media_type: str, description: str) -> dict:
    return {
        (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description),
        304: None,
        (400, "application/json"): views.ERROR_RESPONSE,
    }


def file_view(layer: str, fmt: str) -> type[views.ExportView]:
    """The view of ``layer`` (a key of events.exports.LAYERS) as a ``fmt`` file."""
    geojson_view, parameters = LAYERS[layer]
    renderer, media_type, description = FORMATS[fmt]
    headers = views.SLICE_DATE_HEADERS if layer in DATED else []
    summary = (geojson_view.__doc__ or "").strip()
    queued = f"{layer}.{fmt}" in queued_files.LAYERS
    responses = _responses(media_type, description)
    if queued:
        responses[(503, "application/json")] = WRITING_RESPONSE
    view = type(
        f"{geojson_view.__name__.removesuffix('GeoJSONView')}{fmt.upper()}View",
        (QueuedFromDisk if queued else views.ExportView,),
        {
            "__doc__": f"{summary}\n\nThe features of the GeoJSON layer with the same parameters, as a file.",
            "layer": f"{layer}.{fmt}",
            "renderer_classes": [renderer],
        },
    )
    operation = f"{geojson_view.layer.replace('-', '_') if layer != 'areas' else 'control_areas'}_{fmt}"
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation,
            tags=["exports"],
            parameters=[*parameters, views.REV_PARAM, views.DOWNLOAD_PARAM, *headers],
            responses=responses,
        )
    )(view)


SPANS_DESCRIPTION = (
    "Every change in force as the span of days it holds its town: one Point per town per span, with "
    "`valid_from` (inclusive), `valid_to` (exclusive: the date of the town's next change; null while it "
    "holds), the faction, status, contested_by, precision, confidence, the change's id and its sources. "
    "On a day D the features with valid_from <= D < valid_to (or no valid_to) are control.geojson of D. "
    "QGIS's Temporal Controller plays it: Layer Properties, Temporal, \"Separate fields for start and end "
    "date/time\". The whole history, streamed; `theatre` for one theatre's; `from` and `to` for the spans "
    "in force on some day of that period (each still with its whole valid_from and valid_to)."
)
SPANS_PARAMS = [
    views._date_param(
        "from", "Only spans in force on some day from this one (inclusive), YYYY-MM-DD; default: the whole history."
    ),
    views._date_param(
        "to", "Only spans in force on some day up to this one (inclusive), YYYY-MM-DD; default: the whole history."
    ),
    views.THEATRE_PARAM,
    OpenApiParameter(
        "kind", OpenApiTypes.STR, enum=["towns", "drawn"],
        description="towns (the default): a Point per town per span. drawn: control drawn as polygons, one "
                    "feature per theatre, faction and layer (assessed, advance, claimed, counteroffensive) per "
                    "drawing in force, valid_from its day and valid_to the day of the next, with basis \"drawn\", "
                    "area_km2 and its sources.",
    ),
    views.REV_PARAM,
    views.DOWNLOAD_PARAM,
]


@extend_schema_view(
    get=extend_schema(
        operation_id="control_spans_geojson",
        tags=["exports"],
        description=SPANS_DESCRIPTION,
        parameters=SPANS_PARAMS,
        responses=views.GEOJSON_RESPONSES,
    )
)
class ControlSpansGeoJSONView(views.ExportView):
    """The whole history as spans of control (GeoJSON)."""

    layer = "control-spans"
    renderer_classes = [GeoJSONRenderer]


# The version of the data a queued file shows, and (when older) the current one, being written.
VERSION_HEADER, CURRENT_VERSION_HEADER = "X-Data-Version", "X-Data-Version-Current"
WRITING_RESPONSE = error(
    "The whole history, or a long period, as a GeoPackage is not written yet (it is queued), or the database is "
    "unreachable: ask again after Retry-After seconds, or ask a shorter period (from and to), or the GeoJSON, KML "
    "or CSV, which stream."
)


class QueuedFromDisk(views.ExportView):
    """A GeoPackage of spans or changes: the whole history, or a long period, as known now is sent from the file
    the job queue wrote for the data version (events.queued_files); a shorter period, or the record as published
    at a moment, is written here."""

    def answer(self, request, *, layer, revision, version, params):
        if not queued_files.applies(self.layer, params):
            return super().answer(request, layer=layer, revision=revision, version=version, params=params)
        asked = queued_files.question(self.layer, params, request.query_params)
        written = queued_files.kept(asked, version=version)
        if written is None:
            wait = queued_files.RETRY_SECONDS  # nothing written for the question yet: nothing says how long it takes
            streamed = self.layer.replace(".gpkg", ".geojson")
            return Response(
                {"detail": f"{asked.filename} is being written; ask again in about {wait} s. A shorter period "
                 f"(from and to, fewer than {queued_files.LARGE_PERIOD_CHANGES:,} changes) is written at once, "
                 f"and {streamed} or the KML stream from their first byte."},
                status=503, headers={"Retry-After": str(wait)},
            )
        pinned = selectors.version_pinned(request.query_params.get(views.REVISION_PARAM), revision=revision,
                                          version=version)
        response = self.conditional(
            request, etag=written.version, changed=written.changed_at, immutable=written.current and pinned,
            build=lambda: self.named(request, FileResponse(written.path.open("rb"), content_type=GPKG_MEDIA_TYPE),
                                     asked.filename),
        )
        response[VERSION_HEADER] = written.version
        if not written.current:
            response[CURRENT_VERSION_HEADER] = version
        return response


def spans_view(fmt: str) -> type[views.ExportView]:
    renderer, media_type, description = FORMATS[fmt]
    responses = _responses(media_type, description)
    if fmt == "gpkg":
        responses[(503, "application/json")] = WRITING_RESPONSE
    view = type(
        f"ControlSpans{fmt.upper()}View",
        (QueuedFromDisk if fmt == "gpkg" else views.ExportView,),
        {
            "__doc__": f"The whole history as spans of control ({fmt}).",
            "layer": f"control-spans.{fmt}",
            "renderer_classes": [renderer],
        },
    )
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"control_spans_{fmt}",
            tags=["exports"],
            description=SPANS_DESCRIPTION,
            parameters=SPANS_PARAMS,
            responses=responses,
        )
    )(view)
