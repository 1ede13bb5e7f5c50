"""A town's name is data on every page that draws it: never evaluated, never a 500."""

import datetime as dt

import pytest

from tests.factories import ControlChangeFactory, TownFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "{% if broken"])
def test_a_town_named_like_a_template_is_drawn_as_typed(client, name):
    town = TownFactory(name=name, slug="jinja")
    ControlChangeFactory(town=town, effective_date=dt.date(2017, 9, 1))
    for url in ("/towns/jinja/", "/map.html?date=2017-09-02"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert name.encode() in response.content, url
