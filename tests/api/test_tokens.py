"""API tokens are stored hashed, shown once, expire, and stop working on logout, on a password change and
when the account is deactivated (for good: reactivating it does not bring them back)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from events.api.authentication import RETIRED_MESSAGE

PASSWORD = "a long enough test password"
DRAFTS = "/api/control-changes?state=draft"


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


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_works_until_the_api_logout_revokes_it(user):
    token = token_for(user)
    client = client_with(token)
    assert client.get(DRAFTS).status_code == 200
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.get(DRAFTS).status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_the_database_keeps_only_a_hash_of_the_token(user):
    token = token_for(user)
    stored = AuthToken.objects.get(user=user)
    columns = [str(v) for v in AuthToken.objects.filter(user=user).values_list().get()]
    assert token not in columns and all(token not in c for c in columns)
    assert stored.digest != token and len(stored.digest) == 128


def test_each_sign_in_issues_a_new_token_and_logout_ends_only_the_one_sent(user):
    first, second = token_for(user), token_for(user)
    assert first != second
    assert client_with(first).post("/api/auth/logout/").status_code == 204
    assert client_with(first).get(DRAFTS).status_code == 401
    assert client_with(second).get(DRAFTS).status_code == 200


def test_signing_out_of_the_site_revokes_the_token(user):
    token = token_for(user)
    browser = Client()
    browser.force_login(user)
    browser.post("/admin/logout/")
    assert client_with(token).get(DRAFTS).status_code == 401


def test_a_password_change_revokes_the_token(user):
    token = token_for(user)
    user.set_password("another long test password")
    user.save()
    response = client_with(token).post("/api/control-changes", {}, format="json")
    assert response.status_code == 401


def test_saving_the_user_without_a_new_password_keeps_the_token(user):
    token = token_for(user)
    user.first_name = "Renamed"
    user.save()
    assert client_with(token).get(DRAFTS).status_code == 200


def test_an_expired_token_is_refused_and_a_new_one_issued(user):
    token = token_for(user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = client_with(token).get(DRAFTS)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    fresh = token_for(user)
    assert fresh != token


@pytest.mark.parametrize("header", ["Token zz", "Token " + "g" * 64, "Token " + "é" * 64, "Token " + "a" * 63])
def test_a_malformed_token_is_refused_without_a_500(header, db):
    response = APIClient().get(DRAFTS, HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."


def test_deactivating_a_user_revokes_every_token_for_good(user):
    tokens = [token_for(user), token_for(user)]
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    for token in tokens:
        assert client_with(token).get(DRAFTS).status_code == 401
        assert client_with(token).post("/api/control-changes", {}, format="json").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_deactivating_a_user_in_the_admin_revokes_their_tokens(user):
    token = token_for(user)
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password=PASSWORD))
    form = {
        "username": user.username,
        "is_active": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "groups": [g.pk for g in user.groups.all()],
    }
    response = admin.post(f"/admin/auth/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert not user.is_active
    form["is_active"] = "on"
    assert admin.post(f"/admin/auth/user/{user.pk}/change/", form).status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert client_with(token).get(DRAFTS).status_code == 401
    assert client_with(token).post("/api/control-changes", {}, format="json").status_code == 401


def test_the_admin_issues_a_token_shown_once(user):
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password=PASSWORD))
    response = admin.post("/admin/knox/authtoken/add/", {"user": user.pk}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"] if "shown only this once" in str(m)]
    assert len(shown) == 1
    token = next(word for word in shown[0].split() if len(word) == 64)
    stored = AuthToken.objects.get(user=user)
    assert stored.expiry is not None and stored.expiry > timezone.now()
    assert client_with(token).get(DRAFTS).status_code == 200
    listing = admin.get("/admin/knox/authtoken/").content.decode()
    page = admin.get(f"/admin/knox/authtoken/{stored.pk}/change/").content.decode()
    assert token not in listing and token not in page
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and stored.digest not in messages[0]  # the row's pk (a digest) is not a name


def test_the_migration_retires_plaintext_tokens_and_their_owners_hear_why(user, caplog):
    old = "0123456789abcdef0123456789abcdef01234567"  # as DRF issued them: 40 hex digits, stored as is
    with connection.cursor() as cursor:  # DRF's table as it was, inside the test's transaction
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old, "2026-01-01 00:00:00", user.pk])
    migration = importlib.import_module("events.migrations.0010_hashed_tokens")
    migration.retire_plaintext_tokens(apps, connection.schema_editor())  # DDL rolls back with the test
    assert "authtoken_token" not in connection.introspection.table_names()
    assert user.username in caplog.text and "Retired 1 API token" in caplog.text
    response = client_with(old).get(DRAFTS)
    assert response.status_code == 401
    assert response.json()["detail"] == RETIRED_MESSAGE and "reissued" in RETIRED_MESSAGE
