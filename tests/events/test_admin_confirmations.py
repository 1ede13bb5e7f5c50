"""The admin's two clicks: "confirm still held" on a change row or a town, then Save on the filled form."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from events.confirmation_models import Confirmation
from geodata.models import Town
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
    answer = editor.post(
        "/admin/events/confirmation/add/",
        {"town": town.pk, "faction": other.pk, "confirmed_on": "2017-08-20", "note": ""},
    )
    assert answer.status_code == 200
    errors = str(answer.context["adminform"].form.errors)
    assert "SDF" in errors and "Islamic State" in errors
    assert not Confirmation.objects.exists()


def test_a_reviewer_publishes_from_the_list(tabqa):
    town, sdf = tabqa
    editor = client_as(user_in("editor"))
    editor.post(
        "/admin/events/confirmation/add/",
        {"town": town.pk, "faction": sdf.pk, "confirmed_on": "2017-08-20", "note": "", "sources": [SourceFactory().pk]},
    )
    confirmation = Confirmation.objects.get()
    reviewer = client_as(user_in("reviewer"))
    reviewer.post("/admin/events/confirmation/", {"action": "publish_selected", "_selected_action": [confirmation.pk]})
    confirmation.refresh_from_db()
    assert confirmation.state == "published"
    history = reviewer.get(f"/admin/events/confirmation/{confirmation.pk}/history/")
    assert history.status_code == 200


STALE = "/admin/events/confirmation/stale/"


@pytest.fixture
def governorates(tabqa):
    from tests.factories import AdminAreaFactory

    town, sdf = tabqa
    raqqa = AdminAreaFactory(name="Ar-Raqqa", code="SY11")
    homs = AdminAreaFactory(name="Homs", code="SY04")
    palmyra = TownFactory(name="Palmyra <b>", slug="palmyra")
    ControlChangeFactory(town=palmyra, faction=sdf, effective_date=dt.date(2017, 3, 2))
    Town.objects.filter(pk=town.pk).update(admin_area=raqqa)  # as the loader's province join would
    Town.objects.filter(pk=palmyra.pk).update(admin_area=homs)
    return town, palmyra


def test_the_stale_list_groups_by_governorate_and_a_confirmation_takes_a_town_off(governorates):
    tabqa, palmyra = governorates
    editor = client_as(user_in("editor"))
    page = editor.get(STALE, {"date": "2017-09-01", "days": "90"})
    assert page.status_code == 200
    groups = dict(page.context["groups"])
    assert [r["town"] for r in groups["Ar-Raqqa"]] == ["Tabqa"]
    assert [r["town"] for r in groups["Homs"]] == ["Palmyra <b>"]
    assert "Palmyra &lt;b&gt;" in page.content.decode()  # escaped
    assert groups["Ar-Raqqa"][0]["days"] == 114
    from events import services
    from tests.factories import SYSTEM

    services.confirmation_create(
        town=tabqa, confirmed_on=dt.date(2017, 8, 1), sources=[SourceFactory()], state="published", entered_by=SYSTEM
    )
    groups = dict(editor.get(STALE, {"date": "2017-09-01", "days": "90"}).context["groups"])
    assert "Ar-Raqqa" not in groups and "Homs" in groups
    # A draft does not count.
    services.confirmation_create(town=palmyra, confirmed_on=dt.date(2017, 8, 1), entered_by=SYSTEM)
    assert "Homs" in dict(editor.get(STALE, {"date": "2017-09-01", "days": "90"}).context["groups"])


def test_the_stale_list_filters_by_theatre(governorates):
    from geodata.models import Theatre

    editor = client_as(user_in("editor"))
    other = Theatre.objects.create(slug="elsewhere", name="Elsewhere")
    page = editor.get(STALE, {"date": "2017-09-01", "theatre": other.slug})
    assert page.status_code == 200 and page.context["total"] == 0
    assert page.context["total"] == 0
    default = Theatre.objects.exclude(pk=other.pk).get()
    assert editor.get(STALE, {"date": "2017-09-01", "theatre": default.slug}).context["total"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"date": "2017-13-01"},
        {"date": "2999-01-01"},
        {"days": "-3"},
        {"days": "x" * 50},
        {"days": "³"},
        {"theatre": "nowhere"},
        {"page": "999"},
        {"page": "abc"},
    ],
)
def test_the_stale_list_says_what_is_wrong_never_a_500(governorates, params):
    editor = client_as(user_in("editor"))
    page = editor.get(STALE, params)
    assert page.status_code == 200
    if "page" not in params:
        assert page.context["errors"], params


def test_the_stale_list_is_for_editors(governorates):
    from django.test import Client

    assert Client().get(STALE).status_code == 302  # to the login
    assert client_as(user_in(None, "no-role")).get(STALE).status_code == 403
