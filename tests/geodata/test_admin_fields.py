"""Names and ids in the admin: one name per line, one "key: value" per line, never raw JSON to type."""

import pytest
from django.core.exceptions import ValidationError

from events.models import Faction
from geodata.admin_fields import KeyValueField, NameListField
from geodata.models import Town


def test_a_name_list_is_one_name_per_line():
    field = NameListField(required=False)
    assert field.clean("Tadmur\n\n  Palmyra  \r\nTadmur\nتدمر") == ["Tadmur", "Palmyra", "تدمر"]
    assert field.clean("") == []
    assert field.prepare_value(["Tadmur", "تدمر"]) == "Tadmur\nتدمر"
    assert field.prepare_value("as typed") == "as typed"  # shown again as posted, with the form's errors
    assert field.clean('["Tadmur", "Palmyra"]') == ["Tadmur", "Palmyra"]  # JSON, as scripts post it
    assert not field.has_changed(["Tadmur"], "Tadmur\n")
    assert field.has_changed(["Tadmur"], "Tadmur\nPalmyra")


def test_ids_are_key_value_lines_and_a_bad_line_is_named():
    field = KeyValueField(required=False)
    assert field.clean("wikidata: Q207081\n\nosm:  node/123 ") == {"wikidata": "Q207081", "osm": "node/123"}
    assert field.clean("url: https://example.org/x") == {"url": "https://example.org/x"}
    assert field.prepare_value({"wikidata": "Q207081", "osm": "node/123"}) == "osm: node/123\nwikidata: Q207081"
    assert field.clean('{"wikidata": "Q1"}') == {"wikidata": "Q1"} and field.clean("") == {}
    assert not field.has_changed({"wikidata": "Q1", "osm": "n"}, "osm: n\nwikidata: Q1")
    assert field.has_changed({"wikidata": "Q1"}, "wikidata: Q2") and field.has_changed({}, "osm: n")
    with pytest.raises(ValidationError) as caught:
        field.clean("wikidata: Q1\nQ207081")
    assert caught.value.messages == ["Line 2 (“Q207081”) is not “key: value”."]
    with pytest.raises(ValidationError) as caught:
        field.clean("wikidata: Q1\nwikidata: Q2")
    assert caught.value.messages == ["Line 2: “wikidata” is given twice."]


def test_the_town_form_edits_names_and_ids_as_lines(seeded, editor_client):
    page = editor_client.get("/admin/geodata/town/add/").content.decode()
    assert '<textarea name="alt_names"' in page and '<textarea name="external_ids"' in page
    assert "One name per line." in page and "“key: value”" in page
    response = editor_client.post("/admin/geodata/town/add/", {
        "name": "Newtown", "slug": "newtown", "alt_names": "Nouvelle ville\nمدينة جديدة", "latitude": "35.0",
        "longitude": "37.0", "population": "", "geonames_id": "", "external_ids": "wikidata: Q1\nosm: node/5",
        "control_changes-TOTAL_FORMS": "0", "control_changes-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    town = Town.objects.get(slug="newtown")
    assert town.alt_names == ["Nouvelle ville", "مدينة جديدة"]
    assert town.external_ids == {"wikidata": "Q1", "osm": "node/5"}
    page = editor_client.get(f"/admin/geodata/town/{town.pk}/change/").content.decode()
    assert "Nouvelle ville\nمدينة جديدة</textarea>" in page
    assert "osm: node/5\nwikidata: Q1</textarea>" in page  # in key order, on either database


def test_a_bad_id_line_is_a_form_error_and_writes_nothing(seeded, editor_client):
    response = editor_client.post("/admin/geodata/town/add/", {
        "name": "Newtown", "slug": "newtown", "alt_names": "", "latitude": "35.0", "longitude": "37.0",
        "population": "", "geonames_id": "", "external_ids": "Q1",
        "control_changes-TOTAL_FORMS": "0", "control_changes-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["external_ids"] == ["Line 1 (“Q1”) is not “key: value”."]
    assert not Town.objects.filter(slug="newtown").exists()


def test_a_factions_aliases_are_one_per_line(seeded, reviewer_client):
    islamic_state = Faction.objects.get(slug="islamic-state")
    page = reviewer_client.get(f"/admin/events/faction/{islamic_state.pk}/change/").content.decode()
    assert "Daesh\nIS\nISIS" in page and '<textarea name="aliases"' in page
    response = reviewer_client.post("/admin/events/faction/add/", {
        "name": "Free Idlib Army", "short_name": "FIA", "slug": "fia", "aliases": "Jaysh Idlib al-Hurr\nFIA",
        "colour": "#123456", "parent": "", "description": ""})
    assert response.status_code == 302
    assert Faction.objects.get(slug="fia").aliases == ["Jaysh Idlib al-Hurr", "FIA"]
