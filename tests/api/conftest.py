import datetime as dt

import pytest
from rest_framework.test import APIClient

from events.models import Faction, Source
from geodata.models import Town
from tests.factories import ControlChangeFactory


@pytest.fixture
def api() -> APIClient:
    """DRF's test client, not logged in (force_authenticate or force_login as the test needs)."""
    return APIClient()


@pytest.fixture
def hidden_changes(seeded):
    """Uqayribat after the seed: a draft, a rejected and a retracted change the public must never see."""
    town, sdf = Town.objects.get(slug="uqayribat"), Faction.objects.get(slug="sdf")
    source = Source.objects.first()
    return [
        ControlChangeFactory(town=town, faction=sdf, effective_date=dt.date(2017, 9, day), state=state,
                             sources=[source])
        for day, state in [(4, "draft"), (5, "rejected"), (6, "retracted")]
    ]
