"""The test database itself: the seed loaded once and put back after every test, empty when not asked for."""

import pytest
from django.core.cache import cache
from django.db import connection

from events.models import Faction
from tests.conftest import SESSION_SEED, project_counts, project_models, project_tables_empty
from tests.factories import FactionFactory


def test_every_project_table_is_emptied_and_none_other(db):
    tables = {t for t in connection.introspection.table_names() if t.split("_")[0] in ("events", "geodata")}
    assert {m._meta.db_table for m in project_models()} == tables
    assert "auth_group" not in tables


def test_without_seeded_the_project_is_empty_but_the_groups_stay(db):
    counts = project_counts()
    # As a migrated database: the one theatre (syria) every area and town made without one goes to.
    assert counts.pop("geodata_theatre") == 1 and set(counts.values()) == {0}
    from django.contrib.auth.models import Group

    assert {"editor", "reviewer"} <= set(Group.objects.values_list("name", flat=True))


@pytest.mark.parametrize("round_", [1, 2])
def test_seeded_is_the_whole_seed_each_time_whatever_the_test_before_wrote(seeded, round_):
    assert SESSION_SEED.counts["geodata_town"] > 0 and project_counts() == SESSION_SEED.counts
    assert not Faction.objects.filter(slug="written-by-a-test").exists()
    FactionFactory(slug="written-by-a-test")  # rolled back; the next round would see it otherwise
    project_tables_empty()


@pytest.mark.parametrize("round_", [1, 2])
def test_no_cached_value_outlives_its_test(round_):
    assert cache.get("written-by-a-test") is None
    cache.set("written-by-a-test", round_)


@pytest.mark.django_db(transaction=True)
def test_seeded_is_loaded_again_after_a_transactional_test_wiped_it(request):
    project_tables_empty()  # committed, as the flush at the end of a transactional test is
    request.getfixturevalue("seeded")
    assert project_counts() == SESSION_SEED.counts
