import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from events import selectors, services
from events.colours import colour_distance, delta_e_2000
from events.models import ControlChange
from geodata.models import Town
from tests.events.roles import user_in
from tests.factories import SYSTEM, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db

D = dt.date


def draft(by, **overrides):
    kwargs = dict(town=TownFactory(), faction=FactionFactory(), effective_date=D(2017, 9, 1), entered_by=by)
    kwargs.update(overrides)
    return services.control_change_create(**kwargs)


def test_groups_exist_with_their_roles():
    editor, reviewer, admin = user_in("editor", "e"), user_in("reviewer", "r"), user_in("admin", "a")
    assert editor.has_perm("events.add_controlchange") and not editor.has_perm("events.publish_controlchange")
    assert reviewer.has_perm("events.publish_controlchange") and reviewer.has_perm("events.retract_controlchange")
    assert admin.has_perm("events.delete_faction") and admin.has_perm("geodata.change_town")
    assert not admin.has_perm("events.change_historicalcontrolchange")  # the audit trail stays read-only


def test_anonymous_and_roleless_users_cannot_write(editor):
    with pytest.raises(PermissionDenied):
        draft(AnonymousUser())
    with pytest.raises(PermissionDenied):
        draft(user_in(None))
    change = draft(editor)
    with pytest.raises(PermissionDenied):
        services.control_change_update(change=change, by=AnonymousUser(), note="x")
    assert ControlChange.objects.count() == 1


def test_editor_cannot_publish_but_reviewer_can(editor, reviewer):
    change = draft(editor, sources=[SourceFactory()])
    with pytest.raises(PermissionDenied):
        services.control_change_publish(change=change, by=editor)
    with pytest.raises(PermissionDenied):
        draft(editor, state=ControlChange.State.PUBLISHED, sources=[SourceFactory()], effective_date=D(2017, 9, 2))
    published = services.control_change_publish(change=change, by=reviewer)
    assert (published.state, published.reviewed_by) == ("published", reviewer)
    assert selectors.control_as_of(on=D(2017, 9, 1)).change_for(change.town) == published


def test_publishing_needs_a_source(editor, reviewer):
    change = draft(editor)
    with pytest.raises(ValidationError) as exc:
        services.control_change_publish(change=change, by=reviewer)
    assert "at least one source" in exc.value.message_dict["sources"][0]
    change.refresh_from_db()
    assert change.state == "draft"


def test_only_drafts_are_editable_and_corrections_supersede(editor, reviewer):
    change = draft(editor, sources=[SourceFactory()])
    services.control_change_publish(change=change, by=reviewer)
    with pytest.raises(ValidationError, match="Only drafts can be edited"):
        services.control_change_update(change=change, by=editor, note="sneaky")
    other = FactionFactory()
    with pytest.raises(ValidationError) as exc:
        draft(editor, town=change.town, faction=other)
    assert "superseding it" in str(exc.value)
    correction = draft(editor, town=change.town, faction=other, supersedes=change, sources=[SourceFactory()])
    services.control_change_publish(change=correction, by=reviewer)
    assert selectors.control_as_of(on=D(2017, 9, 1)).change_for(change.town).faction == other


def test_update_rejects_review_fields(editor):
    with pytest.raises(ValidationError) as exc:
        services.control_change_update(change=draft(editor), by=editor, state="published")
    assert "state" in exc.value.message_dict


def test_audit_rows_hold_previous_values(editor, reviewer):
    first, second = FactionFactory(name="First"), FactionFactory(name="Second")
    change = draft(editor, faction=first, note="as first entered")
    services.control_change_update(change=change, by=editor, faction=second, note="corrected")
    services.control_change_reject(change=change, by=reviewer, reason="no source for this")
    records = list(change.history.order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~", "~"]
    assert (records[0].faction_id, records[0].note, records[0].history_user) == (first.pk, "as first entered", editor)
    assert (records[1].faction_id, records[1].note, records[1].history_change_reason) == (second.pk, "corrected",
                                                                                           "updated")
    assert (records[2].state, records[2].history_user) == ("rejected", reviewer)
    delta = records[1].diff_against(records[0])
    assert {c.field: (c.old, c.new) for c in delta.changes}["faction"] == (first.pk, second.pk)


def test_reject_and_retract_need_a_reason(editor, reviewer):
    change = draft(editor, sources=[SourceFactory()])
    with pytest.raises(ValidationError):
        services.control_change_reject(change=change, by=reviewer, reason="  ")
    services.control_change_publish(change=change, by=reviewer)
    with pytest.raises(ValidationError):
        services.control_change_retract(change=change, by=reviewer, reason="")
    with pytest.raises(PermissionDenied):
        services.control_change_retract(change=change, by=editor, reason="wrong")


def test_retracted_change_leaves_the_map_but_stays_in_the_history(seeded, reviewer):
    town = Town.objects.get(slug="uqayribat")
    before = selectors.control_as_of(on=D(2017, 9, 3)).change_for(town)
    assert before.effective_date == D(2017, 9, 3)
    services.control_change_retract(change=before, by=reviewer, reason="The report was misdated.")
    after = selectors.control_as_of(on=D(2017, 9, 3)).change_for(town)
    assert after.effective_date == D(2017, 9, 2)  # the previous change is in force again
    assert before.pk not in {c.pk for c in selectors.town_history(town=town)}
    stored = ControlChange.objects.get(pk=before.pk)
    assert (stored.state, stored.retraction_reason, stored.retracted_by) == (
        "retracted", "The report was misdated.", reviewer)
    assert [r.state for r in stored.history.order_by("history_date", "history_id")][-2:] == ["published", "retracted"]


def test_published_change_cannot_be_deleted(editor, reviewer):
    admin_user = user_in("admin", "boss")
    change = draft(editor, sources=[SourceFactory()])
    services.control_change_publish(change=change, by=reviewer)
    with pytest.raises(ValidationError, match="cannot be deleted"):
        services.control_change_delete(change=change, by=admin_user)
    assert ControlChange.objects.filter(pk=change.pk).exists()
    mistake = draft(editor, effective_date=D(2017, 9, 4))
    services.control_change_delete(change=mistake, by=editor)
    assert not ControlChange.objects.filter(pk=mistake.pk).exists()


def test_the_system_acts_by_name_and_records_no_account():
    change = services.control_change_create(
        town=TownFactory(), faction=FactionFactory(), effective_date=D(2017, 9, 1),
        state=ControlChange.State.PUBLISHED, sources=[SourceFactory()], entered_by=SYSTEM,
    )
    assert change.state == "published" and change.entered_by is None and change.reviewed_by is None


def test_create_many_links_sources_and_records_them_in_the_history(editor):
    source = SourceFactory()
    town, faction = TownFactory(), FactionFactory()
    new = [services.NewChange(ControlChange(town=town, faction=faction, effective_date=D(2017, 9, d)), [source])
           for d in (1, 2)]
    created = services.control_changes_create_many(new=new, by=editor)
    assert [list(c.sources.all()) for c in created] == [[source], [source]]
    record = created[0].history.get()
    assert (record.history_user, [s.source for s in record.sources.all()]) == (editor, [source])
    with pytest.raises(ValidationError, match="superseding it"):
        services.control_changes_create_many(new=[services.NewChange(
            ControlChange(town=town, faction=faction, effective_date=D(2017, 9, 1)), [])], by=editor)


def test_colour_difference_matches_published_ciede2000_values():
    # Sharma, Wu & Dalal (2005), test pairs 1 and 17.
    assert delta_e_2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert delta_e_2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)
    assert colour_distance("#262626", "#262626") == 0
    assert colour_distance("#d7191c", "#f2c12e") > 10


def test_colour_neighbours_warn_about_close_colours():
    red = FactionFactory(name="Red", colour="#d7191c")
    FactionFactory(name="Almost red", colour="#d91b1e")
    FactionFactory(name="Yellow", colour="#f2c12e")
    assert [f.name for f, _ in selectors.faction_colour_neighbours(faction=red)] == ["Almost red"]
