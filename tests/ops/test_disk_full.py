"""A full disk is said in one line: "the disk is full", not "try again in a few seconds" or a traceback.

The disk fills at the write: each database's own words (SQLite's "database or disk is full", PostgreSQL's
"could not extend file ...: No space left on device") raised where Django runs an INSERT, UPDATE or
DELETE; SQLite's backup is stopped by SQLite itself (a page limit on the file it writes).
"""

import errno
import logging
import sqlite3
from contextlib import closing, contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper
from rest_framework.test import APIClient

from conflictmap import backup
from conflictmap.backup import BackupError
from events.api.tokens import token_issue
from events.models import ControlChange, Source
from geodata.models import Town
from tests.events.roles import user_in
from tests.events.test_import import GOOD, csv_text
from tests.geodata.test_load_towns import geonames_row

pytestmark = pytest.mark.django_db

WORDS = {
    "sqlite": "database or disk is full",
    "postgresql": 'could not extend file "base/16384/16990": No space left on device',
}


@contextmanager
def writes_fail_as_on_a_full_disk():
    """Every write fails as the database fails when its disk is full; reads still work."""
    real_execute, real_executemany = CursorWrapper.execute, CursorWrapper.executemany

    def refusing(real):
        def run(self, sql, *args, **kwargs):
            if sql.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
                raise OperationalError(WORDS[connection.vendor])
            return real(self, sql, *args, **kwargs)

        return run

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", refusing(real_execute))
        patch.setattr(CursorWrapper, "executemany", refusing(real_executemany))
        yield


def one_line_logged(caplog) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []  # no traceback
    assert any("Disk full" in r.getMessage() for r in caplog.records)


def test_an_api_write_on_a_full_disk_says_the_disk_is_full(seeded, caplog):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user_in('editor'))[1]}")
    change = {
        "town": "uqayribat",
        "faction": "sdf",
        "effective_date": "2017-09-10",
        "confidence": "claimed",
        "sources": [Source.objects.first().pk],
    }
    with caplog.at_level(logging.INFO), writes_fail_as_on_a_full_disk():
        response = api.post("/api/control-changes/", change, format="json")
    assert response.status_code == 507, response.content
    detail = response.json()["detail"]
    assert "disk is full" in detail and "try again" not in detail and "Retry-After" not in response
    one_line_logged(caplog)
    assert not ControlChange.objects.filter(effective_date="2017-09-10").exists()


def test_a_page_write_on_a_full_disk_says_the_disk_is_full(seeded, client, caplog):
    client.force_login(user_in("editor"))
    with caplog.at_level(logging.INFO), writes_fail_as_on_a_full_disk():
        response = client.post("/admin/logout/")  # a write: the session row is deleted
    assert response.status_code == 507
    assert "disk is full" in response.content.decode() and "Traceback" not in response.content.decode()
    one_line_logged(caplog)


def test_the_cli_import_on_a_full_disk_says_so_in_one_line(seeded, tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text(csv_text(*GOOD), encoding="utf-8")
    with writes_fail_as_on_a_full_disk(), pytest.raises(CommandError) as refused:
        call_command("import_changes", str(path), "--commit")
    assert str(refused.value).startswith("The disk is full: nothing was written")
    assert "\n" not in str(refused.value)


def test_loading_towns_on_a_full_disk_says_so_in_one_line(seeded, tmp_path):
    path = tmp_path / "SY.txt"
    path.write_text(geonames_row(990001, "Qasr al Hayr", 35.07, 38.6) + "\n", encoding="utf-8")
    with writes_fail_as_on_a_full_disk(), pytest.raises(CommandError) as refused:
        call_command("load_towns", str(path), "--commit")
    assert str(refused.value).startswith("The disk is full: nothing was written")
    assert not Town.objects.filter(geonames_id=990001).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.sqlite_only("the SQLite backup file")
def test_a_sqlite_backup_on_a_full_disk_says_so_and_leaves_nothing(seeded, tmp_path, monkeypatch):
    live = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(live)) as copy:
        connection.connection.backup(copy)
    real_connect = sqlite3.connect

    def small_disk(target, *args, **kwargs):
        db = real_connect(target, *args, **kwargs)
        if str(target).endswith(".partial"):
            db.execute("PRAGMA max_page_count = 8")  # SQLite answers SQLITE_FULL past 8 pages
        return db

    monkeypatch.setattr(backup.sqlite3, "connect", small_disk)
    out = tmp_path / "backups" / "b.sqlite3"
    with pytest.raises(BackupError, match=r"^The disk is full \(writing .*\)\.$"):
        backup.database_backup(database={**connection.settings_dict, "NAME": str(live)}, path=out)
    assert list(out.parent.iterdir()) == []


def test_a_backup_whose_rename_meets_a_full_disk_says_so(tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup.Path, "mkdir", no_space)
    with pytest.raises(BackupError, match="^The disk is full"):
        backup.database_backup(
            database={**connection.settings_dict, "NAME": str(tmp_path / "x")}, path=tmp_path / "full" / "b"
        )
