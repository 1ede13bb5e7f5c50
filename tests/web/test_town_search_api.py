"""/api/towns?q=: the lookup behind the map's and the admin's town search."""

import pytest

from geodata.models import Town

pytestmark = pytest.mark.django_db


def _names(client, q, **params):
    response = client.get("/api/towns/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return [t["name"] for t in response.json()["results"]]


def test_finds_towns_by_any_name_id_or_code(seeded, client):
    Town.objects.filter(slug="hama").update(external_ids={"ocha": "C4268"})
    assert _names(client, "عقيربات") == ["Uqayribat"]  # Arabic, stored escaped on SQLite
    assert _names(client, "oqeirbat") == ["Uqayribat"]  # an alternate spelling, any case
    assert _names(client, "c4268") == ["Hama"]  # an OCHA P-code
    assert _names(client, "C42") == []  # a code matches whole, not by its digits
    assert _names(client, "162803") == ["Uqayribat"]  # the GeoNames id
    assert _names(client, "  ") == _names(client, "", limit=1000)[:100]  # blank: every town


def test_best_matches_first(seeded, client):
    Town.objects.filter(slug="hama").update(alt_names=["Hamah", "Ham"])  # an exact alternate is no name
    names = _names(client, "ham")
    assert names[0] == "Hama"  # the names that start with the term come first
    starts = [n for n in names if n.lower().startswith("ham")]
    assert names[: len(starts)] == starts and len(names) >= len(starts)
