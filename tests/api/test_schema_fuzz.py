"""schemathesis reads every operation from /api/schema/ and fuzzes the served app: no 5xx, and every
answer (status code and body) as the schema documents it.

It runs schemathesis's own command line against pytest-django's live server (a real HTTP server, in
a thread, on the seeded test database), so CI runs it on SQLite and on PostgreSQL like any other
test. The seed and the number of examples are fixed, so a run is repeatable and bounded in time.
"""

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from tests.events.roles import user_in

PASSWORD = "fuzz-editor-password"  # noqa: S105 — a throwaway user of the test database
SEED = 20261205
# Examples per operation and phase; tuned so each database's runs stay within 90 s on a 2-core machine.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
# Valid requests: no 5xx, and every answer's status code and body as documented.
CONFORMANCE = ["--mode", "positive", "--phases", "examples,coverage,fuzzing",
               "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance"]  # fmt: skip
# Requests the schema forbids (a wrong type, an empty date, a value outside an enum): refused, never a 5xx.
REFUSAL = ["--mode", "negative", "--phases", "fuzzing", "--checks", "not_a_server_error,negative_data_rejection"]
# Signing out revokes the token the run uses; deleting drafts destroys what the other operations read.
EXCLUDED = ["--exclude-path", "/api/auth/logout/", "--exclude-method", "DELETE"]


def schemathesis_run(base_url: str, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is not installed (pip install -r requirements-dev.txt)"
    args = [
        st, "run", f"{base_url}/api/schema/", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
        "--generation-database", "none", "--workers", "1", "--request-timeout", "30",
        "--no-color", "--output-truncate", "false", "--warnings", "off",
        # One request per connection, as gunicorn's sync workers serve them: on a kept-alive connection
        # the test server once dropped the request after an anonymous PATCH answered 401 (its body
        # unread), a network error schemathesis counts as a failure but no client of gunicorn meets.
        "-H", "Connection: close",
        *EXCLUDED, *options,
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)


def editor_group() -> None:
    """The editor group as migration 0003 makes it: a live-server test before this one flushed the
    database, groups included (the seed is loaded again, the groups are not)."""
    roles = importlib.import_module("events.migrations.0003_editor_reviewer_admin_groups")
    group, _ = Group.objects.get_or_create(name="editor")
    wanted = Q()
    for app, codename in roles._codenames(roles.EDITOR):
        wanted |= Q(content_type__app_label=app, codename=codename)
    group.permissions.set(Permission.objects.filter(wanted))


def editor_token(base_url: str) -> str:
    """An API token for an editor, obtained as a client obtains one."""
    editor_group()
    user = user_in("editor", "fuzz-editor")
    user.set_password(PASSWORD)
    user.save()
    answer = requests.post(
        f"{base_url}/api/auth/token/", json={"username": user.username, "password": PASSWORD}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return json.loads(answer.text)["token"]


def options_for(who: str, base_url: str) -> list[str]:
    if who == "anonymous":
        return []
    # The exports, the schema and the token endpoint ignore credentials (the same published data for
    # everyone): the anonymous run covers them; the editor's covers what an editor sees and may write.
    return [
        "-H", f"Authorization: Token {editor_token(base_url)}",
        "--exclude-tag", "exports", "--exclude-path", "/api/schema/", "--exclude-path", "/api/auth/token/",
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_the_api_answers_as_its_schema_says_and_refuses_what_it_forbids(live_server, seeded, tmp_path, who):
    # Both runs in one test: each live-server test flushes the database and loads the seed again.
    options = options_for(who, live_server.url)
    for name, kind in [("conformance", CONFORMANCE), ("refusal", REFUSAL)]:
        run = schemathesis_run(live_server.url, tmp_path, *kind, *options)
        assert run.returncode == 0, f"schemathesis ({name}, {who}):\n{run.stdout[-20000:]}\n{run.stderr[-2000:]}"
