"""Rate limits on sign-in, token and write requests (DRF's throttles, rates from settings.RATE_LIMITS).

The counts live in the cache, so with REDIS_URL every worker shares them; a limited request hears
429 with Retry-After.
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import escape
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from settings.RATE_LIMITS[scope] on every request."""

    def get_rate(self):
        return settings.RATE_LIMITS[self.scope]


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
                    f"from this address. Try again in {escape(wait)} seconds.</p>", status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
