import datetime as dt

import pytest

from events.models import ControlChange, Faction, Source
from geodata.models import Town


@pytest.fixture
def hidden_changes(seeded):
    """Uqayribat after the seed: a draft, a rejected and a retracted change the public must never see."""
    town, sdf = Town.objects.get(slug="uqayribat"), Faction.objects.get(slug="sdf")
    source = Source.objects.first()
    made = []
    for day, state in [(4, "draft"), (5, "rejected"), (6, "retracted")]:
        change = ControlChange.objects.create(
            town=town, faction=sdf, effective_date=dt.date(2017, 9, day), state=state
        )
        change.sources.set([source])
        made.append(change)
    return made
