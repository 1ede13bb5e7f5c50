"""One date parser behind every door that takes a date: pages, API filters, API writes, exports, the
export command and the CSV import accept YYYY-MM-DD alone and refuse anything else with one message."""

import io
import json
from html import unescape

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from events.imports import changes_import_check
from events.models import ControlChange, Source

pytestmark = pytest.mark.django_db

# Each is read as a date by some parser: strptime (2017-9-3), fromisoformat (20170903, 2017-W35-7),
# Django's locale formats (03/09/2017 as 9 March), dateutil (3.9.2017).
REFUSED = ["2017-9-3", "2017-09-3", "20170903", "2017-W35-7", "03/09/2017", "3.9.2017", "2017-09-31", " 2017-09-03"]


def message(raw: str) -> str:
    return f"'{raw}' is not a date in YYYY-MM-DD form."


@pytest.mark.parametrize("raw", REFUSED)
@pytest.mark.parametrize("url, name", [
    ("/api/control.geojson", "date"),
    ("/api/provinces.geojson", "date"),
    ("/api/changes.csv", "from"),
    ("/api/changes.geojson", "to"),
    ("/api/control-changes/", "from"),
    ("/api/control-changes/", "to"),
    ("/api/territory-change.json?to=2017-09-03", "from"),
])
def test_the_api_refuses_other_forms_with_one_message(seeded, raw, url, name):
    response = APIClient().get(url, {name: raw})
    assert response.status_code == 400
    assert response.json() == {name: [message(raw)]} or response.json() == {name: message(raw)}


@pytest.mark.parametrize("raw", REFUSED)
@pytest.mark.parametrize("path, name", [("/", "date"), ("/areas/hama/", "date"), ("/changes/", "from")])
def test_pages_refuse_other_forms_with_the_same_message(client, seeded, raw, path, name):
    response = client.get(path, {name: raw})
    assert response.status_code == 400
    # The page goes on with a fallback date, and says so after the same words.
    assert message(raw).rstrip(".") + "; showing" in unescape(response.content.decode())


@pytest.mark.parametrize("raw", ["2017-9-3", "03/09/2017", "20170903"])
def test_an_api_write_refuses_other_forms_with_the_same_message(seeded, editor, raw):
    api = APIClient()
    api.force_authenticate(editor)
    response = api.post("/api/control-changes/", {
        "town": "uqayribat", "faction": "sdf", "effective_date": raw, "confidence": "claimed",
        "sources": [Source.objects.first().pk], "note": "Entered through the API.",
    }, format="json")
    assert response.status_code == 400
    assert response.json() == {"effective_date": [message(raw)]}
    assert not ControlChange.objects.filter(note="Entered through the API.").exists()


@pytest.mark.parametrize("raw", REFUSED)
@pytest.mark.parametrize("layer, option", [("control", "--date"), ("changes-csv", "--from"), ("changes", "--to")])
def test_the_export_command_refuses_other_forms_with_the_same_message(seeded, tmp_path, raw, layer, option):
    with pytest.raises(CommandError) as refused:
        call_command("export_geojson", "--layer", layer, option, raw, "--out", str(tmp_path / "out"))
    assert str(refused.value) == f"{option}: {message(raw)}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("raw", [raw for raw in REFUSED if raw == raw.strip()])  # a cell is stripped
def test_the_csv_import_refuses_other_forms_with_the_same_message(seeded, tmp_path, raw):
    text = f'town,faction,date,source_title,source_publisher\nRaqqa,SDF,"{raw}",Raqqa taken,Example Wire\n'
    plan = changes_import_check(text=text)
    assert [(e.line, e.column, e.reason) for e in plan.errors] == [(2, "date", message(raw))]
    path = tmp_path / "changes.csv"
    path.write_text(text)
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_changes", str(path), stderr=stderr)
    assert stderr.getvalue() == f"{path}: line 2, column date: {message(raw)}\n"


def test_every_door_takes_the_same_good_date(seeded, editor, tmp_path):
    api = APIClient()
    assert api.get("/api/control.geojson", {"date": "2017-09-03"}).status_code == 200
    listed = api.get("/api/control-changes/", {"from": "2017-09-02", "to": "2017-09-02"}).json()["results"]
    assert listed and {c["effective_date"] for c in listed} == {"2017-09-02"}
    call_command("export_geojson", "--layer", "changes", "--from", "2017-09-02", "--to", "2017-09-02",
                 "--out", str(tmp_path / "out.geojson"))
    exported = json.loads((tmp_path / "out.geojson").read_text())["features"]
    assert len(exported) == len(listed)
    api.force_authenticate(editor)
    response = api.post("/api/control-changes/", {
        "town": "uqayribat", "faction": "sdf", "effective_date": "2017-09-10", "confidence": "claimed",
        "sources": [Source.objects.first().pk], "note": "Entered through the API.",
    }, format="json")
    assert response.status_code == 201 and response.json()["effective_date"] == "2017-09-10"
