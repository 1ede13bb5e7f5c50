"""Every town, area and faction of the seed has a page that answers 200 (objects from the database, not a list).

``/areas/azaz/`` (a district with no town) was a 500: a slice narrowed to no town had no SQL.
"""

import pytest
from django.test import Client

from events import selectors
from events.models import Faction
from geodata.models import AdminArea, Town


def _paths() -> list[str]:
    return ([f"/towns/{slug}/" for slug in Town.objects.values_list("slug", flat=True)]
            + [f"/towns/{pk}/panel.json" for pk in Town.objects.values_list("pk", flat=True)]
            + [f"/areas/{slug}/" for slug in AdminArea.objects.values_list("slug", flat=True)]
            + [f"/api/factions/{slug}/" for slug in Faction.objects.values_list("slug", flat=True)]
            + [f"/api/areas/{slug}/" for slug in AdminArea.objects.values_list("slug", flat=True)]
            + [f"/api/towns/{slug}/" for slug in Town.objects.values_list("slug", flat=True)])


def test_every_seeded_object_has_a_page(seeded):
    client = Client()
    paths = _paths()
    assert len(paths) > 100
    failed = [(path, status) for path in paths if (status := client.get(path).status_code) != 200]
    assert failed == []


@pytest.mark.django_db
def test_a_slice_narrowed_to_no_town_is_empty(seeded):
    on = selectors.latest_change_date()
    assert selectors.control_as_of(on=on, towns=Town.objects.filter(pk__in=[])).towns == []
    assert not selectors.control_counts_as_of(on=on, towns=Town.objects.none())
