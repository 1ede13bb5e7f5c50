import pytest

from events.seeding import seed_scenario_load
from tests.events.roles import user_in


@pytest.fixture
def seeded(db):
    """The shipped Syria 2017 scenario."""
    return seed_scenario_load()


@pytest.fixture
def editor(db):
    """A user in the editor group (adds and edits drafts)."""
    return user_in("editor")


@pytest.fixture
def reviewer(db):
    """A user in the reviewer group (publishes, rejects, retracts)."""
    return user_in("reviewer")
