"""Renderers for the export endpoints; the bytes are made by events.exports, not here."""

import orjson
from rest_framework.renderers import BaseRenderer

from events.exports import CSV_MEDIA_TYPE
from events.geojson import GEOJSON_MEDIA_TYPE
from events.gis_files import GPKG_MEDIA_TYPE, KML_MEDIA_TYPE


class _PassThroughRenderer(BaseRenderer):
    charset = None  # the media types below say utf-8 themselves, or (GeoJSON) always are

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else orjson.dumps(data)


class GeoJSONRenderer(_PassThroughRenderer):
    media_type = GEOJSON_MEDIA_TYPE
    format = "geojson"


class CSVRenderer(_PassThroughRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"


class GeoPackageRenderer(_PassThroughRenderer):
    media_type = GPKG_MEDIA_TYPE
    format = "gpkg"


class KMLRenderer(_PassThroughRenderer):
    media_type = KML_MEDIA_TYPE
    format = "kml"
