"""The one write path for towns: a pure check, one save, one bulk save, and the re-assignment to areas."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .. import selectors
from ..models import AdminArea, Town
from .placement import Placement, other_theatre_message, outside_message, towns_in_other_theatres, towns_place
from .records import RecordErrors, RecordsInvalid, records_clean, records_write
from .revision import revision_bump, revision_bumping, theatres_of, theatres_written


def _towns_check(towns: Sequence[Town], *, allow_outside: bool) -> tuple[list[Placement | None], RecordErrors]:
    """The rules of a town, for a whole batch with one spatial join; reads only, sets nothing."""
    errors = records_clean(towns, exclude=["admin_area"])
    good = [i for i in range(len(towns)) if not {"latitude", "longitude"} & set(errors.get(i, ()))]  # placeable
    placements: list[Placement | None] = [None] * len(towns)
    for i, placement in zip(good, towns_place(towns=[towns[i] for i in good]), strict=True):
        placements[i] = placement
        if placement.how == "outside" and not (towns[i].outside_boundaries or allow_outside):
            errors.setdefault(i, {})["latitude"] = [outside_message(towns[i], placement)]
        if towns[i].coarse_location and placement.area_id is None:
            errors.setdefault(i, {})["coarse_location"] = [
                "This town lies in no admin area, so it has no district to be shown at; place it inside the "
                "boundaries or leave 'show only its district' off."]
    # Not inside its own theatre's areas, but inside another theatre's: loaded into the wrong theatre.
    astray = [i for i in good if getattr(placements[i], "how", None) != "within"]
    for j, area in towns_in_other_theatres(towns=[towns[i] for i in astray]).items():
        errors.setdefault(astray[j], {})["latitude"] = [other_theatre_message(towns[astray[j]], area)]
    return placements, errors


def town_check(*, town: Town) -> Placement:
    """Raise ValidationError (by field) unless ``town`` may be saved as it is; write nothing.

    The fields' rules, a unique slug and GeoNames id, and a place inside the loaded boundaries
    (within 1 km) unless the town is marked as outside them. Returns where the town falls.
    """
    placements, errors = _towns_check([town], allow_outside=False)
    if errors:
        raise ValidationError(errors[0])
    return placements[0]


@revision_bumping(theatres=theatres_written("town"))
def town_save(*, town: Town) -> Town:
    """Check the town, place it in its admin area by spatial join, and save it (one history row)."""
    placement = town_check(town=town)
    town.admin_area_id = placement.area_id
    town.save()
    return town


def towns_check_many(*, towns: Sequence[Town], allow_outside: bool = False) -> list[Placement]:
    """``town_check`` for a batch with one spatial join; RecordsInvalid lists every town's problems.

    With ``allow_outside`` a town far outside the boundaries is no error (``towns_save_many`` marks it).
    """
    placements, errors = _towns_check(towns, allow_outside=allow_outside)
    if errors:
        raise RecordsInvalid(errors, [f"town {i + 1} ({t.name})" for i, t in enumerate(towns)])
    return placements


def towns_problems(
    *, towns: Sequence[Town], allow_outside: bool = False,
) -> tuple[list[Placement | None], RecordErrors]:
    """``towns_check_many`` that returns rather than raises: where each town falls, and every problem."""
    return _towns_check(towns, allow_outside=allow_outside)


@transaction.atomic
def towns_save_many(*, towns: Sequence[Town], allow_outside: bool = False) -> list[Town]:
    """Check every town (``towns_check_many``), then write them all or none, with their history rows."""
    towns = list(towns)
    placements = towns_check_many(towns=towns, allow_outside=allow_outside)
    for town, placement in zip(towns, placements, strict=True):
        town.admin_area_id = placement.area_id
        town.outside_boundaries = town.outside_boundaries or placement.how == "outside"
    records_write(towns, model=Town)
    return towns


@dataclass
class AssignmentReport:
    changed: list[tuple[Town, AdminArea | None, AdminArea | None]] = field(default_factory=list)
    unchanged: int = 0
    outside: list[tuple[Town, float | None]] = field(default_factory=list)


@transaction.atomic
def towns_assign_admin_areas(*, towns: Iterable[Town] | None = None) -> AssignmentReport:
    """Re-run the spatial join (after boundaries load or change); towns far outside stay unassigned."""
    # No select_related: each town would decode its governorate's whole geometry.
    towns = list(Town.objects.order_by("pk") if towns is None else towns)
    report = AssignmentReport()
    if not selectors.boundaries_loaded():
        report.unchanged = len(towns)
        return report
    areas = {a.pk: a for a in AdminArea.objects.all()}
    dirty = []
    for town, placement in zip(towns, towns_place(towns=towns), strict=True):
        if placement.how == "outside" and not town.outside_boundaries:
            report.outside.append((town, placement.distance_m))
        if town.admin_area_id == placement.area_id:
            report.unchanged += 1
            continue
        report.changed.append((town, areas.get(town.admin_area_id), areas.get(placement.area_id)))
        town.admin_area_id = placement.area_id
        dirty.append(town)
    if dirty:
        revision_bump(theatres=theatres_of(dirty))
        # One UPDATE per area (bulk_update's CASE per row is ~10x slower at 10,000 towns), then the
        # history rows, so the audit trail shows the re-assignment.
        now = timezone.now()
        by_area: dict[int | None, list[int]] = defaultdict(list)
        for town in dirty:
            town.updated_at = now
            by_area[town.admin_area_id].append(town.pk)
        for area_id, ids in by_area.items():
            for start in range(0, len(ids), 900):  # under SQLite's bound-parameter limit
                Town.objects.filter(pk__in=ids[start:start + 900]).update(admin_area_id=area_id, updated_at=now)
        bulk_update_with_history(dirty, Town, [], batch_size=1000)  # no fields: the history rows only
    return report
