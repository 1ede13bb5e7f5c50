"""SQLite is configured so that concurrent writers queue rather than fail with "database is locked"."""

import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.sqlite_only("SQLite settings")


def test_sqlite_waits_and_takes_the_write_lock_at_begin():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_a_file_database_opens_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'conflictmap.settings.test'; django.setup();"
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], env={"DATABASE_URL": url, "PATH": ""},
                         capture_output=True, text=True, check=True, cwd=settings.BASE_DIR)
    assert out.stdout.strip() == "wal"

