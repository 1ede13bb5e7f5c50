"""Small reads about single records: whether the public sees them, which colours clash."""

from geodata.models import Town

from ..models import ControlChange, Faction, Source


def faction_colour_neighbours(*, faction: Faction) -> list[tuple[Faction, float]]:
    """Other factions whose map colour is hard to tell from this one's (CIEDE2000 below TOO_CLOSE)."""
    from ..colours import TOO_CLOSE, colour_distance

    close = []
    for other in Faction.objects.exclude(pk=faction.pk):
        distance = colour_distance(faction.colour, other.colour)
        if distance < TOO_CLOSE:
            close.append((other, distance))
    return sorted(close, key=lambda pair: pair[1])


def source_is_public(*, source: Source) -> bool:
    """Whether a published change cites the source, i.e. the public pages show it."""
    return source.pk is not None and source.control_changes.filter(state=ControlChange.State.PUBLISHED).exists()


def town_is_public(*, town: Town) -> bool:
    """Whether the town has published changes, i.e. it is on the public map."""
    return town.pk is not None and ControlChange.objects.filter(
        town_id=town.pk, state=ControlChange.State.PUBLISHED).exists()
