"""API tokens: issued at /api/auth/token/ (a new one at each sign-in, shown that once and stored hashed),
valid for API_TOKEN_TTL, revoked on logout (``POST /api/auth/logout/`` ends the token it is sent with;
signing out of the site ends all of the user's), whenever the user's password changes, and when the user
is deactivated: reactivating an account does not bring its old tokens back."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from conflictmap.throttles import LoginRateThrottle

from .parsers import BoundedJSONParser, NulRefusingFormParser, NulRefusingMultiPartParser


def token_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)


def token_issue(*, user) -> tuple[AuthToken, str]:
    """A new token for ``user``: the stored row (digest only) and the token itself, to show once.

    The user's expired tokens are dropped on the way, so signing in again and again leaves no pile.
    """
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    return AuthToken.objects.create(user=user, expiry=token_ttl())


def tokens_revoke(*, user_id: int) -> int:
    """End every token of the user; how many there were."""
    deleted, _ = AuthToken.objects.filter(user_id=user_id).delete()
    return deleted


class TokenObtainView(ObtainAuthToken):
    """Username and password in, a new token out. It is shown only in this answer: the server keeps its hash."""

    parser_classes = (BoundedJSONParser, NulRefusingFormParser, NulRefusingMultiPartParser)
    throttle_classes = (LoginRateThrottle,)

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auth_token, token = token_issue(user=serializer.validated_data["user"])
        return Response({"token": token, "expires": auth_token.expiry.isoformat()})


class TokenRevokeView(APIView):
    """Sign the API client out: the token it sent stops working at once (signed in by session: all of them)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        else:
            tokens_revoke(user_id=request.user.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@receiver(user_logged_out)
def _revoke_on_logout(sender, user, **kwargs):
    if user is not None:
        tokens_revoke(user_id=user.pk)


@receiver(pre_save, sender=get_user_model())
def _revoke_on_password_change_or_deactivation(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    if stored is None:
        return
    password, active = stored
    if password != instance.password or (active and not instance.is_active):
        tokens_revoke(user_id=instance.pk)
