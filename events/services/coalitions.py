"""Coalitions per theatre: a faction's coalition in one theatre (reads in ``events.selectors.coalitions``).

One faction row acts in every theatre; ``Faction.parent`` is its coalition wherever a theatre says nothing
else, and a ``FactionRole`` row (theatre, faction, coalition) says otherwise for one theatre (a row with no
coalition: on its own there). The seed writes no rows, so its theatre reads exactly as before theatres.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from geodata.models import Theatre
from geodata.services.revision import revision_bumping

from ..models import Faction, FactionRole
from ..permissions import FACTION_CHANGE, Actor, user_require
from ..selectors.coalitions import coalition_parents


def faction_role_check(*, role: FactionRole) -> None:
    """The row's fields, and no loop of coalitions in its theatre; writes nothing."""
    role.full_clean()
    if role.coalition_id is None:
        return
    parents = coalition_parents(theatre=role.theatre)
    parents[role.faction_id] = role.coalition_id
    above: int | None = role.coalition_id
    seen = {role.faction_id}
    while above is not None:
        if above in seen:
            raise ValidationError({"coalition": f"{role.faction} would be its own coalition in {role.theatre}."})
        seen.add(above)
        above = parents.get(above)


@revision_bumping(theatres=lambda call: {call.arguments["theatre"].pk})  # one theatre's coalitions
@transaction.atomic
def faction_role_set(*, theatre: Theatre, faction: Faction, coalition: Faction | None, by: Actor) -> FactionRole:
    """Put ``faction`` in ``coalition`` (None: on its own) in ``theatre``, whatever its default coalition."""
    user_require(user=by, perm=FACTION_CHANGE[0], action=FACTION_CHANGE[1])
    role = FactionRole.objects.filter(theatre=theatre, faction=faction).first() or FactionRole(
        theatre=theatre, faction=faction
    )
    role.coalition = coalition
    faction_role_check(role=role)
    role.save()
    return role
