"""A record's history in the admin names who wrote each version: an account, "system", or an account deleted
since; never "Deleted user (pk=None)"."""

import datetime as dt

import pytest

from events import services
from events.models import ControlChange
from tests.events.roles import client_as, user_in
from tests.factories import SYSTEM, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def history_page(change: ControlChange) -> str:
    client = client_as(user_in("reviewer", "history-reader"))
    response = client.get(f"/admin/events/controlchange/{change.pk}/history/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_change_the_system_entered_and_a_reviewer_published_reads_plainly(reviewer):
    change = services.control_change_create(town=TownFactory(), faction=FactionFactory(),
                                            effective_date=dt.date(2017, 9, 1), sources=[SourceFactory()],
                                            entered_by=SYSTEM)
    services.control_change_publish(change=change, by=reviewer)
    page = history_page(change)
    assert "pk=None" not in page and "Deleted user" not in page
    assert ">system</span>" in page  # the creation, written without an account
    assert f"— &rarr; {reviewer.username}" in page  # "reviewed by" went from nobody to the reviewer


def test_an_account_deleted_since_is_named_as_such(editor):
    reviewer = user_in("reviewer", "reviewer-who-left")
    rival = FactionFactory()
    change = services.control_change_create(town=TownFactory(), faction=FactionFactory(),
                                            effective_date=dt.date(2017, 9, 1), sources=[SourceFactory()],
                                            entered_by=editor)
    services.control_change_update(change=change, by=editor, status="contested", contested_by=rival)
    services.control_change_publish(change=change, by=reviewer)
    gone = reviewer.pk
    reviewer.delete()
    page = history_page(change)
    assert "pk=None" not in page and "Deleted user" not in page
    assert f"— &rarr; {rival}" in page  # contested by: not set before, then the rival
    assert f"— &rarr; deleted account (#{gone})" in page  # reviewed by: nobody, then the account deleted since


def test_a_link_that_was_never_set_reads_as_none_not_as_the_system(editor, reviewer):
    """Issue 20: a draft had no reviewer; publishing it sets one. The history must not invent "system" as
    the reviewer before: the account that wrote a version is "system" when there is none, not a field's value."""
    change = services.control_change_create(town=TownFactory(), faction=FactionFactory(),
                                            effective_date=dt.date(2017, 9, 5), sources=[SourceFactory()],
                                            entered_by=editor)
    services.control_change_publish(change=change, by=reviewer)
    page = history_page(change)
    assert f"— &rarr; {reviewer.username}" in page
    assert f"system &rarr; {reviewer.username}" not in page
