"""Two imports at once: both succeed, or the loser is told which of its rows clash; never a raw
IntegrityError, a duplicate or half an import."""

import threading

import pytest
from django.db import connection

from events import services
from events.imports import ImportRejected, changes_import_check, changes_import_commit
from events.models import ControlChange, Source
from events.seeding import seed_scenario_load
from tests.factories import SYSTEM

HEADER = "town,faction,date,day_part,source_url,source_title,source_publisher\n"
RAQQA = "Raqqa,SDF,2017-10-20,,https://example.org/raqqa,Raqqa taken,Example Wire\n"
TABQA = "Tabqa,SDF,2017-10-21,morning,,Tabqa,Example Wire\n"
MANBIJ = "Manbij,SDF,2017-10-22,,,Manbij,Example Wire\n"
KEY = ("town__slug", "effective_date", "day_part")


@pytest.mark.django_db
def test_a_clash_stored_after_the_check_becomes_row_errors_and_writes_nothing(seeded, monkeypatch):
    """What the loser of a race meets on PostgreSQL: the unique index, not the check, refuses its row."""
    plan = changes_import_check(text=HEADER + RAQQA + TABQA)
    assert plan.ok, plan.errors
    other = changes_import_check(text=HEADER + TABQA)
    changes_import_commit(plan=other, by=SYSTEM)  # another import stores Tabqa's row meanwhile
    monkeypatch.setattr(services.bulk, "control_changes_clashing", lambda changes: [])  # it ran before that
    before = (ControlChange.objects.count(), Source.objects.count())
    with pytest.raises(ImportRejected) as caught:
        changes_import_commit(plan=plan, by=SYSTEM)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "date")]
    assert "already has a change on this date" in caught.value.errors[0].reason
    assert (ControlChange.objects.count(), Source.objects.count()) == before  # not Raqqa, nor its new source


@pytest.mark.django_db
def test_the_bulk_write_turns_the_unique_index_into_a_validation_error(seeded, monkeypatch):
    plan = changes_import_check(text=HEADER + TABQA)
    changes_import_commit(plan=changes_import_check(text=HEADER + TABQA), by=SYSTEM)
    monkeypatch.setattr(services.bulk, "control_changes_clashing", lambda changes: [])
    with pytest.raises(services.bulk.ValidationError, match="Another write stored a change") as caught:
        services.control_changes_create_many(new=[r.new for r in plan.rows], by=SYSTEM)
    assert caught.value.error_list[0].code == "clash"


def _race(texts: list[str]) -> list[object]:
    """Check each file, then commit them all at the same moment, each in its own thread and connection."""
    plans = [changes_import_check(text=text) for text in texts]
    assert all(p.ok for p in plans), [p.errors for p in plans]
    barrier, results = threading.Barrier(len(plans)), [None] * len(plans)

    def commit(i):
        try:
            barrier.wait(timeout=30)
            results[i] = changes_import_commit(plan=plans[i], by=SYSTEM)
        except Exception as exc:  # noqa: BLE001  (the test asserts what each thread met)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgresql_only(
    "SQLite runs one write transaction at a time (IMMEDIATE), so two imports queue and the second one's check "
    "sees the first; the test database is in memory, shared badly between threads. The test above covers what "
    "the loser of a race meets.")
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_imports_at_once_one_wins_the_other_is_told_which_rows_clash():
    seed_scenario_load()
    for attempt in range(3):  # a few rounds: the race may be lost in the check or at the unique index
        day = f"2017-11-{10 + attempt}"
        first = HEADER + RAQQA.replace("2017-10-20", day) + TABQA.replace("2017-10-21", day)
        second = HEADER + MANBIJ.replace("2017-10-22", day) + TABQA.replace("2017-10-21", day)
        before = ControlChange.objects.count()
        results = _race([first, second])
        won = [r for r in results if isinstance(r, list)]
        lost = [r for r in results if not isinstance(r, list)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ImportRejected), repr(lost[0])
        loser_text = [first, second][results.index(lost[0])]
        assert [(e.line, e.column) for e in lost[0].errors] == [(3, "date")], lost[0].errors
        assert "Tabqa" in loser_text.splitlines()[2]
        stored = ControlChange.objects.filter(effective_date=day)
        assert ControlChange.objects.count() == before + 2 == before + stored.count()  # the winner, whole
        assert stored.values(*KEY).distinct().count() == 2  # no duplicate
        assert sorted(c.pk for c in won[0]) == sorted(stored.values_list("pk", flat=True))


@pytest.mark.postgresql_only("see the test above")
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_different_rows_at_once_both_succeed():
    seed_scenario_load()
    before = ControlChange.objects.count()
    results = _race([HEADER + RAQQA, HEADER + MANBIJ])
    assert all(isinstance(r, list) and len(r) == 1 for r in results), results
    assert ControlChange.objects.count() == before + 2
    assert Source.objects.filter(url="https://example.org/raqqa").count() == 1
