"""A faction's coalition in one theatre: its ``FactionRole`` row there, else its default (``Faction.parent``).

One faction row acts in every theatre (Russia, the Islamic State). The seed writes no rows, so its theatre
reads exactly as before theatres; a row with no coalition means the faction stands on its own in that theatre.
"""

from geodata.models import Theatre

from ..models import Faction, FactionRole


def coalition_parents(*, theatre: Theatre) -> dict[int, int | None]:
    """Each faction's id -> the id of its coalition in ``theatre`` (None: in none); two queries."""
    parents: dict[int, int | None] = dict(Faction.objects.values_list("pk", "parent_id"))
    parents.update(FactionRole.objects.filter(theatre=theatre).values_list("faction_id", "coalition_id"))
    return parents


def coalition_chain_in(
    *,
    faction: Faction,
    theatre: Theatre,
    parents: dict[int, int | None] | None = None,
) -> list[int]:
    """The ids of the coalitions above ``faction`` in ``theatre``, nearest first (empty when it is in none)."""
    parents = coalition_parents(theatre=theatre) if parents is None else parents
    chain, seen, above = [], {faction.pk}, parents.get(faction.pk)
    while above is not None and above not in seen:
        chain.append(above)
        seen.add(above)
        above = parents.get(above)
    return chain


def coalition_in(*, faction: Faction, theatre: Theatre) -> Faction:
    """The top-level coalition ``faction`` rolls up into in ``theatre`` (itself when it is in none)."""
    chain = coalition_chain_in(faction=faction, theatre=theatre)
    return Faction.objects.get(pk=chain[-1]) if chain else faction


def coalition_members(*, faction: Faction, theatre: Theatre) -> set[int]:
    """The ids of ``faction`` and every faction that rolls up into it in ``theatre`` (two queries)."""
    parents = coalition_parents(theatre=theatre)
    return {
        pk
        for pk in parents
        if pk == faction.pk
        or faction.pk in coalition_chain_in(faction=Faction(pk=pk), theatre=theatre, parents=parents)
    }
