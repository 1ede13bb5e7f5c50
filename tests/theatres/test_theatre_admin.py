"""Theatres in the admin: a town's form names its theatre and is refused inside another theatre's area
(naming both, nothing written); the town list filters by theatre; the CSV import asks for a theatre when
there are several and refuses a row naming another theatre's town, naming both."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.job_models import ImportUpload, Job
from events.models import ControlChange
from geodata.models import Theatre, Town
from tests.theatres.test_theatres import build_zenda, changes_csv, files  # noqa: F401  (files: a fixture)

TOWN_ADD = "/admin/geodata/town/add/"
TOWN_LIST = "/admin/geodata/town/"


@pytest.fixture
def zenda(seeded, files, tmp_path) -> Theatre:  # noqa: F811
    """Ruritania beside Syria, built by the commands from test_theatres' files, with one change."""
    return build_zenda(
        {**files, "changes": changes_csv(tmp_path / "one-change.csv", [("Strelsau", "Islamic State", "2021-03-01")])}
    )


def town_form(**overrides) -> dict:
    data = {
        "name": "Rupert",
        "slug": "rupert",
        "alt_names": "",
        "latitude": "0.6",
        "longitude": "10.2",
        "population": "",
        "geonames_id": "",
        "external_ids": "",
        "control_changes-TOTAL_FORMS": "0",
        "control_changes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


def test_with_one_theatre_the_town_form_shows_it_chosen_and_needs_no_choice(seeded, editor_client):
    syria = Theatre.objects.get()
    page = editor_client.get(TOWN_ADD).content.decode()
    assert '<select name="theatre"' in page and f'<option value="{syria.pk}" selected>' in page
    response = editor_client.post(TOWN_ADD, town_form(latitude="35.0", longitude="37.0"))
    assert response.status_code == 302, form_errors(response)
    assert Town.objects.get(slug="rupert").theatre == syria


def test_with_several_theatres_the_town_form_asks_for_one(zenda, editor_client):
    page = editor_client.get(TOWN_ADD).content.decode()
    assert "selected>" not in page.split('<select name="theatre"')[1].split("</select>")[0]
    errors = form_errors(editor_client.post(TOWN_ADD, town_form()))
    assert "theatre" in errors
    assert not Town.objects.filter(slug="rupert").exists()
    response = editor_client.post(TOWN_ADD, town_form(theatre=zenda.pk))
    assert response.status_code == 302, form_errors(response)
    rupert = Town.objects.get(slug="rupert")
    assert rupert.theatre == zenda and rupert.admin_area.code == "ZZ0101"


def test_a_town_placed_in_another_theatres_area_is_a_form_error_naming_both(zenda, editor_client):
    before = Town.objects.count()
    errors = form_errors(editor_client.post(TOWN_ADD, town_form(theatre=zenda.pk, latitude="35.0", longitude="37.0")))
    assert "of the theatre Syria (syria), not in the theatre Ruritania (zenda)" in str(errors["latitude"])
    syria = Theatre.objects.get(slug="syria")
    errors = form_errors(editor_client.post(TOWN_ADD, town_form(theatre=syria.pk)))
    assert "of the theatre Ruritania (zenda), not in the theatre Syria (syria)" in str(errors["latitude"])
    assert Town.objects.count() == before


def test_the_town_list_filters_by_theatre_and_shows_each_towns(zenda, editor_client):
    def listed(theatre) -> set[str]:
        response = editor_client.get(TOWN_LIST, {"theatre__id__exact": theatre.pk})
        assert response.status_code == 200
        return {town.name for town in response.context["cl"].result_list}

    assert listed(zenda) == {"Strelsau", "Tarlenheim", "Zenda"}
    assert "Raqqa" in listed(Theatre.objects.get(slug="syria")) and "Strelsau" not in listed(
        Theatre.objects.get(slug="syria")
    )
    body = editor_client.get(TOWN_LIST, {"q": "Strelsau"}).content.decode()
    assert '<td class="field-theatre nowrap">Ruritania</td>' in body


IMPORT = "/admin/events/controlchange/import/"
HEADER = "town,faction,date,source_title,source_publisher\n"


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


def upload(client, text: str, **fields):
    file = SimpleUploadedFile("c.csv", (HEADER + text).encode())
    return client.post(IMPORT, {"file": file, **fields}, follow=True)


def test_with_one_theatre_the_import_form_asks_for_none(seeded, editor_client, upload_dir):
    page = editor_client.get(IMPORT).content.decode()
    assert 'name="theatre"' not in page
    preview = upload(editor_client, "Raqqa,SDF,2017-10-20,Raqqa taken,Example Wire\n")
    assert "Raqqa from 2017-10-20" in preview.content.decode()
    assert ImportUpload.objects.get().theatre.slug == "syria"


def test_with_several_theatres_the_import_form_needs_one(zenda, editor_client, upload_dir):
    page = editor_client.get(IMPORT).content.decode()
    assert '<select name="theatre"' in page and '<option value="zenda">Ruritania</option>' in page
    response = upload(editor_client, "Strelsau,Black Elphberg,2021-05-01,Strelsau report,Ruritania Wire\n")
    assert "theatre" in response.context["form"].errors
    assert not ImportUpload.objects.exists() and not Job.objects.exists()
    response = upload(editor_client, "Strelsau,Black Elphberg,2021-05-01,x,y\n", theatre="nowhere")
    assert "theatre" in response.context["form"].errors and not ImportUpload.objects.exists()


def test_a_row_naming_another_theatres_town_is_a_row_error_naming_both(zenda, editor_client, upload_dir):
    before = ControlChange.objects.count()
    rows = "Strelsau,Black Elphberg,2021-05-01,Strelsau report,Ruritania Wire\nRaqqa,SDF,2021-05-02,Raqqa report,Wire\n"
    body = upload(editor_client, rows, theatre="zenda").content.decode()
    assert "&#x27;Raqqa&#x27; is a town of the theatre Syria (syria), not of Ruritania (zenda) imported into" in body
    assert "<td>3</td><td>town</td>" in body  # the row and its column
    assert Job.objects.get().state == "failed" and ControlChange.objects.count() == before
    # The same file into Syria finds Raqqa and refuses Strelsau as Ruritania's.
    body = upload(editor_client, rows, theatre="syria").content.decode()
    assert "&#x27;Strelsau&#x27; is a town of the theatre Ruritania (zenda), not of Syria (syria)" in body
    assert ControlChange.objects.count() == before


def test_the_import_job_looks_towns_up_in_the_chosen_theatre(zenda, editor_client, upload_dir):
    preview = upload(
        editor_client, "Strelsau,Black Elphberg,2021-05-01,Strelsau report,Ruritania Wire\n", theatre="zenda"
    )
    assert "Towns are those of the theatre Ruritania (zenda)." in preview.content.decode()
    # Meanwhile Syria gets a town of the same name: the import, scoped to Ruritania, still finds one town.
    Town.objects.create(
        name="Strelsau", slug="strelsau-sy", latitude=35.0, longitude=37.0, theatre=Theatre.objects.get(slug="syria")
    )
    confirm = editor_client.post(IMPORT, {"token": preview.context["token"]})
    assert confirm.status_code == 302
    assert Job.objects.get(kind="import").state == "done", Job.objects.get(kind="import").message
    change = ControlChange.objects.get(effective_date="2021-05-01")
    assert change.town.theatre == zenda and change.faction.slug == "black-elphberg"
