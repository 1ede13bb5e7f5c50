"""Every API error is JSON: DRF's shape (``{"field": ["message"]}`` or ``{"detail": ...}``), never a traceback."""

import logging

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler, set_rollback

from conflictmap.faults import fault_response
from events.exports import ExportParameterError

logger = logging.getLogger(__name__)


def api_exception_handler(exc, context):
    fault = fault_response(context["request"], exc)  # the database down or the disk full: one line
    if fault is not None:
        set_rollback()
        return fault
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than the {limit // 1024:,} KB this API accepts."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ExportParameterError):
        exc = ValidationError({exc.parameter: [exc.message]})
    elif isinstance(exc, DjangoValidationError):
        # Raised by events.services (full_clean): same field-keyed messages as a serializer's,
        # and a constraint's message under DRF's non-field key rather than Django's "__all__".
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            non_field = detail.pop(NON_FIELD_ERRORS)
            detail[api_settings.NON_FIELD_ERRORS_KEY] = [*detail.get(api_settings.NON_FIELD_ERRORS_KEY, []), *non_field]
        exc = ValidationError(detail)
    response = exception_handler(exc, context)
    if response is None:
        # Even with DEBUG on, an API client gets JSON; the traceback goes to the log only.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        response = Response({"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return response


@csrf_exempt  # a POST to a wrong path should hear "not found", not the HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """Any /api/ path that names nothing."""
    return JsonResponse({"detail": f"No API endpoint at {request.path}."}, status=404)
