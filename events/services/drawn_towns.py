"""The control changes a drawing implies (issue 22 item 4): each town inside a faction's drawn assessed area
but recorded for another side on the drawing's day gets a *draft* change to that faction, dated the
drawing's day and citing the drawing's sources, for a reviewer to publish or reject.

Through the bulk write (``control_changes_create_many``): the same checks, audit and permissions as an
import. One draft per town and faction: a town that already has a change naming the drawn faction
(draft or published) dated after its record in force and on or before the drawing's day is left alone,
so a second run proposes nothing new; a town with another change on that very day is left alone too
(one change per town, day and part of day), and said so.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..drawn_models import DrawnArea
from ..models import ControlChange, Source
from ..permissions import Actor
from ..selectors import control_as_of
from ..territory.drawn_conflicts import AreaConflict, conflicts_in
from .bulk import NewChange, control_changes_create_many

State = ControlChange.State


@dataclass
class DerivedTowns:
    """The drafts proposed (saved when committed, else unsaved) and the towns left alone, with why."""

    proposed: list[ControlChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _note(area: DrawnArea) -> str:
    where = f" (file {area.file_name})" if area.file_name else ""
    return (
        f"Proposed from {area.faction.name}'s drawn {area.get_layer_display().lower()} area "
        f"of {area.drawn_on:%Y-%m-%d}{where}: the town lies inside it."
    )


def drawn_towns_propose(
    *, areas: Sequence[DrawnArea], by: Actor, commit: bool = False, sources: Sequence[Source] | None = None
) -> DerivedTowns:
    """Propose the changes ``areas`` imply (see the module); write them as drafts only with ``commit``.

    ``areas``: stored or (for a dry run) unsaved assessed areas; a rejected or retracted one proposes nothing.
    ``sources``: what the drafts cite; by default each area's own sources (an unsaved area's: none).
    """
    usable = sorted(
        (a for a in areas if a.layer == DrawnArea.Layer.ASSESSED and a.state in (State.DRAFT, State.PUBLISHED)),
        key=lambda a: (a.drawn_on, a.faction.slug),
    )
    result = DerivedTowns()
    conflicts: list[AreaConflict] = []
    snapshots: dict = {}
    for area in usable:
        key = (area.theatre_id, area.drawn_on)
        if key not in snapshots:
            snapshots[key] = control_as_of(on=area.drawn_on, theatre=area.theatre)
        conflicts += conflicts_in(areas=[area], snapshot=snapshots[key])
    if not conflicts:
        return result
    taken = _changes_of({c.town_id for c in conflicts})
    new: list[NewChange] = []
    for c in conflicts:
        area, town = c.area, c.town_name
        mine = taken.get(c.town_id, [])
        if any(f == area.faction_id and c.recorded_since < day <= area.drawn_on for f, day, _ in mine):
            result.skipped.append(f"{town}: a change to {area.faction.slug} is already entered; nothing proposed")
            continue
        if any(day == area.drawn_on and part == ControlChange.DayPart.UNSPECIFIED for _, day, part in mine):
            result.skipped.append(f"{town}: already has a change on {area.drawn_on}; nothing proposed")
            continue
        cited = list(sources) if sources is not None else (list(area.sources.all()) if area.pk else [])
        change = ControlChange(
            town_id=c.town_id,
            faction=area.faction,
            effective_date=area.drawn_on,
            status=ControlChange.Status.CONTROLLED,
            confidence=ControlChange.Confidence.REPORTED,
            note=_note(area),
        )
        new.append(NewChange(change=change, sources=cited))
        mine.append((area.faction_id, area.drawn_on, ControlChange.DayPart.UNSPECIFIED))
        taken[c.town_id] = mine
    if commit and new:
        control_changes_create_many(new=new, by=by, publish=False)
    result.proposed = [item.change for item in new]
    return result


def _changes_of(town_ids: set[int]) -> dict[int, list[tuple]]:
    """{town id: [(faction id, date, part of day)]} of its drafts and published changes that count."""
    rows = ControlChange.objects.filter(
        town_id__in=town_ids,
        state__in=[State.DRAFT, State.PUBLISHED],
        supersedes__isnull=True,
    ).values_list("town_id", "faction_id", "effective_date", "day_part")
    out: dict[int, list[tuple]] = {}
    for town_id, faction_id, day, part in rows:
        out.setdefault(town_id, []).append((faction_id, day, part))
    return out
