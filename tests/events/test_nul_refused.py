"""A NUL character is refused in every text the project stores, with a message naming the field:
PostgreSQL cannot store one (a DataError mid-write) and SQLite would keep it silently."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from events import services
from events.models import ControlChange, Faction, Source
from geodata.models import AdminArea, Town
from geodata.services import admin_area_check, town_save, towns_save_many
from geodata.town_files import TownFileError, read_towns
from tests.events.test_admin import _town_form, change_form
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db
NUL = "Null characters are not allowed"


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_the_services_checks_name_each_field_holding_a_nul(seeded):
    faction = Faction(name="New\x00", short_name="N", slug="new\x00", colour="#123456", aliases=["ok", "a\x00"])
    errors = refused(lambda: services.faction_save(faction=faction, by=SYSTEM))
    assert {"name", "slug", "aliases"} <= set(errors) and "(at [1])" in errors["aliases"][0]
    assert all(NUL in messages[0] for messages in errors.values())

    errors = refused(lambda: services.source_save(source=Source(publisher="P", title="T\x00"), by=SYSTEM))
    assert list(errors) == ["title"] and NUL in errors["title"][0]

    raqqa, sdf = Town.objects.get(slug="raqqa"), Faction.objects.get(slug="sdf")
    errors = refused(lambda: services.control_change_create(
        town=raqqa, faction=sdf, effective_date=dt.date(2017, 10, 20), note="a\x00b", entered_by=SYSTEM))
    assert list(errors) == ["note"] and NUL in errors["note"][0]

    town = Town(name="Nul\x00town", slug="nultown", latitude=35.9, longitude=39.0, alt_names=["x\x00"])
    errors = refused(lambda: town_save(town=town))
    assert {"name", "alt_names"} <= set(errors)
    with pytest.raises(ValidationError) as caught:
        towns_save_many(towns=[Town(name="Ok", slug="ok\x00", latitude=35.9, longitude=39.0)])
    assert any("slug" in line and NUL in line for line in caught.value.messages)

    area = AdminArea.objects.first()
    area.name_ar = "\x00"
    errors = refused(lambda: admin_area_check(area=area))
    assert list(errors) == ["name_ar"]
    assert (Faction.objects.filter(short_name="N").count(), Source.objects.filter(publisher="P").count()) == (0, 0)
    assert not Town.objects.filter(slug__in=["nultown", "ok"]).exists()


def test_the_bulk_write_of_imports_refuses_a_nul_too(seeded):
    change = ControlChange(town=Town.objects.get(slug="raqqa"), faction=Faction.objects.get(slug="sdf"),
                           effective_date=dt.date(2017, 10, 20), note="\x00")
    with pytest.raises(ValidationError, match=NUL):
        services.control_changes_create_many(new=[services.NewChange(change)], by=SYSTEM)
    assert not ControlChange.objects.filter(effective_date=dt.date(2017, 10, 20)).exists()


def test_the_admin_forms_refuse_a_nul_naming_the_field(seeded, reviewer_client):
    cases = [
        ("/admin/events/faction/add/", {"name": "A\x00B", "short_name": "AB", "slug": "ab", "aliases": "[]",
                                        "colour": "#123456", "parent": "", "description": ""}, "name"),
        ("/admin/events/faction/add/", {"name": "AB", "short_name": "AB", "slug": "ab", "aliases": '["a\\u0000"]',
                                        "colour": "#123456", "parent": "", "description": ""}, "aliases"),
        ("/admin/events/source/add/", {"publisher": "P", "title": "T\x00", "url": "", "published": "",
                                       "language": "", "summary": ""}, "title"),
        ("/admin/events/controlchange/add/", change_form(note="a\x00b"), "note"),
        ("/admin/geodata/town/add/", _town_form(alt_names='["x\\u0000"]'), "alt_names"),
        ("/admin/geodata/town/add/", _town_form(name="New\x00town"), "name"),
    ]
    for url, data, field in cases:
        response = reviewer_client.post(url, data)
        assert response.status_code == 200, (url, field, response.status_code)
        errors = response.context["adminform"].form.errors
        assert NUL in str(errors.get(field)), (url, field, errors)
    assert not Faction.objects.filter(short_name="AB").exists() and not Town.objects.filter(slug="newtown").exists()
    assert not Source.objects.filter(publisher="P").exists()


BODY = {"town": "uqayribat", "faction": "sdf", "effective_date": "2017-09-10", "note": "a\x00b"}


@pytest.mark.parametrize("data, field", [
    (BODY, "note"),
    ({**BODY, "note": "", "town": "uqay\x00ribat"}, "town"),
])
def test_form_encoded_api_writes_refuse_a_nul_naming_the_field(seeded, editor, data, field):
    api = APIClient()
    api.force_authenticate(editor)
    before = ControlChange.objects.count()
    response = api.post("/api/control-changes/", data, format="multipart")
    assert response.status_code == 400 and field in response.content.decode(), response.content
    assert ControlChange.objects.count() == before


@pytest.mark.parametrize("name, text, where", [
    ("towns.csv", "name,latitude,longitude,alt_names\nRaqqa,35.95,39.01,\nTab\x00qa,35.8,38.5,\n", "line 3, name"),
    ("towns.csv", "name,latitude,longitude,alt_names,slug\nTabqa,35.8,38.5,a;b\x00,\n", "line 2, alt_names"),
    ("towns.geojson", json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [38.5, 35.8]},
        "properties": {"name": "Tabqa", "slug": "tab\x00qa"}}]}), "feature 1, slug"),
])
def test_town_files_refuse_a_nul_naming_the_line_and_column(tmp_path, name, text, where):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TownFileError) as caught:
        read_towns(path)
    assert caught.value.errors == [f"{where}: {NUL}."]


@pytest.mark.parametrize(("value", "where"), [
    ({"type": "MultiPolygon", "coordinates": [[[[36.0, 35.0]] * 3000 + [["x\x00"]]]]},
     "['coordinates'][0][0][3000][0]"),
    ({"coordinates": [[1.5, 2.5]] * 3000, "name\x00": 1}, " key 'name\\x00'"),
    ([10**30, "\x00"], "[1]"),  # not plain JSON for orjson: walked as before
    ({1: ["a", "\\u0000"]}, None),  # the text of an escaped NUL is no NUL
    ({"type": "MultiPolygon", "coordinates": [[[[36.0, 35.0]] * 3000]]}, None),
])
def test_a_nul_deep_in_a_large_json_value_is_found_and_named(value, where):
    """A drawn area's GeoJSON holds thousands of numbers: a NUL among them is still found, its place named."""
    from conflictmap.text_checks import nul_where

    assert nul_where(value) == where
