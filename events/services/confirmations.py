"""Confirmations ("still held by F, per source S" on a date): the pure check, the write, and the review.

A confirmation goes through the control log's review: an editor enters a draft, a reviewer publishes
(it needs a source), rejects or retracts it, through ``lifecycle.record_transition``, audited alike and
with the control changes' permissions. Its faction must be the town's controller in force (as
published now) on its date, when it is entered and again when it is published: a confirmation of
another faction is a change of control, entered as one.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conflictmap.text_checks import clean_refusing_nul
from geodata.models import Town

from .. import selectors
from ..confirmation_models import Confirmation
from ..models import Faction, Source
from ..permissions import PERM_ADD, PERM_PUBLISH, Actor, user_require
from ._audit import acting_user, audit
from .lifecycle import PUBLISH, REJECT, RETRACT, Transition, record_transition

State = Confirmation.State
KIND = ("confirmations", "confirmation", "published confirmations")


def controller_on(*, town: Town, on: dt.date) -> Faction | None:
    """The faction of ``town``'s published change in force on ``on`` (as known now), or None (one town's slice)."""
    row = selectors.control_as_of(on=on, towns=Town.objects.filter(pk=town.pk)).row_for(town.pk)
    return None if row is None else Faction.objects.get(pk=row.faction_id)


def confirmation_check(*, confirmation: Confirmation, sources: Sequence[Source] = ()) -> None:
    """Every rule a confirmation meets; raises one ValidationError naming each bad field, writes nothing."""
    clean_refusing_nul(confirmation)  # fields, the 1900 floor
    on = confirmation.confirmed_on
    if on > timezone.localdate():
        raise ValidationError({"confirmed_on": "The date is in the future."})
    controller = controller_on(town=confirmation.town, on=on)
    if controller is None:
        raise ValidationError(
            {
                "town": (
                    f"No control of {confirmation.town} is recorded on {on:%Y-%m-%d}, so there is nothing to confirm; "
                    "record a control change instead."
                )
            }
        )
    if controller.pk != confirmation.faction_id:
        raise ValidationError(
            {
                "faction": (
                    f"{confirmation.town} was held by {controller} on {on:%Y-%m-%d}, not by {confirmation.faction}: "
                    f"a confirmation can only say the controller in force ({controller}) still holds it. If "
                    f"{confirmation.faction} holds it, record a control change."
                )
            }
        )
    if confirmation.state == State.PUBLISHED and not sources:
        raise ValidationError({"sources": "A published confirmation needs at least one source."})


@transaction.atomic
def confirmation_create(
    *,
    town: Town,
    confirmed_on: dt.date,
    faction: Faction | None = None,
    sources: Iterable[Source] = (),
    note: str = "",
    state: str = State.DRAFT,
    entered_by: Actor,
) -> Confirmation:
    """Record that ``town`` was still held on ``confirmed_on``; ``faction`` defaults to its controller then.

    A draft for an editor; published at once only for a reviewer (with a source). Raises ValidationError
    naming the field, PermissionDenied for a user without the control changes' permission.
    """
    user_require(user=entered_by, perm=PERM_ADD, action="add confirmations")
    if state not in (State.DRAFT, State.PUBLISHED):
        raise ValidationError({"state": "A new confirmation is a draft or, for reviewers, published."})
    if state == State.PUBLISHED:
        user_require(user=entered_by, perm=PERM_PUBLISH, action="publish confirmations")
    if faction is None:
        if confirmed_on > timezone.localdate():
            raise ValidationError({"confirmed_on": "The date is in the future."})
        faction = controller_on(town=town, on=confirmed_on)
        if faction is None:
            raise ValidationError(
                {
                    "town": (
                        f"No control of {town} is recorded on {confirmed_on:%Y-%m-%d}; name the faction, or record a "
                        "control change instead."
                    )
                }
            )
    sources = list(sources)
    confirmation = Confirmation(
        town=town,
        faction=faction,
        confirmed_on=confirmed_on,
        note=note,
        state=state,
        entered_by_id=None if (actor := acting_user(entered_by)) is None else actor.pk,
    )
    if state == State.PUBLISHED:
        confirmation.reviewed_at = timezone.now()
        confirmation.reviewed_by = confirmation.entered_by
    confirmation_check(confirmation=confirmation, sources=sources)
    public = state == State.PUBLISHED
    audit(confirmation, by=entered_by, reason="created", public=public)
    confirmation.save()
    if sources:
        audit(confirmation, by=entered_by, reason="sources set", public=public)
        confirmation.sources.set(sources)
    return confirmation


def _published_check(current: Confirmation) -> list[str]:
    confirmation_check(confirmation=current, sources=list(current.sources.all()))
    return []


def confirmation_transition(
    *, confirmation: Confirmation, by: Actor, move: Transition, reason: str = ""
) -> Confirmation:
    return record_transition(record=confirmation, by=by, move=move, reason=reason, check=_published_check, kind=KIND)


def confirmation_publish(*, confirmation: Confirmation, by: Actor) -> Confirmation:
    """A reviewer lets a draft count: it needs a source, and its faction must still be the controller then."""
    return confirmation_transition(confirmation=confirmation, by=by, move=PUBLISH)


def confirmation_reject(*, confirmation: Confirmation, by: Actor, reason: str) -> Confirmation:
    return confirmation_transition(confirmation=confirmation, by=by, move=REJECT, reason=reason)


def confirmation_retract(*, confirmation: Confirmation, by: Actor, reason: str) -> Confirmation:
    """Stop a published confirmation counting; it stays in the history with the reason."""
    return confirmation_transition(confirmation=confirmation, by=by, move=RETRACT, reason=reason)
