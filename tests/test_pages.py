import pytest

from tests.factories import ControlChangeFactory, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db


def test_home_lists_each_town_with_controller_on_a_date(client, seeded):
    page = client.get("/?date=2017-09-02").content.decode()
    assert "Uqayribat" in page
    row = page.split('data-town="uqayribat"')[1].split("</tr>")[0]
    assert "Islamic State" in row and "Contested" in row and "2017-09-02" in row


def test_home_defaults_to_latest_change_date(client, seeded):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["on"].isoformat() == "2017-09-03"


def test_home_bad_date_is_a_clear_error(client, seeded):
    response = client.get("/?date=2017-13-45")
    assert response.status_code == 400
    assert "is not a date in YYYY-MM-DD form" in response.content.decode()


def test_names_are_escaped(client):
    town = TownFactory(name="<img src=x onerror=alert(1)>")
    ControlChangeFactory(town=town, faction=FactionFactory(name="<b>bold</b>"))
    page = client.get("/?date=2017-09-02").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>bold</b>" not in page
