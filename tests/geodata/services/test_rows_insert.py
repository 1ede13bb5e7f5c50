"""The bulk writes' INSERT: rows with their history rows, ids in order, Django's errors, no query log."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geodata.models import Town
from geodata.services.records import records_insert, rows_insert
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


def test_rows_insert_returns_ids_in_order_across_statements_and_converts_dates():
    # More rows than one statement holds on SQLite (999 parameters), so several statements answer.
    rows = [(f"Many {i}", f"many-{i}", 35.0, 38.0, [], {}, False, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
            for i in range(300)]
    ids = rows_insert(Town, ["name", "slug", "latitude", "longitude", "alt_names", "external_ids",
                             "outside_boundaries", "updated_at"], rows, returning=True)
    stored = dict(Town.objects.filter(pk__in=ids).values_list("pk", "slug"))
    assert [stored[i] for i in ids] == [f"many-{i}" for i in range(300)]
    assert Town.objects.get(pk=ids[0]).updated_at == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


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
