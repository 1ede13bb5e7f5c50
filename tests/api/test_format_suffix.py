"""The router's ``.json`` twins of every list (``/api/theatres.json``) answer as the list itself does.

Generated from the router's registry: a viewset added later is checked without being named here. (The
theatres' list answered 500 at its ``.json`` twin: its ``list`` took no ``format`` argument.)
"""

import pytest
from rest_framework.test import APIClient

from events.api.urls import router

PREFIXES = [prefix for prefix, _viewset, _basename in router.registry]


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_list_and_its_json_twin_answer_alike(seeded, prefix):
    client = APIClient()
    plain = client.get(f"/api/{prefix}/")
    twin = client.get(f"/api/{prefix}.json")
    assert plain.status_code == 200, plain.content[:300]
    assert twin.status_code == 200, twin.content[:300]
    assert twin.json() == plain.json()
