"""The one rule for what is in force, pinned through every reader that composes it.

An oracle written from the rule's words (published, not superseded by a published change, the latest
on or before D by date, part of day and entry order) is compared with each reader on the seed's
exact dates around Uqayribat's three changes, with a same-day pair, a superseded and a retracted
change, a draft and a rejected one added.
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from events import export_rows, geojson, selectors, territory
from events.models import ControlChange, Faction
from events.selectors.rule import PUBLIC, Visibility, counted_q, replaced_change_sql
from events.selectors.slices import read_slice
from geodata.models import Town
from tests.factories import ControlChangeFactory

pytestmark = pytest.mark.django_db

D = dt.date
State, Part = ControlChange.State, ControlChange.DayPart
DATES = [D(2017, 8, 31), D(2017, 9, 1), D(2017, 9, 2), D(2017, 9, 3), D(2017, 9, 4)]


@pytest.fixture
def log(seeded):
    """The seed, plus on Raqqa: a same-day pair (morning, evening), a published change superseded by
    its correction, a retracted change, a draft and a rejected one, all on the seed's dates."""
    raqqa = Town.objects.get(slug="raqqa")
    sdf, is_, gov = (Faction.objects.get(slug=s) for s in ("sdf", "islamic-state", "pro-government"))
    ControlChangeFactory(town=raqqa, faction=is_, effective_date=D(2017, 9, 2), day_part=Part.EVENING)
    ControlChangeFactory(town=raqqa, faction=sdf, effective_date=D(2017, 9, 2), day_part=Part.MORNING)
    wrong = ControlChangeFactory(town=raqqa, faction=gov, effective_date=D(2017, 9, 3))
    ControlChangeFactory(town=raqqa, faction=sdf, effective_date=D(2017, 9, 3), supersedes=wrong)
    ControlChangeFactory(town=raqqa, faction=gov, effective_date=D(2017, 9, 4), state=State.RETRACTED)
    ControlChangeFactory(town=raqqa, faction=is_, effective_date=D(2017, 9, 4), day_part=Part.NIGHT, state=State.DRAFT)
    ControlChangeFactory(town=raqqa, faction=gov, effective_date=D(2017, 9, 4), day_part=Part.AFTERNOON,
                         state=State.REJECTED)
    return raqqa


def _oracle(on: dt.date, *, drafts: bool = False) -> dict[int, int]:
    """{town id: change id in force on ``on``}, from the rule's words, in Python over every row."""
    states = {State.PUBLISHED, State.DRAFT} if drafts else {State.PUBLISHED}
    rows = [c for c in ControlChange.objects.all() if c.state in states]
    superseded = {c.supersedes_id for c in rows if c.supersedes_id}
    latest: dict[int, ControlChange] = {}
    for c in rows:
        if c.pk in superseded or c.effective_date > on:
            continue
        held = latest.get(c.town_id)
        if held is None or (c.effective_date, c.day_part, c.pk) > (held.effective_date, held.day_part, held.pk):
            latest[c.town_id] = c
    return {town_id: c.pk for town_id, c in latest.items()}


@pytest.mark.parametrize("on", DATES)
@pytest.mark.parametrize("drafts", [False, True])
def test_the_slice_follows_the_rule(log, on, drafts):
    want = _oracle(on, drafts=drafts)
    got = selectors.control_as_of(on=on, published_only=not drafts)
    assert {t: c.id for t, c in got.changes.items()} == want
    fresh = read_slice(on=on, seen=Visibility(published_only=not drafts))
    assert {t: c.id for t, c in fresh.changes.items()} == want


def test_the_seed_and_the_added_rows_give_the_expected_controllers(log):
    uqayribat = Town.objects.get(slug="uqayribat").pk
    held = {on: selectors.control_as_of(on=on).changes for on in DATES}
    assert [held[on][uqayribat].faction_slug for on in DATES] == [
        "islamic-state", "pro-government", "islamic-state", "pro-government", "pro-government"]
    # The evening's entry is in force at the end of the day, whatever the order they were entered in;
    # the correction stands in for the change it superseded; a retracted change is not in force.
    assert [held[on][log.pk].faction_slug for on in DATES[2:]] == ["islamic-state", "sdf", "sdf"]


def test_the_orm_and_sql_forms_are_the_same_rows(log):
    retracted = ControlChange.objects.get(town=log, state=State.RETRACTED)
    during = retracted.reviewed_at
    # Where a term is tested against a NULL (never public_from, not retracted, no dispute lost) and a moment: the
    # ORM form is COALESCE(...) (or, estimated on PostgreSQL, column tests), the SQL form column tests.
    ControlChange.objects.filter(pk=retracted.pk).update(retracted_at=during + dt.timedelta(hours=1))
    ControlChange.objects.filter(town=log, effective_date=D(2017, 9, 3), supersedes=None).update(public_from=None)
    for seen in (
        PUBLIC,
        Visibility(published_only=False),
        Visibility(delayed=True),
        Visibility(known_at=during),
        Visibility(known_at=during, delayed=True),
    ):
        orm = set(selectors.changes_in_force(seen=seen).values_list("pk", flat=True))
        # The terms as estimated column tests (PostgreSQL's form in replaced_change_query) are the same rows.
        assert set(selectors.changes_in_force(seen=seen, estimated=True).values_list("pk", flat=True)) == orm
        sql, params = selectors.in_force_sql(seen, "c")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT c.id FROM {ControlChange._meta.db_table} c WHERE {sql}", params)
            assert {row[0] for row in cursor.fetchall()} == orm


@pytest.mark.parametrize("on", DATES)
def test_grouped_counts_timelines_and_the_layer_agree_with_the_slice(log, on):
    want = _oracle(on)
    slugs = dict(ControlChange.objects.values_list("pk", "faction__slug"))
    counted: dict[str, int] = {}
    for count in selectors.control_counts_as_of(on=on):
        if count.faction_slug:
            counted[count.faction_slug] = counted.get(count.faction_slug, 0) + count.towns
    expected: dict[str, int] = {}
    for change_id in want.values():
        expected[slugs[change_id]] = expected.get(slugs[change_id], 0) + 1
    assert counted == expected
    timelines = selectors.town_timelines()
    assert {t: selectors.in_force(tl, on).id for t, tl in timelines.items() if selectors.in_force(tl, on)} == want
    _, state = next(selectors.in_force_on_dates(timelines, [on]))
    assert {t: c.id for t, c in state.items()} == want
    features = geojson.control_feature_collection(on=on)["features"]
    layer = {f["properties"]["town_id"]: f["properties"]["faction"] for f in features}
    assert {t: s for t, s in layer.items() if s} == {t: slugs[c] for t, c in want.items()}


@pytest.mark.parametrize("bounds", [{}, {"start": D(2017, 9, 1), "end": D(2017, 9, 3)}, {"start": D(2017, 9, 2)},
                                    {"end": D(2017, 9, 2)}])
def test_the_spans_of_control_follow_the_rule(log, bounds):
    """On each day, the spans with valid_from <= D < valid_to are the oracle's changes in force (the
    same-day pair: the morning's entry holds no whole day; the superseded, retracted, draft and
    rejected changes hold none)."""
    spans = [span for batch in selectors.control_spans(**bounds) for span in batch]
    assert len({span.change.id for span in spans}) == len(spans)
    for on in DATES:
        if not (bounds.get("start", on) <= on <= bounds.get("end", on)):
            continue
        held = {s.change.town_id: s.change.id for s in spans
                if s.change.effective_date <= on and (s.valid_to is None or on < s.valid_to)}
        assert held == _oracle(on), on
    if bounds:  # a period's spans are the whole history's spans in force on one of its days, no empty one
        start, end = bounds.get("start", D(1, 1, 1)), bounds.get("end", D(9999, 12, 31))
        whole = [span for batch in selectors.control_spans() for span in batch]
        assert sorted(spans) == sorted(
            s for s in whole if s.change.effective_date <= end and s.valid_to != s.change.effective_date
            and (s.valid_to is None or s.valid_to > start))


def test_the_date_walk_history_and_period_follow_the_rule(log):
    in_force = ControlChange.objects.filter(pk__in=selectors.changes_in_force().values("pk"))
    dates = sorted(set(in_force.values_list("effective_date", flat=True)))
    assert selectors.change_dates() == dates
    assert selectors.latest_change_date() == dates[-1] == D(2017, 9, 3)  # the retraction of 09-04 does not count
    assert selectors.first_change_date() == dates[0]
    history = selectors.town_history(town=log)
    assert [(c.effective_date, c.day_part, c.faction.slug) for c in history if c.effective_date >= D(2017, 9, 2)] == [
        (D(2017, 9, 2), Part.MORNING, "sdf"), (D(2017, 9, 2), Part.EVENING, "islamic-state"),
        (D(2017, 9, 3), Part.UNSPECIFIED, "sdf")]
    period = selectors.changes_between(start=D(2017, 9, 2), end=D(2017, 9, 4))
    dated = in_force.filter(effective_date__gte=D(2017, 9, 2))
    assert {c.pk for c in period} == set(dated.values_list("pk", flat=True))


@pytest.mark.parametrize("known", ["now", "while the retracted change stood"])
def test_the_change_a_change_replaced_is_one_answer_for_every_reader(log, known):
    retracted = ControlChange.objects.get(town=log, state=State.RETRACTED)
    ControlChange.objects.filter(pk=retracted.pk).update(retracted_at=retracted.reviewed_at + dt.timedelta(hours=1))
    moment = None if known == "now" else retracted.reviewed_at
    with selectors.as_known_at(moment):
        _replaced_is_one_answer()


def _replaced_is_one_answer():
    timelines = selectors.town_timelines()
    towns, batches = export_rows.change_events(start=D(2017, 9, 1), end=D(2017, 9, 4))
    events = [event for batch in batches for event in batch]
    assert events
    for event in events:
        replaced = selectors.replaced_change(timelines[event.change.town_id], event.change)
        assert (event.previous.id if event.previous else None) == (replaced.id if replaced else None)
        by_orm = (ControlChange.objects.filter(pk=event.change.id)
                  .annotate(replaced=selectors.replaced_change_query().values("pk")[:1])
                  .values_list("replaced", flat=True).get())
        assert by_orm == (replaced.id if replaced else None)
        # The SQL form (the feed's page) is the same answer.
        sql, params = replaced_change_sql(outer=ControlChange._meta.db_table, select="p.id")
        by_sql = (ControlChange.objects.filter(pk=event.change.id)
                  .annotate(replaced=RawSQL(sql, params, output_field=IntegerField()))
                  .values_list("replaced", flat=True).get())
        assert by_sql == by_orm


def test_the_diff_reads_the_rule(log):
    change = territory.territory_between(start=D(2017, 9, 2), end=D(2017, 9, 3))
    moved = {h.town.slug: (h.from_faction.slug if h.from_faction else None, h.to_faction.slug)
             for h in change.handovers}
    assert moved["uqayribat"] == ("islamic-state", "pro-government")
    assert moved["raqqa"] == ("islamic-state", "sdf")  # the evening entry, then the correction


def test_known_at_shows_what_was_published_then(log):
    retracted = ControlChange.objects.get(town=log, state=State.RETRACTED)
    published_at, retracted_at = retracted.reviewed_at, retracted.retracted_at
    assert published_at and retracted_at and published_at <= retracted_at
    # The rule's three moments: before it was published, while it stood, after its retraction.
    ControlChange.objects.filter(pk=retracted.pk).update(
        reviewed_at=published_at - dt.timedelta(hours=2), retracted_at=published_at + dt.timedelta(hours=2))
    before, during, after = (published_at - dt.timedelta(hours=3), published_at,
                             published_at + dt.timedelta(hours=3))
    on = D(2017, 9, 4)
    assert selectors.control_as_of(on=on, known_at=during).changes[log.pk].id == retracted.pk
    assert selectors.control_as_of(on=on, known_at=after).changes[log.pk].id != retracted.pk
    # Before anything of the fixture was published, the town's added rows are not known at all.
    early = selectors.control_as_of(on=on, known_at=before).changes.get(log.pk)
    assert early is None or early.effective_date < D(2017, 9, 2)
    assert selectors.control_as_of(on=on).changes[log.pk].id != retracted.pk  # as known now
    assert {c.pk for c in ControlChange.objects.filter(counted_q(Visibility(known_at=during)))} >= {retracted.pk}
    with pytest.raises(ValueError):
        Visibility(published_only=False, known_at=timezone.now())
