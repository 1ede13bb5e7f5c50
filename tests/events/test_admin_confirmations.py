"""The admin's two clicks: "confirm still held" on a change row or a town, then Save on the filled form."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from events.confirmation_models import Confirmation
from tests.events.roles import client_as, user_in
from tests.factories import ControlChangeFactory, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tabqa():
    sdf = FactionFactory(slug="sdf", name="SDF")
    town = TownFactory(name="Tabqa", slug="tabqa")
    ControlChangeFactory(town=town, faction=sdf, effective_date=dt.date(2017, 5, 10))
    return town, sdf


def _posted(form) -> dict:
    """What the browser posts for the filled add form, unchanged (the second click)."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    return data


def test_two_clicks_from_a_change_row(tabqa):
    town, sdf = tabqa
    editor = client_as(user_in("editor"))
    listing = editor.get("/admin/events/controlchange/")
    assert listing.status_code == 200
    link = re.search(r'class="confirm-still-held" href="([^"]+)"', listing.content.decode()).group(1)
    form_page = editor.get(link.replace("&amp;", "&"))  # first click
    assert form_page.status_code == 200
    form = form_page.context["adminform"].form
    assert form.initial["faction"] == sdf.pk and form.initial["confirmed_on"] == timezone.localdate()
    saved = editor.post(link.replace("&amp;", "&"), _posted(form))  # second click: Save
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    confirmation = Confirmation.objects.get()
    assert (confirmation.town, confirmation.faction, confirmation.state) == (town, sdf, "draft")
    assert confirmation.confirmed_on == timezone.localdate()


def test_the_town_page_has_the_link_and_a_source_can_be_cited(tabqa):
    town, sdf = tabqa
    editor = client_as(user_in("editor"))
    page = editor.get(f"/admin/geodata/town/{town.pk}/change/").content.decode()
    link = re.search(r'class="confirm-still-held" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    form = editor.get(link).context["adminform"].form
    source = SourceFactory()
    assert editor.post(link, {**_posted(form), "sources": [source.pk]}).status_code == 302
    assert list(Confirmation.objects.get().sources.all()) == [source]


def test_the_admin_refuses_another_faction_naming_both(tabqa):
    town, sdf = tabqa
    other = FactionFactory(slug="islamic-state", name="Islamic State")
    editor = client_as(user_in("editor"))
    answer = editor.post("/admin/events/confirmation/add/", {
        "town": town.pk, "faction": other.pk, "confirmed_on": "2017-08-20", "note": ""})
    assert answer.status_code == 200
    errors = str(answer.context["adminform"].form.errors)
    assert "SDF" in errors and "Islamic State" in errors
    assert not Confirmation.objects.exists()


def test_a_reviewer_publishes_from_the_list(tabqa):
    town, sdf = tabqa
    editor = client_as(user_in("editor"))
    editor.post("/admin/events/confirmation/add/", {
        "town": town.pk, "faction": sdf.pk, "confirmed_on": "2017-08-20", "note": "",
        "sources": [SourceFactory().pk]})
    confirmation = Confirmation.objects.get()
    reviewer = client_as(user_in("reviewer"))
    reviewer.post("/admin/events/confirmation/", {"action": "publish_selected", "_selected_action": [confirmation.pk]})
    confirmation.refresh_from_db()
    assert confirmation.state == "published"
    history = reviewer.get(f"/admin/events/confirmation/{confirmation.pk}/history/")
    assert history.status_code == 200
