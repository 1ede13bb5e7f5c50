"""Files served at fixed URLs rather than under /static/: the favicon browsers ask for at /favicon.ico
(the admin and the API docs link none), and Redoc's bundle without its maker's remote logo."""

import functools
import hashlib
import logging
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

FAVICON = "favicon.ico"
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# Redoc 2's side menu ends in "API docs by Redocly" with a logo fetched from its CDN, and has no option
# to leave it out. An empty src fails without a request, and the bundle's own onError then drops the
# image; the page hides the link (templates/api/redoc.html).
REDOC_REMOTE_LOGO = b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
DAY = 24 * 3600


@functools.cache
def _static_bytes(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"Static file {path} is missing (is drf-spectacular-sidecar installed?)")
    return Path(found).read_bytes()


@functools.cache
def redoc_bundle() -> bytes:
    """The sidecar's Redoc bundle with its one remote image removed; patched once per process."""
    bundle = _static_bytes(REDOC_BUNDLE)
    if REDOC_REMOTE_LOGO not in bundle:
        # A new Redoc moved it: the docs still work, and the browser test names the request.
        logger.warning("Redoc's bundle no longer holds %s; serving it unpatched.", REDOC_REMOTE_LOGO.decode())
    return bundle.replace(REDOC_REMOTE_LOGO, b'src:""')


def _file_response(body: bytes, content_type: str, request) -> HttpResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={DAY}"
    return response


@require_safe
def favicon(request):
    return _file_response(_static_bytes(FAVICON), "image/x-icon", request)


@require_safe
def redoc_standalone(request):
    return _file_response(redoc_bundle(), "text/javascript; charset=utf-8", request)
