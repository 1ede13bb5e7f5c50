"""Rate limits on sign-in, token and write requests, and on anonymous reads that build (RATE_LIMITS).

Each limit counts requests per client in fixed windows (e.g. 10 a minute): one counter per client
and window, increased atomically in the cache named THROTTLE_CACHE, which every worker shares
(Redis with REDIS_URL, else files under CACHE_DIR taken under a lock: conflictmap.cache_backends).
While Redis is down the counts go to those files instead, so the limits hold on each machine. A
limited request hears 429 with Retry-After, the seconds until its window ends. A client is its
address as conflictmap.request_checks.client_address reads it (X-Forwarded-For only from the
operator's TRUSTED_PROXIES).
"""

import logging
import math
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import escape
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from .request_checks import client_address

logger = logging.getLogger(__name__)

THROTTLE_CACHE = "throttle"  # the counters' cache alias (settings.CACHES); "default" when absent
FALLBACK_CACHE = "throttle-fallback"  # where they go while THROTTLE_CACHE is unavailable
now = time.time  # the clock, a name tests can replace


def _store(alias: str):
    return caches[alias] if alias in settings.CACHES else None


def _incremented(store, key: str, timeout: int) -> int | None:
    """The counter under ``key`` plus one (created at 1, expiring after ``timeout``); None if unreachable."""
    for _ in range(3):  # the key may expire between add and incr: add it again
        try:
            store.add(key, 0, timeout)
            return store.incr(key)
        except ValueError:
            if not getattr(store, "is_available", lambda: True)():
                return None
        except OSError as exc:  # the counters' files cannot be written (a full disk)
            logger.warning("Rate-limit counters unavailable (%s); not counting", exc)
            return None
    return None


def hit(ident: str, *, window: int) -> tuple[int, int]:
    """Count one request for ``ident`` in the current window: (its count so far, seconds until the window ends)."""
    moment = now()
    bucket = int(moment // window)
    wait = max(1, math.ceil((bucket + 1) * window - moment))
    key = f"throttle:{ident}:{window}:{bucket}"
    # Kept for two windows: an incr can never find the key expired within its own window.
    for alias in (THROTTLE_CACHE if THROTTLE_CACHE in settings.CACHES else "default", FALLBACK_CACHE):
        store = _store(alias)
        if store is not None and (count := _incremented(store, key, 2 * window)) is not None:
            return count, wait
    return 0, wait  # nowhere to count: let the request through rather than answer 500


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from settings.RATE_LIMITS[scope], counted by ``hit``."""

    def get_rate(self):
        return settings.RATE_LIMITS[self.scope]

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        count, self.seconds_left = hit(ident, window=self.duration)
        return count <= self.num_requests

    def wait(self):
        return self.seconds_left


class LoginRateThrottle(SettingsRateThrottle):
    """Sign-in and token requests per client address: slows password guessing."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WriteRateThrottle(SettingsRateThrottle):
    """Writes (POST, PUT, PATCH, DELETE) per user, or per address when anonymous; reads are not limited."""

    scope = "write"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BuildRateThrottle(SettingsRateThrottle):
    """Anonymous reads that miss the cache and build (a layer, a diff, a chart) per address."""

    scope = "build"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def too_many(request, wait: int, message: str) -> HttpResponse:
    """429 with Retry-After: JSON under /api/, a short page elsewhere."""
    text = f"{message} Try again in {wait} seconds."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": text}, status=429)
    else:
        response = HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>Too many requests</title><p>{escape(text)}</p>", status=429
        )
    response["Retry-After"] = str(wait)
    return response


class LoginRateLimitMiddleware:
    """The admin's sign-in form gets the same limit as the API's token endpoint."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path == reverse("admin:login"):
            throttle = LoginRateThrottle()
            if not throttle.allow_request(request, None):
                wait = int(throttle.wait() or 1)
                response = HttpResponse(
                    f"<!doctype html><title>Too many sign-in attempts</title><p>Too many sign-in attempts "
                    f"from this address. Try again in {escape(wait)} seconds.</p>",
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)


# --- reads that build ------------------------------------------------------------------------------

BUILD_MESSAGE = "Too many requests for maps or figures not yet prepared from this address."
_current_request: ContextVar = ContextVar("build_limit_request", default=None)


class BuildLimited(Throttled):
    """Raised where a read would build; DRF answers it as any throttle (429, Retry-After)."""

    default_detail = BUILD_MESSAGE


def build_check() -> None:
    """Called where a read missed the cache and is about to build (events.exports, events.territory).

    An anonymous client's builds count against RATE_LIMITS["build"]; past it this raises
    BuildLimited. A read served from the cache never gets here, so a crowd reading what is built
    stays unlimited. Outside a request (a command, the bench) and for a signed-in user, nothing counts.
    """
    current = _current_request.get()
    if current is None or not settings.RATE_LIMITS.get("build"):
        return
    request, user = current
    if user is not None and user.is_authenticated:
        return
    throttle = BuildRateThrottle()
    if not throttle.allow_request(request, None):
        raise BuildLimited(wait=throttle.wait())


class BuildLimitMiddleware:
    """Lets build_check see the request, and answers BuildLimited raised by a page with 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The user as the session names them: a DRF view without authentication replaces request.user.
        token = _current_request.set((request, getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

    def process_exception(self, request, exception):
        if isinstance(exception, BuildLimited):
            return too_many(request, int(exception.wait or 1), BUILD_MESSAGE)
        return None
