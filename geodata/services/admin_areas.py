"""The one write path for admin areas: a pure check, one save, one bulk save (with history rows)."""

import json
from collections.abc import Sequence

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import AdminArea
from .records import RecordErrors, RecordsInvalid, records_clean, records_write
from .revision import revision_bumping, theatres_written

GEOMETRY_GRID_DEG = 1e-7  # about 1 cm: stored coordinates stay stable when a file is loaded again


def geometry_json(geom) -> dict:
    """GeoJSON for the JSON field, on a 1 cm grid so reloading the same file compares equal."""
    return json.loads(shapely.to_geojson(shapely.set_precision(geom, GEOMETRY_GRID_DEG)))


def _areas_check(areas: Sequence[AdminArea]) -> RecordErrors:
    """The rules of an area, for a whole batch; a stored area keeps its slug (its page's address)."""
    errors: RecordErrors = {}
    for stored in (False, True):
        at = [i for i, a in enumerate(areas) if (a.pk is not None) == stored]
        found = records_clean([areas[i] for i in at], exclude=["slug"] if stored else [])
        errors.update({at[i]: e for i, e in found.items()})
    return errors


def admin_area_check(*, area: AdminArea) -> None:
    """Raise ValidationError (by field) unless ``area`` may be saved as it is; write nothing."""
    errors = _areas_check([area])
    if errors:
        raise ValidationError(errors[0])


@revision_bumping(theatres=theatres_written("area"))
def admin_area_save(*, area: AdminArea) -> AdminArea:
    """Check the area and save it (one history row)."""
    admin_area_check(area=area)
    area.save()
    return area


@transaction.atomic
def admin_areas_save_many(*, areas: Sequence[AdminArea]) -> list[AdminArea]:
    """Check every area, then create and update them all or none, with their history rows.

    Raises RecordsInvalid listing every area's problems. Parents must be saved before their districts
    (a district's ``parent`` is read when it is written).
    """
    areas = list(areas)
    errors = _areas_check(areas)
    if errors:
        raise RecordsInvalid(errors, [f"{a.name} ({a.code})" for a in areas])
    records_write(areas, model=AdminArea)
    return areas
