"""An editor deletes only the drafts they entered; a reviewer any draft; every deletion is in the history.

The same rule through every door: the service, the API and the admin.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from events import services
from events.models import ControlChange
from tests.events.roles import client_as, user_in
from tests.factories import SYSTEM, FactionFactory, TownFactory

pytestmark = pytest.mark.django_db


def draft(by, day=1) -> ControlChange:
    return services.control_change_create(
        town=TownFactory(), faction=FactionFactory(), effective_date=dt.date(2017, 9, day), entered_by=by
    )


def deletion_row(pk):
    """The history's row of the deletion: who deleted it, and why."""
    return ControlChange.history.filter(id=pk, history_type="-").get()


def test_the_service_lets_an_editor_delete_only_their_own_draft():
    alice, bob, rita = user_in("editor", "alice"), user_in("editor", "bob"), user_in("reviewer", "rita")
    hers, his, third = draft(alice, 1), draft(bob, 2), draft(bob, 3)
    with pytest.raises(PermissionDenied, match="only drafts you entered"):
        services.control_change_delete(change=his, by=alice)
    assert ControlChange.objects.filter(pk=his.pk).exists()
    assert not ControlChange.history.filter(id=his.pk, history_type="-").exists()
    services.control_change_delete(change=hers, by=alice)
    services.control_change_delete(change=third, by=rita)  # a reviewer deletes anyone's draft
    assert not ControlChange.objects.filter(pk__in=[hers.pk, third.pk]).exists()
    assert (deletion_row(hers.pk).history_user, deletion_row(hers.pk).history_change_reason) == (alice, "deleted draft")
    assert (deletion_row(third.pk).history_user, deletion_row(third.pk).history_change_reason) == (
        rita,
        "deleted draft",
    )


def test_a_draft_the_system_entered_is_deleted_by_a_reviewer_only():
    imported = draft(SYSTEM)  # e.g. by an import run by the operator
    with pytest.raises(PermissionDenied):
        services.control_change_delete(change=imported, by=user_in("editor", "alice"))
    services.control_change_delete(change=imported, by=user_in("reviewer", "rita"))
    assert not ControlChange.objects.filter(pk=imported.pk).exists()


def test_the_api_answers_403_for_another_editors_draft():
    alice, bob, rita = user_in("editor", "alice"), user_in("editor", "bob"), user_in("reviewer", "rita")
    his, other = draft(bob, 2), draft(bob, 3)
    api = APIClient()
    api.force_authenticate(alice)
    refused = api.delete(f"/api/control-changes/{his.pk}/")
    assert refused.status_code == 403 and "only drafts you entered" in refused.json()["detail"]
    assert ControlChange.objects.filter(pk=his.pk).exists()
    api.force_authenticate(bob)
    assert api.delete(f"/api/control-changes/{his.pk}/").status_code == 204
    api.force_authenticate(rita)
    assert api.delete(f"/api/control-changes/{other.pk}/").status_code == 204
    assert deletion_row(his.pk).history_user == bob and deletion_row(other.pk).history_user == rita


def test_the_admin_offers_delete_on_own_drafts_only():
    alice, bob, rita = user_in("editor", "alice"), user_in("editor", "bob"), user_in("reviewer", "rita")
    his, other = draft(bob, 2), draft(bob, 3)
    url = f"/admin/events/controlchange/{his.pk}/"
    alice_client = client_as(alice)
    assert alice_client.get(url + "delete/").status_code == 403
    assert alice_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert ControlChange.objects.filter(pk=his.pk).exists()
    assert client_as(bob).post(url + "delete/", {"post": "yes"}).status_code == 302
    assert client_as(rita).post(f"/admin/events/controlchange/{other.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not ControlChange.objects.filter(pk__in=[his.pk, other.pk]).exists()
    assert deletion_row(his.pk).history_user == bob and deletion_row(other.pk).history_user == rita
