"""Disputed claims: opened when a rival claim is published (or by an editor), decided by a reviewer.

The decision marks the losing claim ``dispute_lost_at``; the one rule (``selectors.rule``) leaves such a
claim out of what is in force, so the slice, timelines, date walk, diff and exports follow with no code
of their own. Both claims stay on record. A decision can be made again the other way (the old loser is
back in force, the new one leaves). Every write is audited and moves the town's theatre revision.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conflictmap.text_checks import NUL_MESSAGE

from ..models import ControlChange, Dispute
from ..permissions import PERM_CHANGE, PERM_PUBLISH, Actor, user_require
from ._audit import acting_user, audit

State = ControlChange.State
CLAIM_STATES = (State.DRAFT, State.PUBLISHED)


def dispute_open_check(*, claim: ControlChange, rival: ControlChange) -> None:
    """Two changes may be disputed claims: one town and date, other factions, both drafts or published,
    neither corrected by another; and no dispute between them yet. Raises ValidationError; writes nothing."""
    if claim.pk == rival.pk:
        raise ValidationError({"rival": "A dispute needs two different changes."})
    if claim.town_id != rival.town_id or claim.effective_date != rival.effective_date:
        raise ValidationError({"rival": "Disputed claims are about the same town and date."})
    if claim.faction_id == rival.faction_id:
        raise ValidationError({"rival": "Disputed claims name different factions."})
    for name, change in (("claim", claim), ("rival", rival)):
        if change.state not in CLAIM_STATES:
            raise ValidationError(
                {
                    name: f"Change #{change.pk} is {change.get_state_display().lower()}; "
                    "only drafts and published changes are claims."
                }
            )
        if change.superseded_by.filter(state__in=CLAIM_STATES).exists():
            raise ValidationError({name: f"Change #{change.pk} is corrected by a later change."})
    if _between(claim, rival).exists():
        raise ValidationError("These two changes are disputed already.")


def _between(one: ControlChange, other: ControlChange):
    return Dispute.objects.filter(Q(claim=one, rival=other) | Q(claim=other, rival=one))


def _open(claim: ControlChange, rival: ControlChange, *, by: Actor, automatic: bool) -> Dispute:
    if rival.pk < claim.pk:  # the claim is the one entered first
        claim, rival = rival, claim
    actor = acting_user(by)
    dispute = Dispute(town_id=claim.town_id, claim=claim, rival=rival, opened_by_id=None if actor is None else actor.pk,
                      automatic=automatic)
    # Shown on the town's page and panel once both claims are public: their caches move with the revision.
    public = State.PUBLISHED == claim.state == rival.state
    audit(dispute, by=by, reason="opened automatically" if automatic else "opened", public=public)
    dispute.save()
    return dispute


@transaction.atomic
def dispute_open(*, claim: ControlChange, rival: ControlChange, by: Actor) -> Dispute:
    """An editor opens a dispute between two claims by hand."""
    user_require(user=by, perm=PERM_CHANGE, action="open disputes")
    claim, rival = (ControlChange.objects.select_for_update().get(pk=c.pk) for c in (claim, rival))
    dispute_open_check(claim=claim, rival=rival)
    return _open(claim, rival, by=by, automatic=False)


def disputes_open_for_published(*, change: ControlChange, by: Actor) -> list[Dispute]:
    """Called inside the publishing transaction: open a dispute with each published change in force for the
    same town, date and part of day that names another faction and cites none of ``change``'s sources."""
    cited = set(change.sources.values_list("pk", flat=True))
    rivals = (
        ControlChange.objects.filter(
            town_id=change.town_id,
            effective_date=change.effective_date,
            day_part=change.day_part,
            state=State.PUBLISHED,
            dispute_lost_at__isnull=True,
        )
        .exclude(pk=change.pk)
        .exclude(faction_id=change.faction_id)
        .exclude(superseded_by__state=State.PUBLISHED)
        .exclude(pk=change.supersedes_id or 0)
        .prefetch_related("sources")
    )
    opened = []
    for other in rivals:
        if cited & {source.pk for source in other.sources.all()}:
            continue  # one source saying both is a correction to enter, not a dispute between sources
        if not _between(change, other).exists():
            opened.append(_open(other, change, by=by, automatic=True))
    return opened


@transaction.atomic
def dispute_decide(*, dispute: Dispute, in_force: ControlChange | int, reason: str, by: Actor) -> Dispute:
    """A reviewer decides which claim is in force, saying why; the other leaves the map and stays a claim."""
    user_require(user=by, perm=PERM_PUBLISH, action="decide disputes")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    if "\x00" in reason:
        raise ValidationError({"reason": NUL_MESSAGE})
    current = Dispute.objects.select_for_update().get(pk=dispute.pk)
    winner_pk = in_force if isinstance(in_force, int) else getattr(in_force, "pk", None)
    if winner_pk not in (current.claim_id, current.rival_id):
        raise ValidationError(
            {"in_force": f"Choose one of the dispute's claims: #{current.claim_id} or #{current.rival_id}."}
        )
    loser_pk = current.rival_id if winner_pk == current.claim_id else current.claim_id
    winner, loser = (ControlChange.objects.select_for_update().get(pk=pk) for pk in (winner_pk, loser_pk))
    for change in (winner, loser):
        # A draft's claim is not yet the public's: deciding for it would take the published one off the map.
        if change.state != State.PUBLISHED:
            raise ValidationError(
                {
                    "in_force": f"Claim #{change.pk} is {change.get_state_display().lower()}: "
                    "only published claims are decided (publish or reject it first)."
                }
            )
    now = timezone.now()
    lost_elsewhere = (
        Dispute.objects.filter(Q(claim=winner) | Q(rival=winner), decided_for__isnull=False)
        .exclude(pk=current.pk)
        .exclude(decided_for=winner)
        .exists()
    )
    if winner.dispute_lost_at is not None and not lost_elsewhere:  # still out if another decision says so
        winner.dispute_lost_at = None
        audit(winner, by=by, reason=f"in force by dispute #{current.pk}", public=True)
        winner.save(update_fields=["dispute_lost_at", "updated_at"])
    if loser.dispute_lost_at is None:
        loser.dispute_lost_at = now
    audit(loser, by=by, reason=f"decided against in dispute #{current.pk}", public=True)
    loser.save(update_fields=["dispute_lost_at", "updated_at"])
    current.decided_for_id = winner_pk
    current.reason = reason
    actor = acting_user(by)
    current.decided_by_id = None if actor is None else actor.pk
    current.decided_at = now
    audit(current, by=by, reason="decided", public=False)  # the claims' audit moved the revision
    current.save()
    return current
