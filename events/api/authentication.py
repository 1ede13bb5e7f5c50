"""Token authentication: tokens are stored hashed (django-rest-knox) and expire; issuing and revoking is in tokens.py.

A token is shown once, when it is issued; the database keeps only its SHA-512 digest and its first 15
characters (to find the row), so a copy of the database or a backup gives no one a working token.
"""

import re
from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed

KEYWORD = "Token"
# What knox issues (64 hex digits) and what DRF's plaintext tokens were (40): such a token was retired by
# migration events 0010_hashed_tokens, and its owner is told so rather than hearing "invalid".
ISSUED = re.compile(r"[0-9a-f]{64}")
RETIRED = re.compile(r"[0-9a-f]{40}")
INVALID = "Invalid token."
RETIRED_MESSAGE = (
    "This API token was retired: tokens are now stored hashed, so every token issued before that was "
    "revoked and must be reissued. Ask /api/auth/token/ for a new one."
)
EXPIRED_MESSAGE = "The token has expired; ask /api/auth/token/ for a new one."
INACTIVE_MESSAGE = "This account is deactivated; its tokens no longer work."


def token_expired(token: AuthToken) -> bool:
    return token.expiry is not None and token.expiry <= timezone.now()


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's hashed tokens, with a message that says why a token is refused (expired, retired, inactive).

    Only a well-formed token reaches the database: anything else (other lengths, non-hex, bytes that
    are not ASCII) is "Invalid token.", never a 500.
    """

    def authenticate_header(self, request):
        return KEYWORD

    def authenticate_credentials(self, token: bytes):
        text = token.decode("ascii", errors="replace")
        if RETIRED.fullmatch(text):
            raise AuthenticationFailed(RETIRED_MESSAGE)
        if not ISSUED.fullmatch(text):
            raise AuthenticationFailed(INVALID)
        digest = hash_token(text)
        candidates = AuthToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if token_expired(auth_token):
                auth_token.delete()
                raise AuthenticationFailed(EXPIRED_MESSAGE)
            if not auth_token.user.is_active:
                raise AuthenticationFailed(INACTIVE_MESSAGE)
            return auth_token.user, auth_token
        raise AuthenticationFailed(INVALID)


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme: ``Authorization: Token <token>``, as with DRF's own tokens."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=KEYWORD)
