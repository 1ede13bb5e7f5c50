"""A date's precision means something: a month is the month (its 1st), an unknown day has no part of day,
and each sorts in the log where its stored date says (README: "The log's order and date precision")."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events import selectors, services
from events.imports import changes_import_check
from events.models import ControlChange
from events.services import lifecycle
from tests.factories import SYSTEM, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db

Precision, DayPart = ControlChange.Precision, ControlChange.DayPart


def published(**fields) -> ControlChange:
    return services.control_change_create(sources=[SourceFactory()], state=ControlChange.State.PUBLISHED,
                                          entered_by=SYSTEM, **fields)


def test_a_month_change_is_stored_as_the_first_of_its_month_and_shown_as_the_month():
    change = services.control_change_create(town=TownFactory(), faction=FactionFactory(),
                                            effective_date=dt.date(2017, 9, 15), date_precision=Precision.MONTH,
                                            entered_by=SYSTEM)
    change.refresh_from_db()
    assert change.effective_date == dt.date(2017, 9, 1)
    assert change.date_label == "September 2017"


def test_an_approximate_change_keeps_its_date_and_says_about():
    change = services.control_change_create(town=TownFactory(), faction=FactionFactory(),
                                            effective_date=dt.date(2014, 1, 1), date_precision=Precision.APPROXIMATE,
                                            entered_by=SYSTEM)
    change.refresh_from_db()
    assert (change.effective_date, change.date_label) == (dt.date(2014, 1, 1), "about 2014")


@pytest.mark.parametrize("precision", [Precision.MONTH, Precision.APPROXIMATE])
def test_a_part_of_day_without_an_exact_day_is_refused_naming_the_field(precision):
    town = TownFactory()
    with pytest.raises(ValidationError) as caught:
        services.control_change_create(town=town, faction=FactionFactory(), effective_date=dt.date(2017, 9, 5),
                                       date_precision=precision, day_part=DayPart.MORNING, entered_by=SYSTEM)
    assert caught.value.message_dict == {"day_part": [
        f"A part of day needs an exact day; this date's precision is {precision}. "
        "Choose day precision or leave the part of day unspecified."]}
    assert not ControlChange.objects.filter(town=town).exists()


def test_the_check_reports_the_part_of_day_with_the_other_bad_fields():
    change = ControlChange(town=TownFactory(), faction=FactionFactory(), effective_date=dt.date(2017, 9, 5),
                           date_precision=Precision.MONTH, day_part=DayPart.NIGHT, confidence="rumour")
    with pytest.raises(ValidationError) as caught:
        services.control_change_check(change=change)
    assert {"day_part", "confidence"} <= set(caught.value.message_dict)


def test_two_month_changes_of_one_town_and_month_are_one_month_and_clash():
    town, faction = TownFactory(), FactionFactory()
    services.control_change_create(town=town, faction=faction, effective_date=dt.date(2017, 9, 3),
                                   date_precision=Precision.MONTH, entered_by=SYSTEM)
    with pytest.raises(ValidationError) as caught:
        services.control_change_create(town=town, faction=faction, effective_date=dt.date(2017, 9, 20),
                                       date_precision=Precision.MONTH, entered_by=SYSTEM)
    assert lifecycle.ONE_PER_DAY_PART_MESSAGE in caught.value.messages


def test_a_month_change_sorts_at_the_first_of_its_month_against_exact_dates():
    town, early, month, exact = TownFactory(), FactionFactory(), FactionFactory(), FactionFactory()
    published(town=town, faction=early, effective_date=dt.date(2017, 8, 31))
    published(town=town, faction=exact, effective_date=dt.date(2017, 9, 5))
    # Entered after the exact change and typed with a later day: still September, so from the 1st.
    published(town=town, faction=month, effective_date=dt.date(2017, 9, 20), date_precision=Precision.MONTH)

    def holder(on: dt.date) -> int:
        return selectors.control_as_of(on=on).changes[town.pk].faction_id

    assert holder(dt.date(2017, 8, 31)) == early.pk
    assert holder(dt.date(2017, 9, 1)) == month.pk  # the month starts on its 1st
    assert holder(dt.date(2017, 9, 4)) == month.pk
    assert holder(dt.date(2017, 9, 5)) == exact.pk  # an exact day later in the month comes after it
    assert holder(dt.date(2017, 9, 30)) == exact.pk
    history = selectors.town_history(town=town)
    assert [c.date_label for c in history] == ["31 August 2017", "September 2017", "5 September 2017"]


def test_an_approximate_change_sorts_at_the_date_entered():
    town, before, about = TownFactory(), FactionFactory(), FactionFactory()
    published(town=town, faction=before, effective_date=dt.date(2013, 12, 31))
    published(town=town, faction=about, effective_date=dt.date(2014, 1, 1), date_precision=Precision.APPROXIMATE)
    assert selectors.control_as_of(on=dt.date(2013, 12, 31)).changes[town.pk].faction_id == before.pk
    assert selectors.control_as_of(on=dt.date(2014, 1, 1)).changes[town.pk].faction_id == about.pk


def test_the_csv_import_reads_a_month_as_its_first_day_and_refuses_a_part_of_day_with_it():
    town, faction = TownFactory(name="Uqayribat", slug="uqayribat"), FactionFactory(slug="islamic-state")
    plan = changes_import_check(text=(
        "town,faction,date,precision,day_part\n"
        f"{town.slug},{faction.slug},2017-09-20,month,\n"
        f"{town.slug},{faction.slug},2017-08-20,month,morning\n"
    ))
    assert [r.new.change.effective_date for r in plan.rows] == [dt.date(2017, 9, 1)]
    assert [(e.line, e.column) for e in plan.errors] == [(3, "day_part")]
    assert "part of day needs an exact day" in plan.errors[0].reason
