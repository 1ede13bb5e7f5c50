"""The admin role manages accounts and roles but cannot make anyone (itself included) a superuser."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from tests.events.roles import client_as, user_in

pytestmark = pytest.mark.django_db


def user_form(user: User, **overrides) -> dict:
    data = {"username": user.username, "first_name": "", "last_name": "", "email": "", "is_active": "on",
            "is_staff": "on", "groups": [g.pk for g in user.groups.all()]}
    return {**data, **overrides}


@pytest.fixture
def boss():
    return user_in("admin", "boss")


@pytest.fixture
def boss_client(boss):
    client = client_as(boss)
    return client


def test_admin_group_cannot_make_itself_superuser_or_grant_permissions(boss, boss_client):
    url = f"/admin/auth/user/{boss.pk}/change/"
    page = boss_client.get(url)
    fields = page.context["adminform"].form.fields
    assert "is_superuser" not in fields and "user_permissions" not in fields
    audit_write = Permission.objects.get(codename="change_historicalcontrolchange")
    response = boss_client.post(url, user_form(boss, is_superuser="on", user_permissions=[audit_write.pk]))
    assert response.status_code == 302
    boss.refresh_from_db()
    assert not boss.is_superuser and not boss.user_permissions.exists()
    assert not User.objects.get(pk=boss.pk).has_perm("events.change_historicalcontrolchange")


def test_admin_group_puts_an_editor_in_a_role_group_only(boss_client):
    person = user_in(None, "newcomer")
    Group.objects.create(name="ops").permissions.add(Permission.objects.get(codename="change_historicalcontrolchange"))
    url = f"/admin/auth/user/{person.pk}/change/"
    choices = set(boss_client.get(url).context["adminform"].form.fields["groups"].queryset.values_list("name",
                                                                                                         flat=True))
    assert choices == {"editor", "reviewer", "admin"}
    reviewer = Group.objects.get(name="reviewer")
    assert boss_client.post(url, user_form(person, groups=[reviewer.pk])).status_code == 302
    assert list(person.groups.values_list("name", flat=True)) == ["reviewer"]
    ops = Group.objects.get(name="ops")
    response = boss_client.post(url, user_form(person, groups=[ops.pk]))
    assert response.status_code == 200 and "groups" in response.context["adminform"].form.errors
    assert list(person.groups.values_list("name", flat=True)) == ["reviewer"]


def test_admin_group_adds_accounts(boss_client):
    response = boss_client.post("/admin/auth/user/add/", {"username": "new-editor", "usable_password": "true",
                                                          "password1": "a-long-Passphrase-91", "password2":
                                                              "a-long-Passphrase-91"})
    assert response.status_code == 302 and User.objects.filter(username="new-editor").exists()


def test_admin_group_cannot_touch_a_superuser_account(boss_client):
    root = User.objects.create_superuser("root", password="not-used-in-tests")
    url = f"/admin/auth/user/{root.pk}/"
    assert boss_client.post(url + "change/", user_form(root, is_active="")).status_code == 403
    assert boss_client.post(url + "password/", {"password1": "Takeover-Pass-1234", "password2": "Takeover-Pass-1234",
                                                "usable_password": "true"}).status_code == 403
    assert boss_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.check_password("not-used-in-tests")


def test_a_superuser_still_grants_superuser(boss):
    root = User.objects.create_superuser("root", password="not-used-in-tests")
    client = client_as(root)
    response = client.post(f"/admin/auth/user/{boss.pk}/change/", user_form(
        boss, is_superuser="on", date_joined_0="2017-09-01", date_joined_1="12:00:00"))
    assert response.status_code == 302
    boss.refresh_from_db()
    assert boss.is_superuser
