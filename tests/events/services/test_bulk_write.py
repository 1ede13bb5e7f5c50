"""Many changes at once: written in rounds, each with its history and its sources' history, by the
same rules (and messages) as one change at a time."""

import copy
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conflictmap.text_checks import clean_refusing_nul
from events import services
from events.models import ControlChange, Source
from events.services import bulk, lifecycle
from tests.factories import FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def test_changes_written_over_several_rounds_each_have_their_history_and_sources(reviewer, monkeypatch):
    monkeypatch.setattr(bulk, "ROWS_PER_ROUND", 2)
    town, faction, stored = TownFactory(), FactionFactory(), SourceFactory()
    fresh = Source(publisher="Example Wire", title="New report")
    new = [services.NewChange(ControlChange(town=town, faction=faction, effective_date=dt.date(2017, 9, day)),
                              [stored, fresh] if day % 2 else [fresh])
           for day in range(1, 6)]
    heard = []
    created = services.control_changes_create_many(
        new=new, by=reviewer, publish=True, progress=lambda *args: heard.append(args))
    assert heard == [("writing", 2, 5), ("writing", 4, 5), ("writing", 5, 5)]
    assert fresh.pk is not None and Source.objects.filter(title="New report").count() == 1
    for item, change in zip(new, created, strict=True):
        again = ControlChange.objects.get(pk=change.pk)
        assert (again.state, again.entered_by, again.reviewed_by) == ("published", reviewer, reviewer)
        assert sorted(s.pk for s in again.sources.all()) == sorted(s.pk for s in item.sources)
        (record,) = ControlChange.history.filter(id=change.pk)
        assert (record.history_type, record.history_user, record.history_change_reason) == ("+", reviewer, "imported")
        assert (record.effective_date, record.faction_id, record.state) == (
            again.effective_date, faction.pk, "published")
        links = dict(ControlChange.sources.through.objects.filter(controlchange=change).values_list("source_id", "pk"))
        # The creation record lists the sources as set() would have recorded them, each with its link's id.
        assert {(s.source_id, s.id) for s in record.sources.all()} == set(links.items())


def bad_changes() -> list[ControlChange]:
    town, faction, other = TownFactory(), FactionFactory(), FactionFactory()
    later = dt.date.today() + dt.timedelta(days=3)
    kinds = [
        dict(status="taken"),                                           # not a choice
        dict(note="a\x00b"),                                            # a NUL
        dict(status="contested"),                                       # contested without a contester
        dict(contested_by=faction),                                     # controlled, yet contested by itself
        dict(effective_date=later),                                     # in the future
        dict(date_precision="month", day_part=2),                       # a part of day on a month
        dict(confidence="x" * 20),                                      # too long and not a choice
        dict(status="contested", contested_by=other, note="fine"),      # good
    ]
    base = dict(town=town, faction=faction, effective_date=dt.date(2017, 9, 2))
    return [ControlChange(**{**base, **kind}) for kind in kinds * 2]  # each twice: the second from the cache


def one_at_a_time(change: ControlChange) -> dict:
    """What Django's own clean_fields and clean say of one change, after the date rule (the check before batches)."""
    errors: dict = {}
    steps = (lambda: lifecycle.control_change_date_check(change=change),
             lambda: clean_refusing_nul(change, lambda: change.clean_fields(exclude=services.RELATION_FIELDS),
                                        change.clean))
    for step in steps:
        try:
            step()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    return ValidationError(errors).message_dict if errors else {}


def test_the_batch_check_says_what_checking_one_at_a_time_says():
    changes = bad_changes()
    alone = [one_at_a_time(change) for change in copy.deepcopy(changes)]
    found = services.control_changes_check(new=[(c, []) for c in changes])
    assert [found[i].message_dict if i in found else {} for i in range(len(changes))] == alone
    assert alone[:8] == alone[8:] and alone[7] == {} and all(alone[:7])
    assert alone[1] == {"note": ["Null characters are not allowed."]}
    assert "is not a valid choice" in alone[0]["status"][0]
