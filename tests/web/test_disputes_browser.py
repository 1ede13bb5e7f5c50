"""The map's side panel shows a town's disputed claims: both claims, their sources and the decision, as text."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from events import services
from events.models import ControlChange, Dispute, Faction
from geodata.models import Town
from tests.factories import SourceFactory

from .maptowns import click_town, wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = "<img src=x onerror=alert(1)>"


def test_the_panel_shows_both_claims_and_the_reason_as_text(live_server, seeded, open_page):
    # A superuser, not the reviewer group: a live server's test flushes the database after it, and with it
    # the groups the data migration made, so a group may be gone when this test runs after such a one.
    reviewer = User.objects.create_superuser("dispute-reviewer", password="not-used-in-tests")
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=dt.date(2017, 9, 1), state="published")
    services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=dt.date(2017, 9, 1),
        rival_of=sdf_claim,
        sources=[SourceFactory(publisher=HOSTILE, title="Amaq")],
        state="published",
        entered_by=reviewer,
    )
    reason = "<b onmouseover=alert(2)>Two wires</b> agree"
    services.dispute_decide(dispute=Dispute.objects.get(), in_force=sdf_claim, reason=reason, by=reviewer)

    page, watch = open_page()
    page.goto(f"{live_server.url}/?date=2017-09-02")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    wait_town(page, "Raqqa")
    click_town(page, "Raqqa")
    disputes = page.locator("#panel-body .disputes")
    disputes.wait_for()
    text = disputes.inner_text()
    assert "Decided for Syrian Democratic Forces" in text and f"Reason: {reason}" in text
    assert "Islamic State" in text and "set aside" in text and HOSTILE in text
    assert disputes.locator("li.claim").count() == 2
    assert page.locator("img[src=x], b[onmouseover]").count() == 0
    assert watch.dialogs == [] and watch.page_errors == []
