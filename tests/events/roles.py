"""Users in the groups the data migration creates."""

from django.contrib.auth.models import Group, User


def user_in(group: str | None, name: str | None = None) -> User:
    user = User.objects.create_user(name or f"{group or 'nobody'}-user", password="not-used-in-tests",
                                    is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # fresh, so the permission cache sees the group
