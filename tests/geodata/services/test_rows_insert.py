"""The bulk writes' one fast INSERT: records with their history rows and links, ids in order, Django's errors,
no query log."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import ControlChange, Faction, Source
from geodata.models import Town
from geodata.services.records import records_insert
from tests.events.roles import user_in

pytestmark = pytest.mark.django_db


def towns(n: int, prefix: str = "bulk") -> list[Town]:
    return [Town(name=f"{prefix} {i}", slug=f"{prefix}-{i}", latitude=35 + i / 1000, longitude=38,
                 alt_names=[f"{prefix} alias {i}", "shared"], external_ids={"wikidata": f"Q{i}"}, population=i or None)
            for i in range(n)]


def test_records_insert_stores_each_record_and_its_creation_record_in_order():
    editor = user_in("editor")
    new = towns(5)
    new[3]._change_reason = "its own reason"  # as simple-history: the record's own reason wins
    before = timezone.now()
    records = records_insert(new, model=Town, user=editor, reason="imported")
    assert [t.pk for t in new] == sorted(t.pk for t in new) and not new[0]._state.adding
    stored = {t.pk: t for t in Town.objects.filter(pk__in=[t.pk for t in new])}
    for town in new:
        again = stored[town.pk]
        assert (again.slug, again.alt_names, again.external_ids, again.population, again.latitude) == (
            town.slug, town.alt_names, town.external_ids, town.population, town.latitude)
        assert again.updated_at >= before  # auto_now, as save() would set it
    history = {h.history_id: h for h in Town.history.filter(history_id__in=records)}
    assert [history[r].id for r in records] == [t.pk for t in new]  # returned in the records' order
    assert {(h.history_type, h.history_user) for h in history.values()} == {("+", editor)}
    assert [history[r].history_change_reason for r in records] == [
        "imported", "imported", "imported", "its own reason", "imported"]
    assert history[records[2]].alt_names == ["bulk alias 2", "shared"]
    assert history[records[2]].history_date == history[records[2]].updated_at


def test_records_insert_returns_ids_in_order_across_statements_and_converts_dates():
    # More rows than one statement holds on SQLite (999 parameters), so several statements answer.
    new = towns(300, "many")
    for town in new:
        town.updated_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # auto_now: the batch's time wins
    records = records_insert(new, model=Town)
    stored = dict(Town.objects.filter(pk__in=[t.pk for t in new]).values_list("pk", "slug"))
    assert [stored[t.pk] for t in new] == [f"many-{i}" for i in range(300)]
    assert len(set(records)) == 300
    assert Town.objects.get(pk=new[0].pk).updated_at > dt.datetime(2020, 1, 2, tzinfo=dt.UTC)


def test_records_insert_writes_the_links_and_their_history_as_set_would(seeded):
    editor = user_in("editor")
    town, faction = Town.objects.get(slug="uqayribat"), Faction.objects.get(slug="sdf")
    cited = list(Source.objects.order_by("pk")[:3])
    new = [ControlChange(town=town, faction=faction, effective_date=dt.date(2018, 1, day), state="draft")
           for day in (1, 2, 3)]
    related = [[cited[0].pk, cited[1].pk], [], [cited[2].pk]]
    records = records_insert(new, model=ControlChange, user=editor, reason="imported", links=("sources", related))
    assert [sorted(s.pk for s in change.sources.all()) for change in new] == [sorted(r) for r in related]
    # Each link's history row sits on the change's creation record, as simple-history's set() writes it.
    for change, record, sources in zip(new, records, related, strict=True):
        history = ControlChange.history.get(history_id=record)
        assert (history.id, history.history_type, history.history_user) == (change.pk, "+", editor)
        assert sorted(link.source_id for link in history.sources.all()) == sorted(sources)
    links = ControlChange.sources.through.objects.filter(controlchange__in=new)
    logged = ControlChange.history.model.sources.model.objects.filter(history_id__in=records)
    assert sorted(logged.values_list("id", flat=True)) == sorted(links.values_list("id", flat=True))


def test_a_unique_index_refuses_with_djangos_integrity_error():
    records_insert(towns(1, "twice"), model=Town)
    with pytest.raises(IntegrityError), transaction.atomic():
        records_insert(towns(1, "twice"), model=Town)
    assert Town.objects.filter(slug="twice-0").count() == 1


def test_the_inserts_are_not_kept_in_the_debug_query_log():
    """With DEBUG on, Django logs each statement with its values: thousands of them for an import."""
    with CaptureQueriesContext(connection) as logged:
        records_insert(towns(400, "quiet"), model=Town)
    assert Town.objects.filter(slug__startswith="quiet-").count() == 400
    assert not any("INSERT" in q["sql"] for q in logged.captured_queries)
