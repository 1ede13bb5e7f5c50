"""/api/disputes/: disputed claims read by everyone, decided by reviewers."""

import datetime as dt

import pytest

from events import services
from events.models import ControlChange, Dispute, Faction
from geodata.models import Town
from tests.events.roles import client_as, user_in
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def dispute(seeded, reviewer):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=dt.date(2017, 9, 1), state="published")
    services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=dt.date(2017, 9, 1),
        rival_of=sdf_claim,
        sources=[SourceFactory(publisher=HOSTILE)],
        state="published",
        entered_by=reviewer,
    )
    return Dispute.objects.get(town=raqqa)


def test_anyone_reads_a_dispute_with_both_claims_and_their_sources(client, dispute):
    listed = client.get("/api/disputes/").json()
    assert [row["id"] for row in listed["results"]] == [dispute.pk]
    body = client.get(f"/api/disputes/{dispute.pk}/").json()
    assert body["town"] == "raqqa" and body["decided"] is False and body["decided_for"] is None
    factions = [claim["faction"] for claim in body["claims"]]
    assert factions == ["sdf", "islamic-state"]
    assert HOSTILE in {s["publisher"] for s in body["claims"][1]["sources"]}  # JSON, escaped by the reader
    assert all(claim["in_force"] for claim in body["claims"])


def test_a_reviewer_decides_and_the_public_sees_the_decision(client, dispute, reviewer_client):
    answer = reviewer_client.post(
        f"/api/disputes/{dispute.pk}/decide/",
        {"in_force": dispute.claim_id, "reason": "Two wires agree"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    body = client.get(f"/api/disputes/{dispute.pk}/").json()
    assert body["decided"] is True and body["decided_for"] == dispute.claim_id
    assert body["reason"] == "Two wires agree"
    assert [claim["in_force"] for claim in body["claims"]] == [True, False]
    # The losing claim leaves the public log; the dispute still shows it.
    ids = {row["id"] for row in client.get("/api/control-changes/?town=raqqa").json()["results"]}
    assert dispute.rival_id not in ids and dispute.claim_id in ids


@pytest.mark.parametrize(
    "body,field",
    [
        ({"reason": "no claim named"}, "in_force"),
        ({"in_force": 1, "reason": ""}, "reason"),
        ({"in_force": "abc", "reason": "x"}, "in_force"),
        ({"in_force": 999999, "reason": "not one of them"}, "in_force"),
    ],
)
def test_bad_decisions_are_a_400_naming_the_field(dispute, reviewer_client, body, field):
    answer = reviewer_client.post(f"/api/disputes/{dispute.pk}/decide/", body, content_type="application/json")
    assert answer.status_code == 400
    assert field in answer.json()


def test_editors_and_anonymous_readers_cannot_decide(client, dispute):
    body = {"in_force": dispute.claim_id, "reason": "mine"}
    assert client.post(f"/api/disputes/{dispute.pk}/decide/", body, content_type="application/json").status_code in (
        401,
        403,
    )
    editor = client_as(user_in("editor"))
    assert editor.post(f"/api/disputes/{dispute.pk}/decide/", body, content_type="application/json").status_code == 403
    assert Dispute.objects.get(pk=dispute.pk).decided_for is None


def test_a_dispute_with_a_draft_is_shown_to_editors_only(seeded, client, editor):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=dt.date(2017, 9, 1), state="published")
    draft = services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=dt.date(2017, 9, 1),
        rival_of=sdf_claim,
        entered_by=editor,
    )
    dispute = services.dispute_open(claim=sdf_claim, rival=draft, by=editor)
    assert client.get(f"/api/disputes/{dispute.pk}/").status_code == 404
    assert client_as(editor).get(f"/api/disputes/{dispute.pk}/").status_code == 200


def test_an_unknown_dispute_is_a_json_404(client, seeded):
    answer = client.get("/api/disputes/424242/")
    assert answer.status_code == 404 and "detail" in answer.json()


def test_an_editor_enters_a_rival_claim_through_the_api_and_a_bad_one_is_a_400(seeded, editor):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=dt.date(2017, 9, 1), state="published")
    client = client_as(editor)
    body = {"town": "raqqa", "faction": "islamic-state", "effective_date": "2017-09-01", "rival_of": sdf_claim.pk}
    answer = client.post("/api/control-changes/", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["rival_of"] == sdf_claim.pk and answer.json()["dispute_lost_at"] is None
    wrong_day = {**body, "effective_date": "2017-09-02"}
    answer = client.post("/api/control-changes/", wrong_day, content_type="application/json")
    assert answer.status_code == 400 and "rival_of" in answer.json()
