"""The OpenAPI schema says what the server answers: every operation lists the errors it can give,
each with the one error body every API error has (events.api.exceptions)."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from conflictmap.throttles import WriteRateThrottle


class ErrorSerializer(serializers.Serializer):
    """Every API error: ``{"detail": "..."}``, or field-keyed messages ``{"<parameter>": ["..."]}``."""


class ErrorSchema(OpenApiSerializerExtension):
    target_class = ErrorSerializer

    def get_name(self, auto_schema, direction):
        return "Error"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": 'An error: {"detail": "<what is wrong>"} or, for bad input, '
            '{"<parameter or field>": ["<what is wrong>", ...]} (non_field_errors for the whole).',
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the error answers each operation can give.

    - 400 everywhere: a NUL in any query string is refused before a view runs
      (conflictmap.request_checks), and every parameter and body is checked;
    - 401 where credentials are read (a wrong or expired token), 403 for writes (role, CSRF);
    - 404 for an operation on one object; 413 for a body; 429 where a throttle applies (the write
      throttle only to writes);
    - 503 while the database is unreachable (conflictmap.faults).
    """

    def _get_response_bodies(self, direction="response"):
        # Here, not in get_response_serializers: @extend_schema(responses=...) replaces that method.
        responses = super()._get_response_bodies(direction)
        errors = {"400": "A bad parameter or body; the body names it."}
        if self.view.get_authenticators():
            errors["401"] = "The token is wrong or expired, or a write came without credentials."
        if self.method not in SAFE_METHODS:
            errors["403"] = "The user's role does not allow this write (or the CSRF check failed)."
            errors["413"] = "The request body is larger than this API accepts."
        if "{" in self.path:
            errors["404"] = "No such object (or not one this user may see)."
        throttles = self.view.get_throttles()
        if any(not (isinstance(t, WriteRateThrottle) and self.method in SAFE_METHODS) for t in throttles):
            errors["429"] = "Too many requests; the Retry-After header says when to try again."
        errors["503"] = "The database is unreachable; the Retry-After header says when to try again."
        for code, description in errors.items():
            if code not in responses:
                # Errors are JSON whatever the operation answers when it succeeds (GeoJSON, CSV).
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code, ["application/json"], direction
                )
        return responses
