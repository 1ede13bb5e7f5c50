"""API tokens in the admin: list, revoke, and issue one for a user, shown once in the confirmation message.

Replaces knox's own admin, whose add form makes a token that never expires (a blank expiry) and lists
digests. The database keeps only a token's hash, so a token lost by its owner is revoked and reissued.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.urls import reverse
from knox.models import AuthToken

from ..api.tokens import token_issue


class TokenIssueForm(forms.ModelForm):
    class Meta:
        model = AuthToken
        fields = ("user",)

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise forms.ValidationError("This account is deactivated; reactivate it before issuing a token.")
        return user


if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    form = TokenIssueForm
    list_display = ("user", "created", "expiry")
    list_filter = ("created",)
    search_fields = (f"user__{get_user_model().USERNAME_FIELD}",)
    raw_id_fields = ("user",)
    ordering = ("-created",)

    def get_fields(self, request, obj=None):
        return ("user",) if obj is None else ("user", "created", "expiry")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "created", "expiry")

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never edited

    def save_model(self, request, obj, form, change):
        auth_token, token = token_issue(user=obj.user)
        obj.pk, obj.digest = auth_token.pk, auth_token.digest
        self.message_user(
            request,
            f"A new API token for {obj.user}, shown only this once (the server keeps only its hash): {token} "
            f"— it expires {auth_token.expiry:%Y-%m-%d %H:%M} UTC.",
            messages.WARNING,
        )

    def response_add(self, request, obj, post_url_continue=None):
        # Django's "was added" message would name the row by its digest; the message above says it all.
        return HttpResponseRedirect(reverse("admin:knox_authtoken_changelist"))

    def log_addition(self, request, obj, message):
        return super().log_addition(request, obj, "Issued an API token")
