"""Publish, reject and retract are one transition: the same permission check, reason rule, state check,
stamps and audit entry, each with its own states and fields."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events import services
from events.models import ControlChange
from events.services import lifecycle
from tests.factories import SYSTEM, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db

CASES = [
    (services.control_change_publish, lifecycle.PUBLISH, {}),
    (services.control_change_reject, lifecycle.REJECT, {"reason": "  no source for this  "}),
    (services.control_change_retract, lifecycle.RETRACT, {"reason": "misdated"}),
]


def change_in(state: str) -> ControlChange:
    change = services.control_change_create(town=TownFactory(), faction=FactionFactory(),
                                            effective_date=dt.date(2017, 9, 1), sources=[SourceFactory()],
                                            entered_by=SYSTEM)
    if state == ControlChange.State.PUBLISHED:
        change = services.control_change_publish(change=change, by=SYSTEM)
    return change


@pytest.mark.parametrize(("service", "move", "extra"), CASES, ids=["publish", "reject", "retract"])
def test_each_review_service_is_its_transition(service, move, extra, reviewer):
    change = change_in(move.source)
    done = service(change=change, by=reviewer, **extra)
    stored = ControlChange.objects.get(pk=change.pk)
    reason = extra.get("reason", "").strip()
    assert (done.state, stored.state) == (move.target, move.target)
    assert getattr(stored, f"{move.stamp}_by") == reviewer and getattr(stored, f"{move.stamp}_at") is not None
    assert getattr(stored, move.reason_field) == reason
    record = stored.history.latest("history_id")
    assert (record.history_user, record.history_change_reason) == (reviewer, f"{move.done}: {reason}" if reason
                                                                   else move.done)
    with pytest.raises(ValidationError, match=f"can be {move.done}; this change is {move.target}"):
        service(change=stored, by=reviewer, **extra)


@pytest.mark.parametrize(("service", "move", "extra"), CASES, ids=["publish", "reject", "retract"])
def test_each_review_service_checks_permission_and_reason_before_touching_the_row(service, move, extra, editor):
    change = change_in(move.source)
    history = change.history.count()
    with pytest.raises(PermissionDenied, match=f"permission to {move.verb} control changes"):
        service(change=change, by=editor, **extra)
    if move.needs_reason:
        with pytest.raises(ValidationError, match="Give a reason"):
            services.control_change_transition(change=change, by=SYSTEM, move=move, reason=" ")
    assert (ControlChange.objects.get(pk=change.pk).state, change.history.count()) == (move.source, history)
