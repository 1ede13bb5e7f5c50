"""A NUL character in a query string is refused with a 400 (JSON under /api/) before any view runs:
PostgreSQL cannot compare text holding one, so a filter or a search would otherwise fail with a 500."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.html import escape

from .text_checks import NUL_MESSAGE, nul_where


class NulQueryStringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if nul_where([name, values]) is not None:
                name = name.replace("\x00", "") or "query"
                if request.path.startswith("/api/"):
                    return JsonResponse({name: [NUL_MESSAGE]}, status=400)
                return HttpResponseBadRequest(
                    f"<!doctype html><title>Bad request</title><p>{escape(name)}: {NUL_MESSAGE}</p>"
                )
        return self.get_response(request)
