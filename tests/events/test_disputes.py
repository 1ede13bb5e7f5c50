"""Disputed claims: two sources name different controllers of Raqqa on 1 September 2017.

The seed says the SDF held it (contested by IS); a rival claim from another source says IS still held it.
Both are kept as claims. Undecided, the one rule's order stands (the later entry, the rival, is in force)
and the town is shown disputed; a reviewer's decision takes the losing claim out of what is in force for
every reader (layer, timeline, date walk, diff, exports) because the rule itself leaves it out.
"""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events import selectors, services
from events.models import ControlChange, Dispute, Faction
from geodata.models import Town
from geodata.selectors import revision_current
from tests.factories import SYSTEM, SourceFactory

pytestmark = pytest.mark.django_db

D = dt.date
HOSTILE = '<script>alert("x")</script> & Co'


@pytest.fixture
def claims(seeded, reviewer):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=D(2017, 9, 1), state="published")
    source = SourceFactory(publisher=HOSTILE, title="Amaq says the city holds", published=D(2017, 9, 2))
    rival = services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=D(2017, 9, 1),
        rival_of=sdf_claim,
        sources=[source],
        state="published",
        entered_by=reviewer,
        note=f"Rival note {HOSTILE}",
    )
    return raqqa, sdf_claim, rival


def control_on(client, day: str, town: str = "Raqqa") -> dict:
    features = json.loads(client.get(f"/api/control.geojson?date={day}").content)["features"]
    return next(f["properties"] for f in features if f["properties"]["name"] == town)


def raqqa_changed_hands(client) -> list[tuple[str, str]]:
    """Raqqa's flows in the diff from 31 August to 1 September (a contested town is its own class)."""
    body = client.get("/api/territory-change.json", {"from": "2017-08-31", "to": "2017-09-01"}).json()
    return [
        (row["from"]["faction"], row["to"]["faction"])
        for row in body["changed_hands"]
        if "raqqa" in {t["slug"] for t in row["towns"]}
    ]


def csv_factions(client) -> list[str]:
    text = client.get("/api/changes.csv?from=2017-09-01&to=2017-09-01").getvalue().decode()
    return [row["faction"] for row in csv.DictReader(io.StringIO(text)) if row["town"] == "Raqqa"]


def test_publishing_a_rival_claim_opens_a_dispute_in_the_same_write(claims):
    raqqa, sdf_claim, rival = claims
    dispute = Dispute.objects.get(town=raqqa)
    assert (dispute.claim, dispute.rival, dispute.automatic) == (sdf_claim, rival, True)
    assert dispute.decided_for is None


def test_undecided_the_later_claim_is_in_force_and_both_stay_claims(client, claims):
    raqqa, sdf_claim, rival = claims
    assert control_on(client, "2017-09-01")["faction"] == "islamic-state"
    assert raqqa_changed_hands(client) == [("contested", "islamic-state")]  # by the rival's claim
    timeline = selectors.town_history(town=raqqa)
    assert {c.pk for c in timeline} >= {sdf_claim.pk, rival.pk}


def test_a_dispute_decided_one_way_then_the_other_moves_every_reader(client, claims, reviewer):
    raqqa, sdf_claim, rival = claims
    dispute = Dispute.objects.get(town=raqqa)
    before = revision_current(theatre=raqqa.theatre_id).key

    services.dispute_decide(dispute=dispute, in_force=sdf_claim, reason="Two wires confirm the SDF", by=reviewer)
    props = control_on(client, "2017-09-01")
    assert (props["faction"], props["status"], props["contested_by"]) == ("sdf", "contested", "islamic-state")
    assert raqqa_changed_hands(client) == []  # contested before, contested by the SDF's claim
    assert csv_factions(client) == ["sdf"]
    assert rival.pk not in {c.pk for c in selectors.town_history(town=raqqa)}
    assert revision_current(theatre=raqqa.theatre_id).key != before
    rival.refresh_from_db()
    assert rival.state == "published" and rival.dispute_lost_at is not None  # kept as a claim

    services.dispute_decide(dispute=dispute, in_force=rival, reason="Amaq's photos are dated", by=reviewer)
    assert control_on(client, "2017-09-01")["faction"] == "islamic-state"
    assert raqqa_changed_hands(client) == [("contested", "islamic-state")]
    assert csv_factions(client) == ["islamic-state"]
    dispute.refresh_from_db()
    assert dispute.decided_for == rival and dispute.reason == "Amaq's photos are dated"
    sdf_claim.refresh_from_db()
    rival.refresh_from_db()
    assert sdf_claim.dispute_lost_at is not None and rival.dispute_lost_at is None


def test_the_decision_is_not_seen_as_known_before_it(client, claims, reviewer):
    raqqa, sdf_claim, rival = claims
    dispute = Dispute.objects.get(town=raqqa)
    services.dispute_decide(dispute=dispute, in_force=sdf_claim, reason="confirmed", by=reviewer)
    rival.refresh_from_db()
    just_before = rival.dispute_lost_at - dt.timedelta(microseconds=1)
    with selectors.as_known_at(just_before):
        entry = selectors.in_force(selectors.town_history(town=raqqa), D(2017, 9, 1))
    assert entry.pk == rival.pk


def test_deciding_needs_a_reviewer_a_reason_and_one_of_the_claims(claims, editor, reviewer):
    raqqa, sdf_claim, rival = claims
    dispute = Dispute.objects.get(town=raqqa)
    with pytest.raises(PermissionDenied):
        services.dispute_decide(dispute=dispute, in_force=sdf_claim, reason="mine", by=editor)
    with pytest.raises(ValidationError) as exc:
        services.dispute_decide(dispute=dispute, in_force=sdf_claim, reason="  ", by=reviewer)
    assert "reason" in exc.value.message_dict
    other = ControlChange.objects.filter(state="published").exclude(town=raqqa).first()
    with pytest.raises(ValidationError) as exc:
        services.dispute_decide(dispute=dispute, in_force=other, reason="why", by=reviewer)
    assert "in_force" in exc.value.message_dict


def test_a_rival_claim_must_match_town_date_and_part_of_day_and_name_another_faction(seeded, reviewer):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=D(2017, 9, 1), state="published")
    for fields in (
        {"effective_date": D(2017, 9, 2)},
        {"faction": Faction.objects.get(slug="sdf"), "status": "controlled", "contested_by": None},
    ):
        values = {
            "town": raqqa,
            "faction": Faction.objects.get(slug="islamic-state"),
            "effective_date": D(2017, 9, 1),
            **fields,
        }
        with pytest.raises(ValidationError) as exc:
            services.control_change_create(
                rival_of=sdf_claim, sources=[SourceFactory()], state="published", entered_by=reviewer, **values
            )
        assert "rival_of" in exc.value.message_dict


def test_an_editor_opens_a_dispute_by_hand_and_bad_pairs_are_refused(seeded, editor):
    raqqa, uqayribat = Town.objects.get(slug="raqqa"), Town.objects.get(slug="uqayribat")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=D(2017, 9, 1), state="published")
    draft = services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=D(2017, 9, 1),
        rival_of=sdf_claim,
        entered_by=editor,
    )
    assert not Dispute.objects.exists()  # a draft opens nothing by itself
    dispute = services.dispute_open(claim=draft, rival=sdf_claim, by=editor)
    assert (dispute.claim, dispute.rival, dispute.automatic) == (sdf_claim, draft, False)
    with pytest.raises(ValidationError):
        services.dispute_open(claim=sdf_claim, rival=draft, by=editor)  # already disputed
    elsewhere = ControlChange.objects.filter(town=uqayribat, state="published").first()
    with pytest.raises(ValidationError):
        services.dispute_open(claim=sdf_claim, rival=elsewhere, by=editor)
    with pytest.raises(ValidationError):
        services.dispute_open(claim=sdf_claim, rival=sdf_claim, by=editor)


def test_one_source_naming_both_factions_opens_no_dispute(seeded, reviewer):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=D(2017, 9, 1), state="published")
    services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=D(2017, 9, 1),
        rival_of=sdf_claim,
        sources=list(sdf_claim.sources.all()),
        state="published",
        entered_by=reviewer,
    )
    assert not Dispute.objects.exists()


def test_a_reviewer_publishing_a_rival_draft_opens_the_dispute(seeded, editor, reviewer):
    raqqa = Town.objects.get(slug="raqqa")
    sdf_claim = ControlChange.objects.get(town=raqqa, effective_date=D(2017, 9, 1), state="published")
    draft = services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="islamic-state"),
        effective_date=D(2017, 9, 1),
        rival_of=sdf_claim,
        sources=[SourceFactory()],
        entered_by=editor,
    )
    services.control_change_publish(change=draft, by=reviewer)
    assert Dispute.objects.get().rival_id == draft.pk
    assert SYSTEM  # the factory's actor is importable for other tests here


def test_the_town_page_and_panel_show_both_claims_and_the_decision_escaped(client, claims, reviewer):
    raqqa, sdf_claim, rival = claims
    page = client.get(f"/towns/{raqqa.slug}/").content.decode()
    assert "Disputed claims" in page and "Not decided yet" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    panel = client.get(f"/towns/{raqqa.pk}/panel.json").json()
    [dispute] = panel["disputes"]
    assert [c["faction"] for c in dispute["claims"]] == ["sdf", "islamic-state"]
    assert HOSTILE in {s["publisher"] for s in dispute["claims"][1]["sources"]}  # JSON; the panel sets text
    assert dispute["decided"] is False

    reason = "<b>Amaq</b> photos & dates"
    services.dispute_decide(dispute=Dispute.objects.get(town=raqqa), in_force=sdf_claim, reason=reason, by=reviewer)
    page = client.get(f"/towns/{raqqa.slug}/").content.decode()
    assert "Decided for Syrian Democratic Forces" in page
    assert "Reason: &lt;b&gt;Amaq&lt;/b&gt; photos &amp; dates" in page and reason not in page
    assert "set aside" in page
    [dispute] = client.get(f"/towns/{raqqa.pk}/panel.json").json()["disputes"]
    assert dispute["reason"] == reason and [c["in_force"] for c in dispute["claims"]] == [True, False]


def test_a_claim_decided_against_in_one_dispute_stays_out_when_it_wins_another(claims, reviewer):
    raqqa, sdf_claim, rival = claims
    third = services.control_change_create(
        town=raqqa,
        faction=Faction.objects.get(slug="pro-government"),
        effective_date=D(2017, 9, 1),
        rival_of=sdf_claim,
        sources=[SourceFactory()],
        state="published",
        entered_by=reviewer,
    )
    assert Dispute.objects.filter(town=raqqa).count() == 3  # each pair of the three claims
    first = Dispute.objects.get(claim=sdf_claim, rival=rival)
    services.dispute_decide(dispute=first, in_force=sdf_claim, reason="SDF", by=reviewer)
    second = Dispute.objects.get(claim=rival, rival=third)
    services.dispute_decide(dispute=second, in_force=rival, reason="IS over the government", by=reviewer)
    rival.refresh_from_db()
    third.refresh_from_db()
    assert rival.dispute_lost_at is not None and third.dispute_lost_at is not None


def test_the_panel_as_published_before_the_decision_shows_it_undecided(client, claims, reviewer):
    raqqa, sdf_claim, rival = claims
    dispute = Dispute.objects.get(town=raqqa)
    services.dispute_decide(dispute=dispute, in_force=sdf_claim, reason="confirmed", by=reviewer)
    dispute.refresh_from_db()
    # Opened an hour before it was decided; read as known a minute before the decision.
    Dispute.objects.filter(pk=dispute.pk).update(opened_at=dispute.decided_at - dt.timedelta(hours=1))
    before = (dispute.decided_at - dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    [shown] = client.get(f"/towns/{raqqa.pk}/panel.json", {"as_published": before}).json()["disputes"]
    assert shown["decided"] is False and shown["reason"] == ""
    assert all(claim["in_force"] for claim in shown["claims"])
    [now] = client.get(f"/towns/{raqqa.pk}/panel.json").json()["disputes"]
    assert now["decided"] is True
    earlier = (dispute.decided_at - dt.timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/towns/{raqqa.pk}/panel.json", {"as_published": earlier}).json()["disputes"] == []
