"""Token authentication with an expiry (API_TOKEN_TTL_SECONDS); issuing and revoking is in tokens.py."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)


def token_expired(token: Token) -> bool:
    return token.created < timezone.now() - token_ttl()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing (and deleting) a token older than API_TOKEN_TTL."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed("The token has expired; ask /api/auth/token/ for a new one.")
        return user, token
