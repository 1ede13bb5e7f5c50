import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import names, selectors
from events.models import ControlChange, Faction
from geodata.models import Town
from tests.factories import ControlChangeFactory, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db

D = dt.date


def controller(snapshot, slug):
    change = snapshot.row_for(Town.objects.get(slug=slug))
    contested_by = change and change.contested_by_id and snapshot.factions[change.contested_by_id].slug
    return change and (change.faction_slug, change.status, contested_by or None)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2017, 8, 31), ("islamic-state", "controlled", None)),
        (D(2017, 9, 1), ("pro-government", "controlled", None)),
        (D(2017, 9, 2), ("islamic-state", "contested", "pro-government")),
        (D(2017, 9, 3), ("pro-government", "controlled", None)),
        (D(2017, 12, 31), ("pro-government", "controlled", None)),
    ],
)
def test_uqayribat_changes_hands_three_times_in_three_days(seeded, on, expected):
    assert controller(selectors.control_as_of(on=on), "uqayribat") == expected


def test_boundary_is_inclusive_on_each_seed_change_date(seeded):
    for change in ControlChange.objects.filter(state="published").select_related("town"):
        snapshot = selectors.control_as_of(on=change.effective_date)
        in_force = snapshot.row_for(change.town)
        same_day_later = ControlChange.objects.filter(
            town=change.town, effective_date=change.effective_date, day_part__gt=change.day_part
        ).exists()
        if not same_day_later:
            assert in_force.id == change.pk, change
        before = selectors.control_as_of(on=change.effective_date - dt.timedelta(days=1)).row_for(change.town)
        assert before is None or before.id != change.pk


def test_raqqa_and_tabqa_follow_the_sdf_offensive(seeded):
    assert controller(selectors.control_as_of(on=D(2017, 5, 9)), "tabqa")[0] == "islamic-state"
    assert controller(selectors.control_as_of(on=D(2017, 5, 10)), "tabqa")[0] == "sdf"
    assert controller(selectors.control_as_of(on=D(2017, 6, 6)), "raqqa") == (
        "islamic-state", "contested", "sdf")
    assert controller(selectors.control_as_of(on=D(2017, 9, 1)), "raqqa") == (
        "sdf", "contested", "islamic-state")


def test_town_without_any_change_is_unknown_before_its_first_change(seeded):
    snapshot = selectors.control_as_of(on=D(2010, 1, 1))
    assert len(snapshot) == Town.objects.count()
    assert all(row.change is None for row in snapshot)


def test_same_day_order_is_part_of_day_then_entry_order(db):
    town, first, second, third = TownFactory(), FactionFactory(), FactionFactory(), FactionFactory()
    ControlChangeFactory(town=town, faction=first, day_part=ControlChange.DayPart.NIGHT)
    ControlChangeFactory(town=town, faction=second, day_part=ControlChange.DayPart.MORNING)
    assert selectors.control_as_of(on=D(2017, 9, 1)).row_for(town).faction_id == first.pk
    # A later entry for the same part of day supersedes explicitly and wins.
    night = ControlChange.objects.get(faction=first)
    ControlChangeFactory(town=town, faction=third, day_part=ControlChange.DayPart.NIGHT,
                         supersedes=night)
    assert selectors.control_as_of(on=D(2017, 9, 1)).row_for(town).faction_id == third.pk
    assert selectors.control_as_of(on=D(2017, 9, 1)).change_for(town).faction == third  # the model, on demand


def test_drafts_rejected_retracted_and_superseded_changes_are_not_in_force(db):
    town, is_, gov = TownFactory(), FactionFactory(), FactionFactory()
    base = ControlChangeFactory(town=town, faction=is_, effective_date=D(2017, 1, 1))
    ControlChangeFactory(town=town, faction=gov, state="draft", effective_date=D(2017, 9, 1))
    ControlChangeFactory(town=town, faction=gov, state="retracted", effective_date=D(2017, 9, 2))
    ControlChangeFactory(town=town, faction=gov, state="rejected", effective_date=D(2017, 9, 3))
    on = D(2017, 9, 30)
    assert selectors.control_as_of(on=on).row_for(town).id == base.pk
    assert selectors.control_as_of(on=on).change_for(town) == base
    assert selectors.control_as_of(on=on, published_only=False).row_for(town).state == "draft"
    assert selectors.town_history(town=town) == [base]


def test_a_superseded_change_is_out_of_force_and_its_correction_in(db):
    town, wrong, right = TownFactory(), FactionFactory(), FactionFactory()
    old = ControlChangeFactory(town=town, faction=wrong, effective_date=D(2017, 9, 1))
    fix = ControlChangeFactory(town=town, faction=right, effective_date=D(2017, 9, 1), supersedes=old)
    assert selectors.control_as_of(on=D(2017, 9, 1)).row_for(town).id == fix.pk
    # A draft correction only replaces the change in an editor's preview.
    other = TownFactory()
    kept = ControlChangeFactory(town=other, faction=wrong, effective_date=D(2017, 9, 1))
    ControlChangeFactory(town=other, faction=right, effective_date=D(2017, 9, 1), supersedes=kept, state="draft")
    assert selectors.control_as_of(on=D(2017, 9, 1)).row_for(other).id == kept.pk
    assert selectors.control_as_of(on=D(2017, 9, 1), published_only=False).row_for(other).faction_id == right.pk


def test_control_as_of_rows_are_light_and_complete(seeded):
    snapshot = selectors.control_as_of(on=D(2017, 9, 2))
    row = next(r for r in snapshot if r.town.slug == "uqayribat")
    town = Town.objects.get(slug="uqayribat")
    assert isinstance(row, selectors.TownControl) and not isinstance(row.change, ControlChange)
    assert row.town == (town.pk, "uqayribat", town.name, town.latitude, town.longitude, town.admin_area_id,
                        town.population)
    assert (row.change.faction_slug, row.change.status, row.change.effective_date) == (
        "islamic-state", "contested", D(2017, 9, 2))
    assert snapshot.factions[row.change.contested_by_id].slug == "pro-government"
    assert [t.name for t in snapshot.towns] == list(Town.objects.order_by("name", "pk").values_list("name", flat=True))


def test_control_as_of_query_count_does_not_grow_with_towns(db, django_assert_num_queries):
    faction = FactionFactory()

    def make(n):
        towns = Town.objects.bulk_create(
            TownFactory.build(slug=f"bulk-{n}-{i}") for i in range(n)
        )
        ControlChange.objects.bulk_create(
            ControlChange(town=t, faction=faction, effective_date=D(2017, 1, d), state="published")
            for t in towns for d in (1, 2, 3)
        )

    make(10)
    # The data revision (the key of the slices this worker keeps), the next delayed publication's moment
    # (read once per revision, remembered until it passes), towns joined to their change in force, the
    # towns the public sees only at their district (selectors.coarse: a partial index, few rows), then
    # factions: five queries at any size.
    with django_assert_num_queries(5):
        snapshot = selectors.control_as_of(on=D(2017, 6, 1))
        assert len(snapshot.changes) == 10 and {c.effective_date for c in snapshot.changes.values()} == {D(2017, 1, 3)}
    make(990)
    cache.clear()  # bulk_create skips the services, so no revision bump tells the kept slice is old
    with django_assert_num_queries(5):
        assert len(selectors.control_as_of(on=D(2017, 6, 1)).changes) == 1000


def test_in_force_follows_dates_and_parts_of_day(db):
    town, first, second, third = TownFactory(), FactionFactory(), FactionFactory(), FactionFactory()
    Part = ControlChange.DayPart
    ControlChangeFactory(town=town, faction=first, effective_date=D(2017, 9, 1), day_part=Part.EVENING)
    ControlChangeFactory(town=town, faction=second, effective_date=D(2017, 9, 1), day_part=Part.MORNING)
    ControlChangeFactory(town=town, faction=third, effective_date=D(2017, 9, 3))
    timeline = selectors.town_timelines(town_ids=[town.pk])[town.pk]
    assert [r.day_part for r in timeline] == [Part.MORNING, Part.EVENING, Part.UNSPECIFIED]

    def held(on, part=None):
        row = selectors.in_force(timeline, on, part)
        return row and row.faction_id

    assert held(D(2017, 8, 31)) is None
    assert held(D(2017, 9, 1)) == first.pk  # the end of the day: evening
    assert held(D(2017, 9, 1), Part.UNSPECIFIED) is None
    assert held(D(2017, 9, 1), Part.AFTERNOON) == second.pk
    assert held(D(2017, 9, 2)) == first.pk and held(D(2017, 9, 3)) == third.pk
    walked = [(on, dict(state)) for on, state in selectors.in_force_on_dates({town.pk: timeline}, [D(2017, 9, 2)])]
    assert walked == [(D(2017, 9, 2), {town.pk: selectors.in_force(timeline, D(2017, 9, 2))})]


def test_changes_between_is_inclusive_and_ordered(seeded):
    changes = selectors.changes_between(start=D(2017, 9, 1), end=D(2017, 9, 3))
    uqayribat = [(c.effective_date, c.faction.slug) for c in changes if c.town.slug == "uqayribat"]
    assert uqayribat == [
        (D(2017, 9, 1), "pro-government"),
        (D(2017, 9, 2), "islamic-state"),
        (D(2017, 9, 3), "pro-government"),
    ]
    with pytest.raises(ValueError):
        selectors.changes_between(start=D(2017, 9, 3), end=D(2017, 9, 1))


def test_town_history_is_chronological(seeded):
    history = selectors.town_history(town=Town.objects.get(slug="uqayribat"))
    assert [c.effective_date for c in history] == [
        D(2014, 1, 1), D(2017, 9, 1), D(2017, 9, 2), D(2017, 9, 3)]


def test_town_history_reads_its_town_once_not_with_every_row(seeded):
    """The history's rows name the page's own town: the town and its area are not joined to each row
    (at a town with 75 changes, 150 model instances of the same two rows)."""
    town = Town.objects.get(slug="uqayribat")
    with CaptureQueriesContext(connection) as queries:
        history = selectors.town_history(town=town)
    assert len(queries) == 2  # the changes with their factions, and their sources
    assert all(area not in queries[0]["sql"] for area in ('"geodata_town"."name"', '"geodata_adminarea"'))
    with CaptureQueriesContext(connection) as queries:
        assert {c.town.slug for c in history} == {"uqayribat"} and history[0].sources.all()
    assert not queries.captured_queries


def test_faction_index_finds_by_alias_and_reports_unknown_and_ambiguous_names(seeded):
    index = names.faction_index()
    for alias in ("Daesh", "ISIS", "isil", "IS", "islamic-state", " Islamic State "):
        faction, problem = index.find(alias)
        assert problem is None and faction.slug == "islamic-state"
    assert index.find("Nobody") == (None, "no faction is called 'Nobody'")
    Faction.objects.filter(slug="sdf").update(aliases=["QSD", "rebels"])  # also an alias of the opposition
    faction, problem = names.faction_index().find("Rebels")
    assert faction is None and problem == "'Rebels' names several factions (opposition, sdf); use the slug or id"


def test_data_version_changes_when_the_log_changes(seeded):
    before, preview = selectors.data_version(), selectors.data_version(published_only=False)
    ControlChangeFactory(town=Town.objects.get(slug="raqqa"), faction=Faction.objects.get(slug="sdf"),
                         effective_date=dt.date(2017, 9, 4), state=ControlChange.State.DRAFT)
    assert selectors.data_version() == before  # a draft changes no public map
    assert selectors.data_version(published_only=False) != preview
    ControlChangeFactory(town=Town.objects.get(slug="tabqa"), faction=Faction.objects.get(slug="sdf"),
                         effective_date=dt.date(2017, 9, 4))
    assert selectors.data_version() != before
