"""Roles as groups: editor (drafts), reviewer (publishes, rejects, retracts), admin (everything).

Permissions are normally created after migrations run; create them here so the groups can be
given them on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ADD_CHANGE = ("view", "add", "change")

EDITOR = {
    "events": {
        "controlchange": (*VIEW_ADD_CHANGE, "delete"),  # delete: the service allows drafts only
        "controlchangeforreview": ("view",),
        "source": VIEW_ADD_CHANGE,
        "faction": ("view",),
    },
    "geodata": {"town": VIEW_ADD_CHANGE, "adminarea": ("view",)},
}
REVIEWER_EXTRA = {
    "events": {
        "controlchange": ("publish", "retract"),
        "controlchangeforreview": ("change",),
        "faction": ("add", "change"),
    },
}
ADMIN_APPS = ("events", "geodata")
ADMIN_AUTH = {"user": VIEW_ADD_CHANGE, "group": ("view",)}


def _codenames(spec):
    return {(app, f"{action}_{model}") for app, models in spec.items() for model, actions in models.items()
            for action in actions}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        found = []
        for app, codename in sorted(pairs):
            found.append(Permission.objects.get(content_type__app_label=app, codename=codename))
        return found

    editor = _codenames(EDITOR)
    reviewer = editor | _codenames(REVIEWER_EXTRA)
    admin = {
        (p.content_type.app_label, p.codename)
        for p in Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).select_related("content_type")
        # The audit trail is read-only for everybody.
        if "historical" not in p.codename or p.codename.startswith("view_")
    } | _codenames({"auth": ADMIN_AUTH})
    for name, wanted in (("editor", editor), ("reviewer", reviewer), ("admin", admin)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms(wanted))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["editor", "reviewer", "admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_review_retraction_and_permissions"),
        ("geodata", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
