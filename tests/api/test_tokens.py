"""API tokens expire and stop working on logout and on a password change."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PASSWORD = "a long enough test password"


@pytest.fixture
def user(editor):
    editor.set_password(PASSWORD)
    editor.save()
    return editor


def token_for(user) -> str:
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["expires"]
    return response.json()["token"]



def test_a_token_works_until_the_api_logout_revokes_it(user):
    token = token_for(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/control-changes?state=draft").status_code == 200
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.get("/api/control-changes?state=draft").status_code == 401
    assert not Token.objects.filter(user=user).exists()


def test_signing_out_of_the_site_revokes_the_token(user):
    token = token_for(user)
    browser = Client()
    browser.force_login(user)
    browser.post("/admin/logout/")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/control-changes?state=draft").status_code == 401


def test_a_password_change_revokes_the_token(user):
    token = token_for(user)
    user.set_password("another long test password")
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/control-changes", {}, format="json")
    assert response.status_code == 401


def test_saving_the_user_without_a_new_password_keeps_the_token(user):
    token = token_for(user)
    user.first_name = "Renamed"
    user.save()
    assert Token.objects.filter(key=token).exists()


def test_an_expired_token_is_refused_and_a_new_one_issued(user, settings):
    token = token_for(user)
    expired = timezone.now() - dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS + 1)
    Token.objects.filter(key=token).update(created=expired)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/control-changes?state=draft")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    fresh = token_for(user)
    assert fresh != token
