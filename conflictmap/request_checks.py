"""Checks on the request itself, before any view runs.

A NUL character in a query string is refused with a 400 (JSON under /api/): PostgreSQL cannot
compare text holding one, so a filter or a search would otherwise fail with a 500. And the client's
address, which the rate limits count by, is read only as far as the operator's proxies vouch for it.
"""

import functools
import ipaddress

from django.conf import settings
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


def _hop_address(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One X-Forwarded-For entry as an address ("1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::1"), or None."""
    hop = hop.strip()
    if hop.startswith("["):
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:
        hop = hop.partition(":")[0]
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return None
    # A dual-stack socket names an IPv4 peer ::ffff:a.b.c.d, which no IPv4 network contains: the operator's
    # TRUSTED_PROXIES=10.0.0.0/8 would not match its proxy, and every client would count as that proxy.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def client_address(request) -> str:
    """The address a request came from, for the rate limits (conflictmap.throttles).

    REMOTE_ADDR, unless it is a proxy the operator trusts (settings.TRUSTED_PROXIES, none by
    default): then X-Forwarded-For is read from its right end (the hop the nearest proxy appended),
    skipping the trusted proxies, and the first address that is not one is the client. Whatever a
    client writes into the header itself sits left of that and is never reached, so a new header
    on each try is not a new client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    address = _hop_address(remote)
    if not trusted or address is None or not any(address in net for net in trusted):
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop_address = _hop_address(hop)
        if hop_address is None:
            break  # not an address: the last trusted hop is the best we know
        address = hop_address
        if not any(address in net for net in trusted):
            break
    return str(address)
