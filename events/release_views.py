"""``/releases/``: the citable releases and their files (events.services.releases writes them).

A release's files never change, so a download's ETag is its sha256 and it may be cached for a year;
its bytes are checked against that sum before they are served (a damaged file is refused, never served).
"""

import hashlib
import logging

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, quote_etag

from .params import ParameterError, parse_theatre
from .selectors.releases import release_get, releases_list
from .services.releases import CHUNK, FILES, MEDIA_TYPES, release_path

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
IMMUTABLE = "public, max-age=31536000, immutable"


def _not_found(request, message: str) -> HttpResponse:
    return render(request, "events/not_found.html", {"message": message}, status=404)


def _rows(releases) -> list[dict]:
    return [
        {
            "release": release,
            "files": [
                {"name": name, "bytes": release.sizes.get(name), "sha256": release.checksums.get(name)}
                for name in FILES
            ],
        }
        for release in releases
    ]


def releases(request):
    """Every theatre's releases (``?theatre=``: one theatre's), newest first, a page at a time."""
    try:
        theatre = parse_theatre(request.GET)
    except ParameterError as exc:
        return _not_found(request, exc.message)
    page = Paginator(releases_list(theatre=theatre), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "events/releases.html", {"theatre": theatre, "page": page, "rows": _rows(page)})


def release_detail(request, theatre: str, number: int):
    release = release_get(theatre_slug=theatre, number=number)
    if release is None:
        return _not_found(request, f"There is no release {number} of the theatre '{theatre}'.")
    return render(
        request,
        "events/releases.html",
        {"theatre": release.theatre, "release": release, "page": None, "rows": _rows([release])},
    )


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def release_file(request, theatre: str, number: int, name: str):
    """One of a release's files, checked against its checksum; ETag the checksum, cached for good."""
    release = release_get(theatre_slug=theatre, number=number)
    if release is None:
        return _not_found(request, f"There is no release {number} of the theatre '{theatre}'.")
    if name not in FILES:
        return _not_found(request, f"A release has no file '{name}'; its files are {', '.join(FILES)}.")
    expected = release.checksums.get(name, "")
    etag = quote_etag(expected)
    response: HttpResponseBase | None = get_conditional_response(request, etag=etag)
    if response is None:
        path = release_path(release) / name
        try:
            actual = _sha256(path)
        except OSError as exc:
            actual = f"unreadable ({exc.strerror})"
        if actual != expected:
            logger.error("release file %s does not match its checksum (%s, expected %s)", path, actual, expected)
            return HttpResponse(
                f"{name} of release {number} ({theatre}) does not match its checksum on this "
                "server, so it is not served; the operators are told.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response = served = FileResponse(open(path, "rb"), content_type=MEDIA_TYPES[name])
        served["Content-Disposition"] = content_disposition_header(True, f"{theatre}-release-{number}-{name}")
        served["Content-Length"] = str(release.sizes.get(name) or path.stat().st_size)
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    return response
