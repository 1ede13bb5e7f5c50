"""The control change list fits a 1280 px screen: short map links, the state up front."""

import datetime as dt

import pytest

from events.models import ControlChange
from tests.events.roles import client_as, user_in

pytestmark = pytest.mark.django_db


def test_change_list_columns_and_short_map_link(seeded):
    client = client_as(user_in("editor"))
    page = client.get("/admin/events/controlchange/", {"q": "Oqeirbat"})
    columns = list(page.context["cl"].list_display)
    assert [c for c in columns if c != "action_checkbox"][:2] == ["town", "state"], columns
    assert "day_part" not in columns
    assert any(getattr(f, "field_path", "") == "day_part" for f in page.context["cl"].filter_specs)
    change = ControlChange.objects.get(town__slug="uqayribat", effective_date=dt.date(2017, 9, 2))
    body = page.content.decode()
    assert ('<a href="/?date=2017-09-02&amp;town=uqayribat" title="view on the map at 2017-09-02">map</a>'
            in body), body
    assert f"/admin/events/controlchange/{change.pk}/change/" in body
    # The change's own page keeps the long, self-explaining link.
    detail = client.get(f"/admin/events/controlchange/{change.pk}/change/").content.decode()
    assert ">view on the map at 2017-09-02</a>" in detail
