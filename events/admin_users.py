"""User accounts in the admin, without a way up: the "admin" role manages people but is no superuser.

Django's UserAdmin lets anyone with change_user tick is_superuser or grant any permission, so the
admin group could make itself superuser and then rewrite the audit trail. Here a non-superuser
may add accounts, (de)activate them and put them in the role groups (editor, reviewer, admin),
but cannot grant superuser status or single permissions, nor touch a superuser's account.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User

ROLE_GROUPS = ("editor", "reviewer", "admin")  # made by events migration 0003
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")


class RoleLimitedUserAdmin(UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return (*readonly, *SUPERUSER_ONLY_FIELDS, "last_login", "date_joined")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            # Only the role groups: a group a superuser made for other purposes may carry more rights.
            kwargs["queryset"] = Group.objects.filter(name__in=ROLE_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _touches_superuser(self, request, obj) -> bool:
        return obj is not None and obj.is_superuser and not request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # Also guards the password-change page, which asks this for the account it changes.
        return super().has_change_permission(request, obj) and not self._touches_superuser(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._touches_superuser(request, obj)


admin.site.unregister(User)
admin.site.register(User, RoleLimitedUserAdmin)
