"""Hostile CSV files: every problem is a row error naming its line and column, in the service, the
command and the admin; nothing is written and nothing raises a traceback or answers 500."""

import csv

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from events.imports import ImportRejected, changes_import_check, changes_import_commit
from events.models import ControlChange, Source
from tests.events.roles import client_as, user_in
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

URL = "/admin/events/controlchange/import/"
HEADER = "town,faction,date,note,supersedes"
GOOD = "Raqqa,SDF,2017-10-20,taken,"
LIMIT = csv.field_size_limit()


def hostile_files() -> dict[str, tuple[bytes, int, str, str]]:
    """name: (file bytes, bad line, bad column, words the reason holds)."""
    def text(*rows):
        return ("\n".join([HEADER, *rows]) + "\n").encode()

    return {
        "overflowing supersedes": (text(GOOD, "Tabqa,SDF,2017-10-21,," + "9" * 23), 3, "supersedes",
                                   "no control change has id"),
        "unicode digits in supersedes": (text("Tabqa,SDF,2017-10-21,,²"), 2, "supersedes", "no control change"),
        "a field over the csv limit": (text(GOOD, "Tabqa,SDF,2017-10-21," + "x" * (LIMIT + 1) + ","), 3, "note",
                                       f"longer than {LIMIT:,} characters"),
        "a quoted field over the limit": (text(GOOD, 'Tabqa,SDF,2017-10-21,"a,' + "x" * (LIMIT + 1) + '",'), 3,
                                          "note", "longer than"),
        "not UTF-8": (text(GOOD, GOOD) + b"Tabqa,SDF,2017-10-21,caf\xe9,\n", 4, "-", "byte 25 of this line (0xe9)"),
        "a NUL in a cell": (text(GOOD, "Tabqa,SDF,2017-10-21,a\x00b,"), 3, "note", "Null characters"),
        "a NUL in the town": (text("Raq\x00qa,SDF,2017-10-21,,"), 2, "town", "Null characters"),
        "a NUL in the header": (("town,fac\x00tion,date\n" + GOOD).encode(), 1, "-", "Null characters"),
    }


CASES = hostile_files()


@pytest.mark.parametrize("name", CASES)
def test_the_service_names_the_line_and_column_and_writes_nothing(seeded, name):
    data, line, column, words = CASES[name]
    before = (ControlChange.objects.count(), Source.objects.count())
    plan = changes_import_check(text=data)
    assert [(e.line, e.column) for e in plan.errors] == [(line, column)], plan.errors
    assert words in plan.errors[0].reason
    assert not plan.ok
    with pytest.raises(ImportRejected):
        changes_import_commit(plan=plan, by=SYSTEM)
    assert (ControlChange.objects.count(), Source.objects.count()) == before


@pytest.mark.parametrize("name", CASES)
def test_the_command_reports_the_row_without_a_traceback(seeded, tmp_path, capsys, name):
    data, line, column, words = CASES[name]
    path = tmp_path / "hostile.csv"
    path.write_bytes(data)
    before = ControlChange.objects.count()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_changes", str(path), "--commit")
    err = capsys.readouterr().err
    assert f"line {line}, column {column}: " in err and words in err
    assert ControlChange.objects.count() == before


@pytest.mark.parametrize("name", CASES)
def test_the_admin_shows_the_row_and_answers_no_500(seeded, name):
    data, line, column, words = CASES[name]
    client = client_as(user_in("editor"))
    before = ControlChange.objects.count()
    response = client.post(URL, {"file": SimpleUploadedFile("hostile.csv", data)}, follow=True)
    assert response.status_code == 200
    if "report" in response.context:  # the check job's page
        assert [(row, col) for row, col, _ in response.context["report"]["errors"]] == [(line, column)]
        assert "token" not in response.context
    else:  # not UTF-8: the upload form says where
        assert f"Line {line}: " in response.content.decode() and words in response.content.decode()
    assert ControlChange.objects.count() == before


def test_a_bom_is_no_error_and_a_bad_byte_after_it_is_counted_without_it(seeded):
    assert changes_import_check(text=b"\xef\xbb\xbf" + f"{HEADER}\n{GOOD}\n".encode()).ok
    plan = changes_import_check(text=b"\xef\xbb\xbf" + f"{HEADER}\n".encode() + b"\xff")
    assert [(e.line, e.column) for e in plan.errors] == [(2, "-")] and "byte 1 of this line" in plan.errors[0].reason


def test_an_editor_cannot_import_as_published_and_is_told_why_before_the_check(seeded):
    client = client_as(user_in("editor"))
    data = f"{HEADER}\n{GOOD}\n".encode()
    response = client.post(URL, {"file": SimpleUploadedFile("c.csv", data), "publish": "on"})
    body = response.content.decode()
    assert response.status_code == 403 and "permission to publish" in body and "Untick" in body
    assert "plan" not in response.context
    reviewer = client_as(user_in("reviewer"))
    response = reviewer.post(URL, {"file": SimpleUploadedFile("c.csv", data), "publish": "on"}, follow=True)
    assert response.status_code == 200 and response.context["report"]["publish"]


def test_an_import_losing_its_rights_between_preview_and_confirm_is_refused_without_a_500(seeded):
    reviewer = user_in("reviewer")
    client = client_as(reviewer)
    data = b"town,faction,date,source_title,source_publisher\nRaqqa,SDF,2017-10-20,T,P\n"
    preview = client.post(URL, {"file": SimpleUploadedFile("c.csv", data), "publish": "on"}, follow=True)
    assert preview.context["report"]["rows"] == 1, preview.context["report"]
    reviewer.groups.clear()
    reviewer.groups.add(*user_in("editor", "other").groups.all())
    before = ControlChange.objects.count()
    done = client.post(URL, {"token": preview.context["token"]}, follow=True)  # the import job's page
    assert done.context["status"]["state"] == "failed" and "permission to publish" in done.content.decode()
    assert ControlChange.objects.count() == before
