"""Factions and sources: a pure check, one write, one bulk write, all with the same rules and permissions."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError

from events import services
from events.imports import changes_import_check, changes_import_commit
from events.models import ControlChange, Faction, Source
from tests.events.roles import user_in
from tests.factories import FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def written() -> tuple[int, ...]:
    """Rows and history rows of factions and sources, to show a check wrote nothing."""
    return (Faction.objects.count(), Faction.history.count(), Source.objects.count(), Source.history.count())


def user_with(*codenames: str, name: str = "limited") -> User:
    user = User.objects.create_user(name, password="not-used-in-tests", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="events", codename__in=codenames))
    return User.objects.get(pk=user.pk)


def test_faction_check_refuses_bad_input_and_writes_nothing():
    before = written()
    services.faction_check(faction=Faction(name="Kurdish YPG", short_name="YPG", slug="ypg", colour="#FFD700"))
    with pytest.raises(ValidationError) as exc:
        services.faction_check(faction=Faction(name="Bad", short_name="Bad", slug="bad", colour="yellow"))
    assert "colour" in exc.value.message_dict
    assert written() == before


def test_faction_save_is_for_reviewers_and_records_who(editor, reviewer):
    with pytest.raises(PermissionDenied, match="add factions"):
        services.faction_save(faction=Faction(name="YPG", short_name="YPG", slug="ypg", colour="#ffd700"), by=editor)
    faction = services.faction_save(faction=Faction(name="YPG", short_name="YPG", slug="ypg", colour="#FFD700"),
                                    by=reviewer)
    assert Faction.objects.get(slug="ypg").colour == "#ffd700"  # the check normalises the colour
    assert (faction.history.get().history_user, faction.history.get().history_change_reason) == (reviewer, "saved")


def test_factions_save_many_writes_a_coalition_and_its_member_with_history(reviewer):
    coalition = Faction(name="Syrian Democratic Forces", short_name="SDF", slug="sdf", colour="#ffd700")
    member = Faction(name="People's Protection Units", short_name="YPG", slug="ypg", colour="#E0C000",
                     parent=coalition)
    services.factions_save_many(factions=[member, coalition], by=reviewer)
    stored = Faction.objects.get(slug="ypg")
    assert (stored.parent.slug, stored.colour) == ("sdf", "#e0c000")
    assert [(r.history_user, r.history_type) for r in Faction.history.filter(slug__in=["sdf", "ypg"])] == [
        (reviewer, "+"), (reviewer, "+")]


def test_factions_save_many_writes_nothing_when_one_is_bad(reviewer, editor):
    before = written()
    good = Faction(name="Good", short_name="Good", slug="good", colour="#123456")
    with pytest.raises(ValidationError, match="colour"):
        services.factions_save_many(factions=[good, Faction(name="Bad", short_name="B", slug="b", colour="red")],
                                    by=reviewer)
    with pytest.raises(ValidationError, match="slug 'good'"):
        twin = Faction(name="Good twin", short_name="Twin", slug="good", colour="#654321")
        services.factions_save_many(factions=[Faction(name="Good", short_name="Good", slug="good", colour="#123456"),
                                              twin], by=reviewer)
    with pytest.raises(PermissionDenied, match="add factions"):
        services.factions_save_many(factions=[Faction(name="G", short_name="G", slug="g", colour="#123456")],
                                    by=editor)
    assert written() == before


def test_source_check_refuses_bad_input_and_writes_nothing(editor):
    before = written()
    services.source_check(source=Source(publisher="Example Wire", title="Raqqa taken", url="https://example.org/r"),
                          by=editor)
    with pytest.raises(ValidationError) as exc:
        services.source_check(source=Source(publisher="Example Wire", title="x", url="not a url"), by=editor)
    assert "url" in exc.value.message_dict
    with pytest.raises(PermissionDenied, match="add sources"):
        services.source_check(source=Source(publisher="P", title="T"), by=user_in(None))
    assert written() == before


def test_sources_save_many_needs_the_add_source_permission_as_one_save_does(editor):
    before = written()
    with pytest.raises(PermissionDenied, match="add sources"):
        services.sources_save_many(sources=[Source(publisher="P", title="T")], by=user_in(None))
    assert written() == before
    saved = services.sources_save_many(sources=[Source(publisher="P", title="T"), Source(publisher="Q", title="U")],
                                       by=editor)
    assert [s.history.get().history_user for s in saved] == [editor, editor]


def test_bulk_changes_with_a_new_source_need_the_add_source_permission():
    # May add control changes, but not sources: the bulk path used to create the source anyway.
    user = user_with("add_controlchange")
    town, faction = TownFactory(), FactionFactory()
    new = [services.NewChange(ControlChange(town=town, faction=faction, effective_date=dt.date(2017, 9, 1)),
                              [Source(publisher="Example Wire", title="Raqqa taken")])]
    with pytest.raises(PermissionDenied, match="add sources"):
        services.control_changes_create_many(new=new, by=user)
    assert not ControlChange.objects.filter(town=town).exists() and not Source.objects.filter(title="Raqqa taken")
    known = SourceFactory()
    created = services.control_changes_create_many(new=[services.NewChange(
        ControlChange(town=town, faction=faction, effective_date=dt.date(2017, 9, 1)), [known])], by=user)
    assert list(created[0].sources.all()) == [known]  # citing a stored source needs no add_source


def test_a_bulk_imported_changes_creation_record_lists_its_sources(seeded, editor):
    text = ("town,faction,date,source_url,source_title,source_publisher\n"
            "Raqqa,SDF,2017-10-20,https://example.org/r,Raqqa taken,Example Wire\n")
    created = changes_import_commit(plan=changes_import_check(text=text), by=editor)
    record = ControlChange.history.get(id=created[0].pk, history_type="+")
    assert (record.history_user, record.history_change_reason) == (editor, "imported")
    assert [(s.source.url, s.source.title) for s in record.sources.all()] == [("https://example.org/r", "Raqqa taken")]
    source = Source.objects.get(url="https://example.org/r")
    assert (source.history.get().history_user, source.history.get().history_change_reason) == (editor, "imported")
