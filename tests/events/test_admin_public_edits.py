"""Through the admin: an editor cannot change a source or town the public map already shows."""

import pytest

from events.models import ControlChange, Source
from geodata.models import Town
from tests.events.roles import client_as, user_in
from tests.factories import ControlChangeFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def source_form(source: Source, **overrides) -> dict:
    data = {"publisher": source.publisher, "title": source.title, "url": source.url,
            "published": source.published.isoformat() if source.published else "", "language": source.language,
            "summary": source.summary}
    return {**data, **overrides}


def town_form(town: Town, **overrides) -> dict:
    data = {"name": town.name, "slug": town.slug, "alt_names": "[]", "latitude": str(town.latitude),
            "longitude": str(town.longitude), "population": town.population or "",
            "geonames_id": town.geonames_id or "", "external_ids": "{}",
            "control_changes-TOTAL_FORMS": "0", "control_changes-INITIAL_FORMS": "0"}
    return {**data, **overrides}


def published_source() -> Source:
    return Source.objects.filter(control_changes__state=ControlChange.State.PUBLISHED).distinct().first()


def test_editor_sees_a_published_source_read_only_and_cannot_post(seeded):
    source = published_source()
    url = f"/admin/events/source/{source.pk}/change/"
    editor = client_as(user_in("editor"))
    page = editor.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"] and 'name="title"' not in page.content.decode()
    assert any("only a reviewer can edit it" in t for t in texts(page)), texts(page)
    assert editor.post(url, source_form(source, title="Rewritten", url="https://evil.example/")).status_code == 403
    source.refresh_from_db()
    assert source.title != "Rewritten"


def test_reviewer_edits_a_published_source(seeded):
    source = published_source()
    url = f"/admin/events/source/{source.pk}/change/"
    response = client_as(user_in("reviewer")).post(url, source_form(source, title="Corrected title"))
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "Corrected title"


def test_editor_edits_a_source_only_drafts_cite(seeded):
    source = SourceFactory(title="New report")
    response = client_as(user_in("editor")).post(f"/admin/events/source/{source.pk}/change/",
                                         source_form(source, title="New report, typo fixed"))
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "New report, typo fixed"


def test_editor_cannot_rename_or_move_a_town_on_the_public_map(seeded):
    town = Town.objects.get(slug="uqayribat")
    url = f"/admin/geodata/town/{town.pk}/change/"
    editor = client_as(user_in("editor"))
    page = editor.get(url)
    form = page.context["adminform"].form
    assert all(form.fields[name].disabled for name in ("name", "slug", "alt_names", "latitude", "longitude"))
    assert not form.fields["geonames_id"].disabled
    assert 'id="id_latitude"' in page.content.decode()  # still there for the location map, disabled
    assert any("only a reviewer can change them" in t for t in texts(page)), texts(page)
    response = editor.post(url, town_form(town, name="Renamed", latitude="35.5", geonames_id="99999901"))
    assert response.status_code == 302
    stored = Town.objects.get(pk=town.pk)
    assert (stored.name, stored.latitude, stored.geonames_id) == (town.name, town.latitude, 99999901)


def test_reviewer_renames_a_public_town_and_editor_a_town_not_yet_published(seeded):
    town = Town.objects.get(slug="uqayribat")
    response = client_as(user_in("reviewer")).post(f"/admin/geodata/town/{town.pk}/change/",
                                           town_form(town, name="Uqayribat (renamed)"))
    assert response.status_code == 302
    assert Town.objects.get(pk=town.pk).name == "Uqayribat (renamed)"

    unpublished = TownFactory()  # a new town, its first change still a draft
    ControlChangeFactory(town=unpublished, state=ControlChange.State.DRAFT)
    editor = client_as(user_in("editor"))
    assert not editor.get(f"/admin/geodata/town/{unpublished.pk}/change/").context["adminform"].form.fields[
        "name"].disabled
    response = editor.post(f"/admin/geodata/town/{unpublished.pk}/change/",
                           town_form(unpublished, name=f"{unpublished.name} (renamed)"))
    assert response.status_code == 302
    assert Town.objects.get(pk=unpublished.pk).name == f"{unpublished.name} (renamed)"


def test_a_town_published_meanwhile_gives_the_editor_a_form_error(seeded, monkeypatch):
    # The form was shown before the town's first change was published; the save must still refuse.
    from events import admin as events_admin

    town = Town.objects.get(slug="uqayribat")
    monkeypatch.setattr(events_admin.TownWithChangesAdmin, "_public_fields_locked", lambda *args: False)
    editor = client_as(user_in("editor"))
    response = editor.post(f"/admin/geodata/town/{town.pk}/change/", town_form(town, name="Renamed"))
    assert response.status_code == 200
    assert "only a reviewer can change them" in str(response.context["adminform"].form.non_field_errors())
    assert Town.objects.get(pk=town.pk).name == town.name
