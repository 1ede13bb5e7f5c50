"""Sources and towns already on the public map change only through a reviewer, as changes do."""

import pytest
from django.core.exceptions import PermissionDenied

from events import permissions, selectors, services
from events.models import ControlChange, Source
from geodata.models import Town
from tests.events.roles import user_in
from tests.factories import ControlChangeFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def cited(source: Source, state: str) -> ControlChange:
    change = ControlChangeFactory(state=state)
    change.sources.add(source)
    return change


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_editor_cannot_rewrite_a_source_a_published_change_cites(editor):
    source = SourceFactory(title="Raqqa falls", url="https://example.org/raqqa")
    cited(source, ControlChange.State.PUBLISHED)
    edited = fresh(source)
    edited.title, edited.url = "Something else", "https://evil.example/"
    with pytest.raises(PermissionDenied, match="only a reviewer can change them"):
        services.source_save(source=edited, by=editor)
    assert (fresh(source).title, fresh(source).url) == ("Raqqa falls", "https://example.org/raqqa")
    assert not permissions.source_edit_allowed(source=source, by=editor)
    assert selectors.source_is_public(source=source)


def test_reviewer_edits_a_published_source_and_the_audit_names_them(reviewer):
    source = SourceFactory(title="Raqqa falls")
    cited(source, ControlChange.State.PUBLISHED)
    edited = fresh(source)
    edited.title = "Raqqa falls (corrected)"
    services.source_save(source=edited, by=reviewer)
    assert fresh(source).title == "Raqqa falls (corrected)"
    assert source.history.latest("history_id").history_user == reviewer


@pytest.mark.parametrize("state", [ControlChange.State.DRAFT, ControlChange.State.REJECTED,
                                   ControlChange.State.RETRACTED])
def test_editor_edits_a_source_no_published_change_cites(editor, state):
    source = SourceFactory(title="Draft report")
    cited(source, state)
    edited = fresh(source)
    edited.title = "Draft report, fixed typo"
    services.source_save(source=edited, by=editor)
    assert fresh(source).title == "Draft report, fixed typo"


def test_saving_a_published_source_unchanged_is_no_edit(editor):
    # Nothing the public sees changes, so an editor's save goes through (and is on the record as theirs).
    source = SourceFactory(title="Raqqa falls", summary="The city is taken.")
    cited(source, ControlChange.State.PUBLISHED)
    history = source.history.count()
    services.source_save(source=fresh(source), by=editor)
    stored = fresh(source)
    assert (stored.title, stored.summary) == ("Raqqa falls", "The city is taken.")
    assert source.history.count() == history + 1
    assert (source.history.latest("history_id").history_user,
            source.history.latest("history_id").history_change_reason) == (editor, "saved")


def test_editor_cannot_rename_or_move_a_town_on_the_public_map(editor):
    town = TownFactory(name="Uqayribat", slug="uqayribat", latitude=35.0422, longitude=37.4628)
    ControlChangeFactory(town=town, state=ControlChange.State.PUBLISHED)
    for field, value in [("name", "Elsewhere"), ("latitude", 36.0), ("longitude", 38.0),
                         ("alt_names", ["Ukeirbat"]), ("slug", "elsewhere")]:
        edited = fresh(town)
        setattr(edited, field, value)
        with pytest.raises(PermissionDenied, match=f"Uqayribat has published control changes, so its {field}"):
            services.town_edit(town=edited, by=editor)
    stored = fresh(town)
    assert (stored.name, stored.slug, stored.latitude, stored.longitude, stored.alt_names) == (
        "Uqayribat", "uqayribat", 35.0422, 37.4628, [])


def test_editor_may_still_keep_a_public_towns_reference_ids(editor):
    town = TownFactory()
    ControlChangeFactory(town=town, state=ControlChange.State.PUBLISHED)
    edited = fresh(town)
    edited.geonames_id = 99999901
    services.town_edit(town=edited, by=editor)
    assert fresh(town).geonames_id == 99999901


def test_reviewer_moves_a_public_town_and_editor_moves_a_draft_only_town(editor, reviewer):
    public, draft_only = TownFactory(), TownFactory()
    ControlChangeFactory(town=public, state=ControlChange.State.PUBLISHED)
    ControlChangeFactory(town=draft_only, state=ControlChange.State.DRAFT)
    for town, user in ((public, reviewer), (draft_only, editor)):
        edited = fresh(town)
        edited.name, edited.latitude = f"{town.name} (moved)", 35.5
        services.town_edit(town=edited, by=user)
        assert (fresh(town).name, fresh(town).latitude) == (f"{town.name} (moved)", 35.5)


def test_town_edit_checks_the_town_permissions(editor):
    with pytest.raises(PermissionDenied, match="add towns"):
        services.town_edit(town=Town(name="Nowhere", slug="nowhere", latitude=35, longitude=37), by=user_in(None))
    town = services.town_edit(town=Town(name="Newtown", slug="newtown", latitude=35, longitude=37), by=editor)
    assert fresh(town).name == "Newtown"


def test_town_edit_check_refuses_like_town_edit_and_writes_nothing(editor):
    town = TownFactory(name="Uqayribat")
    ControlChangeFactory(town=town, state=ControlChange.State.PUBLISHED)
    assert selectors.town_is_public(town=town) and not permissions.town_edit_allowed(town=town, by=editor)
    edited = fresh(town)
    edited.name = "Elsewhere"
    history = town.history.count()
    with pytest.raises(PermissionDenied, match="only a reviewer can change them"):
        services.town_edit_check(town=edited, by=editor)
    edited = fresh(town)
    edited.geonames_id = 99999902
    services.town_edit_check(town=edited, by=editor)  # reference ids are the editor's to keep up
    assert fresh(town).geonames_id != 99999902
    assert town.history.count() == history


def test_editor_cannot_move_a_public_town_to_another_theatre(editor):
    from geodata.models import Theatre

    town = TownFactory(name="Uqayribat", slug="uqayribat", latitude=35.0422, longitude=37.4628)
    ControlChangeFactory(town=town, state=ControlChange.State.PUBLISHED)
    elsewhere = Theatre.objects.create(slug="elsewhere", name="Elsewhere")
    edited = fresh(town)
    edited.theatre = elsewhere
    with pytest.raises(PermissionDenied, match="Uqayribat has published control changes, so its theatre"):
        services.town_edit(town=edited, by=editor)
    assert fresh(town).theatre_id == town.theatre_id
