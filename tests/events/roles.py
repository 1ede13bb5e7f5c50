"""Users in the groups the data migration creates, and test clients logged in as them."""

from django.contrib.auth.models import Group, User
from django.test import Client


def user_in(group: str | None, name: str | None = None) -> User:
    user = User.objects.create_user(name or f"{group or 'nobody'}-user", password="not-used-in-tests",
                                    is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # fresh, so the permission cache sees the group


def client_as(user: User, **kwargs) -> Client:
    """A test client (``Client(**kwargs)``) logged in as ``user``."""
    client = Client(**kwargs)
    client.force_login(user)
    return client
