"""When the database is unreachable or locked: 503 with Retry-After (JSON under /api/), never a traceback.

Django closes a connection that failed at the end of the request, so the next request connects
again: service resumes by itself when the database is back, without a restart.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
MESSAGE = "The database is not answering just now. Please try again in a few seconds."


def database_unavailable(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>Temporarily unavailable</title><p>{MESSAGE}</p>",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def is_database_down(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError):  # raised outside a view, e.g. by the session middleware
            logger.exception("Database unavailable")
            return database_unavailable(request)

    def process_exception(self, request, exception):
        if is_database_down(exception):
            logger.exception("Database unavailable", exc_info=exception)
            return database_unavailable(request)
        return None
