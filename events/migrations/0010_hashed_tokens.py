"""Retire the API tokens DRF stored in plain text; tokens are now stored hashed (django-rest-knox).

A plaintext token in the database (or in any copy or backup of it) is a working credential, so none is
carried over: the rows are deleted and DRF's table dropped. Their owners are named in the migration's
output, and a retired token presented to the API answers 401 saying tokens were reissued
(events.api.authentication.RETIRED_MESSAGE), so each client knows to sign in again.
"""

import logging

from django.db import migrations

logger = logging.getLogger("events.tokens")
TABLE = "authtoken_token"


def retire_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    user = apps.get_model("auth", "User")
    quoted = schema_editor.quote_name(TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT user_id FROM {quoted}")  # noqa: S608  (a fixed table name)
        owners = sorted(
            user.objects.filter(pk__in=[row[0] for row in cursor.fetchall()]).values_list("username", flat=True)
        )
        cursor.execute(f"DELETE FROM {quoted}")  # noqa: S608
    schema_editor.execute(f"DROP TABLE {quoted}")
    if owners:
        message = (
            f"Retired {len(owners)} API token(s) stored in plain text; tokens are now stored hashed. "
            f"Their owners must ask /api/auth/token/ for a new one: {', '.join(owners)}."
        )
        logger.warning(message)  # the root logger prints it during migrate (settings.LOGGING)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("events", "0009_published_changes_keep_when"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(retire_plaintext_tokens, migrations.RunPython.noop)]
