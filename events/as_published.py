"""``?as_published=``: any reader's page, layer, export or API list as the public could see it then.

``?release=N`` (with ``theatre``) is the same view at that release's moment.

The middleware reads the parameter once (``params.parse_as_published``: 400 naming it when bad) and
runs the view, and a streamed answer's every batch, inside ``selectors.as_known_at``: every reader
composes the rule through ``selectors.visibility()``, and every cache key and ETag through
``selectors.data_version()``, so both follow the moment without a reader passing it on. The admin
and writes are never read "as published": they act on the record as it is.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.utils.html import escape

from . import selectors
from .params import ParameterError, parse_as_published, parse_release

PARAMETER = "as_published"
RELEASE = "release"  # ?release=N&theatre=S: that release's moment (events.params.parse_release)
READS = ("GET", "HEAD")


def _within(moment: dt.datetime, chunks: Iterable) -> Iterator:
    """A streamed answer's batches, each made as known at ``moment`` (they are made after the view returns)."""
    batches = iter(chunks)
    while True:
        with selectors.as_known_at(moment):
            try:
                batch = next(batches)
            except StopIteration:
                return
        yield batch


class AsPublishedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        asked = PARAMETER in request.GET or RELEASE in request.GET
        if not asked or request.method not in READS or request.path.startswith("/admin/"):
            return self.get_response(request)
        try:
            moment = parse_release(request.GET) if RELEASE in request.GET else parse_as_published(request.GET)
        except ParameterError as exc:
            if request.path.startswith("/api/"):
                return JsonResponse({exc.parameter: [exc.message]}, status=400)
            return HttpResponseBadRequest(
                f"<!doctype html><title>Bad request</title><p>{escape(exc.message)}</p>",
            )
        with selectors.as_known_at(moment):
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = _within(moment, response.streaming_content)
        return response


def moment_words(moment: dt.datetime) -> str:
    """The moment as a reader says it, in the site's time zone: "2 September 2017, 20:00 (UTC+03:00)"."""
    local = timezone.localtime(moment)
    offset = local.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset.strip("+-0") else "UTC"
    return f"{local.day} {local:%B %Y, %H:%M} ({zone})"


def current_view_url(path: str, params) -> str:
    """This page as known now: the same address without ``as_published``."""
    kept = [(k, v) for k, values in params.lists() if k not in (PARAMETER, RELEASE) for v in values]
    return path + (f"?{urlencode(kept)}" if kept else "")


def with_moment(url: str) -> str:
    """``url`` carrying this context's ``as_published`` moment (unchanged when reading as known now)."""
    moment = selectors.known_moment()
    if moment is None:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({PARAMETER: moment.isoformat()})
