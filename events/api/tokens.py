"""API tokens: one per user, issued at /api/auth/token/, valid for API_TOKEN_TTL, revoked on logout
(``POST /api/auth/logout/`` or signing out of the site) and whenever the user's password changes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import pre_save
from django.dispatch import receiver
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from conflictmap.throttles import LoginRateThrottle

from .authentication import token_expired, token_ttl
from .parsers import BoundedJSONParser, NulRefusingFormParser, NulRefusingMultiPartParser


class TokenObtainView(ObtainAuthToken):
    """Username and password in, the user's token out; an expired token is replaced by a new one."""

    parser_classes = (BoundedJSONParser, NulRefusingFormParser, NulRefusingMultiPartParser)
    throttle_classes = (LoginRateThrottle,)

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token = Token.objects.filter(user=user).first()
        if token is not None and token_expired(token):
            token.delete()
            token = None
        if token is None:
            token = Token.objects.create(user=user)
        expires = token.created + token_ttl()
        return Response({"token": token.key, "expires": expires.isoformat()})


class TokenRevokeView(APIView):
    """Sign the API client out: the token stops working at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@receiver(user_logged_out)
def _revoke_on_logout(sender, user, **kwargs):
    if user is not None:
        Token.objects.filter(user=user).delete()


@receiver(pre_save, sender=get_user_model())
def _revoke_on_password_change(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        Token.objects.filter(user_id=instance.pk).delete()
