import pytest

from events.seeding import seed_scenario_load


@pytest.fixture
def seeded(db):
    """The shipped Syria 2017 scenario."""
    return seed_scenario_load()
