"""Factions: one check, one write and one bulk write (the seed), with the same rules."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conflictmap.text_checks import clean_refusing_nul
from geodata.services.revision import revision_bumping

from ..models import Faction
from ..permissions import FACTION_ADD, FACTION_CHANGE, Actor, user_require_save
from ._audit import acting_user, audit, audit_reason

# Fields no two factions may share; a bulk write also checks them among its own new rows.
UNIQUE_FIELDS = [f.name for f in Faction._meta.concrete_fields if f.unique and not f.primary_key]


def faction_check(*, faction: Faction) -> None:
    """Every rule a faction must meet (fields, hex colour, no loop of coalitions); writes nothing.

    Colour closeness is only a warning, see ``selectors.faction_colour_neighbours``.
    """
    clean_refusing_nul(faction)


@transaction.atomic
def faction_save(*, faction: Faction, by: Actor) -> Faction:
    """Add or edit a faction (reviewers)."""
    user_require_save(user=by, instance=faction, add=FACTION_ADD, change=FACTION_CHANGE)
    faction_check(faction=faction)
    audit(faction, by=by, reason="saved")
    faction.save()
    return faction


def _problems(factions: Sequence[Faction], by: Actor) -> list[str]:
    problems = []
    for faction in factions:
        user_require_save(user=by, instance=faction, add=FACTION_ADD, change=FACTION_CHANGE)
        try:
            faction_check(faction=faction)
        except ValidationError as exc:
            problems.append(f"{faction}: {'; '.join(exc.messages)}")
    return problems


@revision_bumping(batch="factions")
@transaction.atomic
def factions_save_many(*, factions: Sequence[Faction], by: Actor, reason: str = "saved") -> list[Faction]:
    """Add (or edit) many factions in a few queries; all pass ``faction_check`` or none is written.

    A new faction's ``parent`` may be another new faction of the same call. Such a faction is checked
    once its parent is written (its coalition is only known then), all in this one transaction, so a
    bad row still leaves nothing written.
    """
    problems = []
    for name in UNIQUE_FIELDS:
        seen = set()
        for faction in factions:
            value = getattr(faction, name)
            if value in seen:
                problems.append(f"{faction}: another faction in this batch has the {name} '{value}'.")
            seen.add(value)
    stored = [f for f in factions if f.pk is not None]
    pending = [f for f in factions if f.pk is None]
    wave = stored + [f for f in pending if f.parent is None or f.parent.pk is not None]
    actor, why = acting_user(by), audit_reason(reason, by=by)
    while wave and not problems:
        problems = _problems(wave, by)
        if problems:
            break
        new = [f for f in wave if f.pk is None]
        if stored:
            fields = [f.name for f in Faction._meta.concrete_fields if not f.primary_key]
            bulk_update_with_history(stored, Faction, fields, batch_size=1000, default_user=actor,
                                     default_change_reason=why)
            stored = []
        bulk_create_with_history(new, Faction, batch_size=1000, default_user=actor, default_change_reason=why)
        pending = [f for f in pending if f.pk is None]
        wave = [f for f in pending if f.parent is not None and f.parent.pk is not None]
    problems += [f"{f}: its parent {f.parent} is neither stored nor in this batch." for f in pending
                 if not problems and f.pk is None]
    if problems:
        raise ValidationError(problems)
    return list(factions)
