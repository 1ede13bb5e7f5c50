"""The disputes' admin: an editor opens one from two selected changes; a reviewer decides it on its page."""

import datetime as dt

import pytest

from events import services
from events.models import ControlChange, Dispute, Faction
from geodata.models import Town
from tests.events.roles import client_as, user_in
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_claims(seeded):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=dt.date(2017, 9, 1), state="published")
    draft = services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=dt.date(2017, 9, 1),
        rival_of=sdf_claim,
        sources=[SourceFactory(title="<script>x</script>")],
        entered_by=user_in("editor", "drafter"),
    )
    return sdf_claim, draft


def test_an_editor_opens_a_dispute_from_two_selected_changes(two_claims):
    sdf_claim, draft = two_claims
    editor = client_as(user_in("editor"))
    answer = editor.post(
        "/admin/events/controlchange/",
        {"action": "open_dispute", "_selected_action": [sdf_claim.pk, draft.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    dispute = Dispute.objects.get()
    assert {dispute.claim_id, dispute.rival_id} == {sdf_claim.pk, draft.pk} and not dispute.automatic


def test_one_selected_change_is_refused_with_a_message(two_claims):
    sdf_claim, _ = two_claims
    editor = client_as(user_in("editor"))
    answer = editor.post(
        "/admin/events/controlchange/", {"action": "open_dispute", "_selected_action": [sdf_claim.pk]}, follow=True
    )
    assert "Select exactly two changes" in answer.content.decode() and not Dispute.objects.exists()


def test_a_reviewer_decides_on_the_disputes_page_and_bad_input_is_shown(two_claims, reviewer):
    sdf_claim, draft = two_claims
    dispute = services.dispute_open(claim=sdf_claim, rival=draft, by=reviewer)
    client = client_as(reviewer)
    url = f"/admin/events/dispute/{dispute.pk}/decide/"
    page = client.get(url)
    assert page.status_code == 200 and "&lt;script&gt;x&lt;/script&gt;" in page.content.decode()
    assert client.post(url, {"in_force": draft.pk, "reason": ""}).status_code == 200  # the form again
    assert client.post(url, {"in_force": "999999", "reason": "x"}).status_code == 200
    refused = client.post(url, {"in_force": draft.pk, "reason": "a draft"})
    assert refused.status_code == 200 and "only published claims are decided" in refused.content.decode()
    assert Dispute.objects.get().decided_for is None
    services.control_change_publish(change=draft, by=reviewer)
    answer = client.post(url, {"in_force": draft.pk, "reason": "Amaq's photos"})
    assert answer.status_code == 302
    assert Dispute.objects.get().decided_for_id == draft.pk
    assert client.get(f"/admin/events/dispute/{dispute.pk}/change/").status_code == 200
    assert client.get("/admin/events/dispute/").status_code == 200


def test_an_editor_cannot_open_the_decision_page(two_claims, editor, reviewer):
    sdf_claim, draft = two_claims
    dispute = services.dispute_open(claim=sdf_claim, rival=draft, by=reviewer)
    assert client_as(editor).get(f"/admin/events/dispute/{dispute.pk}/decide/").status_code == 403
