"""Confirmations ("still held by F, per source S") and each town's last_confirmed on the control layer."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import geojson, selectors, services
from events.confirmation_models import Confirmation
from tests.factories import SYSTEM, ControlChangeFactory, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db

D = dt.date
State = Confirmation.State


@pytest.fixture
def tabqa():
    sdf, is_ = FactionFactory(slug="sdf", name="SDF"), FactionFactory(slug="islamic-state", name="Islamic State")
    town = TownFactory(name="Tabqa", slug="tabqa")
    ControlChangeFactory(town=town, faction=is_, effective_date=D(2014, 8, 24))
    ControlChangeFactory(town=town, faction=sdf, effective_date=D(2017, 5, 10))
    return town, sdf, is_


def confirm(town, on, *, faction=None, state=State.PUBLISHED, by=SYSTEM):
    return services.confirmation_create(
        town=town, confirmed_on=on, faction=faction, sources=[SourceFactory()], state=state, entered_by=by
    )


def feature(on: D, name="Tabqa") -> dict:
    layer = geojson.control_feature_collection(on=on)
    return next(f["properties"] for f in layer["features"] if f["properties"]["name"] == name)


def test_a_confirmation_resets_staleness(tabqa):
    town, sdf, _ = tabqa
    before = feature(D(2017, 9, 1))
    assert (before["last_confirmed"], before["days_since_confirmed"]) == (D(2017, 5, 10), 114)
    confirm(town, D(2017, 8, 20))
    after = feature(D(2017, 9, 1))
    assert (after["last_confirmed"], after["days_since_confirmed"]) == (D(2017, 8, 20), 12)
    # On a day before the confirmation it does not count yet; on its day it does.
    assert feature(D(2017, 8, 19))["last_confirmed"] == D(2017, 5, 10)
    assert feature(D(2017, 8, 20))["days_since_confirmed"] == 0


def test_the_controller_defaults_from_the_change_in_force(tabqa):
    town, sdf, _ = tabqa
    assert confirm(town, D(2017, 8, 20)).faction == sdf


def test_a_confirmation_of_another_faction_is_refused_naming_both(tabqa):
    town, sdf, is_ = tabqa
    with pytest.raises(ValidationError) as refused:
        confirm(town, D(2017, 8, 20), faction=is_)
    message = " ".join(refused.value.message_dict["faction"])
    assert "SDF" in message and "Islamic State" in message
    assert not Confirmation.objects.exists()


def test_a_confirmation_of_the_earlier_controller_does_not_carry_over(tabqa):
    town, sdf, is_ = tabqa
    confirm(town, D(2016, 1, 1), faction=is_)  # IS held it then
    assert feature(D(2016, 6, 1))["last_confirmed"] == D(2016, 1, 1)
    assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 5, 10)  # SDF's span: its change's date


def test_only_a_published_confirmation_counts(tabqa):
    town, sdf, _ = tabqa
    draft = confirm(town, D(2017, 8, 20), state=State.DRAFT)
    assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 5, 10)
    rejected = confirm(town, D(2017, 8, 25), state=State.DRAFT)
    services.confirmation_reject(confirmation=rejected, by=SYSTEM, reason="misread")
    assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 5, 10)
    published = services.confirmation_publish(confirmation=draft, by=SYSTEM)
    assert published.state == State.PUBLISHED
    assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 8, 20)
    services.confirmation_retract(confirmation=published, by=SYSTEM, reason="wrong report")
    assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 5, 10)
    reasons = list(Confirmation.history.filter(id=draft.pk).values_list("history_change_reason", flat=True))
    assert any(r.startswith("retracted") for r in reasons) and any(r.startswith("published") for r in reasons)


def test_a_draft_needs_a_source_to_be_published(tabqa):
    town, _, _ = tabqa
    draft = services.confirmation_create(town=town, confirmed_on=D(2017, 8, 20), entered_by=SYSTEM)
    with pytest.raises(ValidationError, match="source"):
        services.confirmation_publish(confirmation=draft, by=SYSTEM)


def test_a_draft_is_checked_again_when_published(tabqa):
    town, sdf, is_ = tabqa
    draft = confirm(town, D(2017, 8, 20), state=State.DRAFT)
    ControlChangeFactory(town=town, faction=is_, effective_date=D(2017, 8, 1))  # IS back before its date
    with pytest.raises(ValidationError, match="not by SDF"):
        services.confirmation_publish(confirmation=draft, by=SYSTEM)


def test_as_published_boundary(tabqa):
    town, _, _ = tabqa
    confirmation = confirm(town, D(2017, 8, 20))
    moment = dt.datetime(2017, 9, 2, 20, 0, tzinfo=dt.UTC)
    Confirmation.objects.filter(pk=confirmation.pk).update(reviewed_at=moment)
    from events.models import ControlChange

    # public_from moves with reviewed_at: published then, with no delay (events.selectors.rule's delayed view)
    ControlChange.objects.update(reviewed_at=moment - dt.timedelta(days=100),
                                 public_from=moment - dt.timedelta(days=100))
    with selectors.as_known_at(moment - dt.timedelta(microseconds=1)):
        assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 5, 10)
    with selectors.as_known_at(moment):
        assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 8, 20)
    Confirmation.objects.filter(pk=confirmation.pk).update(
        state=State.RETRACTED, retracted_at=moment + dt.timedelta(hours=1)
    )
    with selectors.as_known_at(moment + dt.timedelta(minutes=59)):
        assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 8, 20)
    with selectors.as_known_at(moment + dt.timedelta(hours=1)):
        assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 5, 10)


def test_a_future_date_is_refused(tabqa):
    town, _, _ = tabqa
    with pytest.raises(ValidationError, match="future"):
        confirm(town, timezone.localdate() + dt.timedelta(days=1))


def test_the_layer_reads_confirmations_in_queries_that_do_not_grow_with_towns(tabqa):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            json.dumps(geojson.dumps(geojson.control_feature_collection(on=D(2017, 9, 1))).decode())
        return len(captured)

    town, sdf, _ = tabqa
    confirm(town, D(2017, 8, 20))
    few = queries()
    for n in range(5):
        other = TownFactory(name=f"Other {n}")
        ControlChangeFactory(town=other, faction=sdf, effective_date=D(2017, 6, 1))
        confirm(other, D(2017, 7, n + 1))
    assert queries() == few
    assert feature(D(2017, 9, 1), name="Other 4")["last_confirmed"] == D(2017, 7, 5)


def _last_confirmed_by_the_rule(on: D, town) -> D:
    """The rule as the module states it, in the ORM: the change in force's date, or the latest confirmation
    that counts of the same town and controller dated after it and on or before ``on``."""
    change = selectors.control_as_of(on=on).row_for(town)
    later = (
        Confirmation.objects.filter(
            selectors.counted_q(selectors.visibility(), model=Confirmation),
            town=town,
            faction_id=change.faction_id,
            confirmed_on__gt=change.effective_date,
            confirmed_on__lte=on,
        )
        .order_by("-confirmed_on")
        .values_list("confirmed_on", flat=True)
        .first()
    )
    return later or change.effective_date


@pytest.mark.parametrize("few", [100, 0], ids=["read-whole", "walked-per-town"])
def test_last_confirmed_agrees_with_the_rule_read_whole_or_walked(tabqa, monkeypatch, few):
    """A few confirmations are read whole and matched in Python, many are looked up per change in force (by
    id): both agree with the rule on a confirmation after the change in force, one before it (of the earlier
    controller), a draft one and another theatre's town's; a date with none on or before it costs one query."""
    from events.selectors import confirmations
    from geodata.models import Theatre

    monkeypatch.setattr(confirmations, "FEW_CONFIRMATIONS", few)
    town, sdf, is_ = tabqa
    confirm(town, D(2016, 1, 1), faction=is_)  # before SDF's change: the earlier controller's
    confirm(town, D(2017, 8, 20))  # after it
    confirm(town, D(2017, 8, 25), state=State.DRAFT)  # does not count
    other_theatre = Theatre.objects.create(slug="elsewhere", name="Elsewhere")
    away = TownFactory(name="Away", theatre=other_theatre)
    ControlChangeFactory(town=away, faction=sdf, effective_date=D(2017, 6, 1))
    confirm(away, D(2017, 8, 30))
    for on in (D(2015, 6, 1), D(2016, 1, 1), D(2017, 5, 10), D(2017, 8, 19), D(2017, 8, 20), D(2017, 9, 1)):
        snapshot = selectors.control_as_of(on=on)
        found = selectors.last_confirmed(on=on, changes=snapshot.changes.values())
        assert found == {t.id: _last_confirmed_by_the_rule(on, t) for t in (town, away) if snapshot.row_for(t)}, on
    assert feature(D(2017, 9, 1))["last_confirmed"] == D(2017, 8, 20)
    assert feature(D(2017, 9, 1), name="Away")["last_confirmed"] == D(2017, 8, 30)
    home = Theatre.objects.exclude(pk=other_theatre.pk).get()
    mine = selectors.control_as_of(on=D(2017, 9, 1), theatre=home).changes.values()
    assert selectors.last_confirmed(on=D(2017, 9, 1), changes=mine, theatre_id=home.pk)[town.id] == D(2017, 8, 20)
    # Before any confirmation that counts: one query of the confirmations, nothing else.
    early = selectors.control_as_of(on=D(2015, 6, 1)).changes.values()
    with CaptureQueriesContext(connection) as captured:
        assert selectors.last_confirmed(on=D(2015, 6, 1), changes=early) == {town.id: D(2014, 8, 24)}
    assert len(captured) == 1 and "events_controlchange" not in captured[0]["sql"]
