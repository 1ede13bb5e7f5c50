"""The system acts by name (``SystemActor``); ``by=None``, a forgotten user, is an error, never a superuser."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from events import permissions, services
from events.models import ControlChange, Faction, Source
from events.permissions import SEED, SystemActor
from tests.factories import SYSTEM, ControlChangeFactory, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def _draft():
    return ControlChangeFactory(state=ControlChange.State.DRAFT, sources=[SourceFactory()])


WRITES = {
    "control_change_create": lambda by: services.control_change_create(
        town=TownFactory(), faction=FactionFactory(), effective_date=dt.date(2017, 9, 1), entered_by=by
    ),
    "control_change_update": lambda by: services.control_change_update(change=_draft(), by=by, note="x"),
    "control_change_publish": lambda by: services.control_change_publish(change=_draft(), by=by),
    "control_change_reject": lambda by: services.control_change_reject(change=_draft(), by=by, reason="no"),
    "control_change_retract": lambda by: services.control_change_retract(
        change=ControlChangeFactory(), by=by, reason="wrong"
    ),
    "control_change_delete": lambda by: services.control_change_delete(change=_draft(), by=by),
    "control_changes_create_many": lambda by: services.control_changes_create_many(new=[], by=by),
    "faction_save": lambda by: services.faction_save(
        faction=Faction(name="N", short_name="N", slug="n", colour="#123456"), by=by
    ),
    "factions_save_many": lambda by: services.factions_save_many(
        factions=[Faction(name="N", short_name="N", slug="n", colour="#123456")], by=by
    ),
    "source_check": lambda by: services.source_check(source=Source(publisher="P", title="T"), by=by),
    "source_save": lambda by: services.source_save(source=Source(publisher="P", title="T"), by=by),
    "sources_save_many": lambda by: services.sources_save_many(sources=[Source(publisher="P", title="T")], by=by),
    "town_edit": lambda by: services.town_edit(town=TownFactory.build(), by=by),
    "town_edit_check": lambda by: services.town_edit_check(town=TownFactory.build(), by=by),
    "source_edit_allowed": lambda by: permissions.source_edit_allowed(source=SourceFactory(), by=by),
    "town_edit_allowed": lambda by: permissions.town_edit_allowed(town=TownFactory(), by=by),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_by_none_is_a_type_error_not_the_system(write):
    with pytest.raises(TypeError, match="SystemActor"):
        write(None)


def test_a_forgotten_entered_by_is_a_type_error():
    with pytest.raises(TypeError, match="entered_by"):
        services.control_change_create(town=TownFactory(), faction=FactionFactory(), effective_date=dt.date(2017, 9, 1))


def test_an_anonymous_user_is_refused_and_a_named_system_actor_may_act():
    with pytest.raises(PermissionDenied, match="Sign in"):
        WRITES["faction_save"](AnonymousUser())
    faction = WRITES["faction_save"](SystemActor("a script"))
    assert faction.pk is not None and faction.history.get().history_user is None


def test_a_system_actor_needs_a_name():
    with pytest.raises(ValueError, match="name"):
        SystemActor(" ")


def test_audit_rows_name_the_system_actor():
    faction = services.faction_save(faction=Faction(name="N", short_name="N", slug="n", colour="#123456"), by=SEED)
    assert faction.history.get().history_change_reason == "saved [system: seed]"
    sources = services.sources_save_many(sources=[Source(publisher="P", title="T")], by=SYSTEM)
    assert sources[0].history.get().history_change_reason == "saved [system: tests]"
    change = ControlChangeFactory(state=ControlChange.State.DRAFT, sources=[SourceFactory()])
    services.control_change_reject(change=change, by=SEED, reason="x" * 100)
    reason = change.history.latest("history_id").history_change_reason
    assert reason.endswith(" [system: seed]") and len(reason) == 100


def test_the_seed_is_recorded_as_the_seed(seeded):
    change = ControlChange.objects.filter(state=ControlChange.State.PUBLISHED).first()
    assert change.history.earliest("history_id").history_change_reason == "imported [system: seed]"
    assert Faction.objects.first().history.earliest("history_id").history_change_reason == "saved [system: seed]"


def test_an_import_without_user_is_recorded_as_the_command(seeded, tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text(
        "town,faction,date,status,contested_by,confidence,source_url,source_title,source_publisher\n"
        "Raqqa,SDF,2017-10-25,,,,https://example.org/actor,Actor report,Wire\n"
    )
    call_command("import_changes", str(path), "--commit")
    change = ControlChange.objects.get(effective_date=dt.date(2017, 10, 25))
    assert change.entered_by is None
    assert change.history.get().history_change_reason == "imported [system: import_changes]"
