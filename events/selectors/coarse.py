"""Towns shown to anonymous readers only at their district's resolution (``Town.coarse_location``).

For the public (``Visibility.delayed``: not an editor), such a town's row in the time slice, and so in
every layer and export composed from it (control, changes, their CSV, spans, GeoPackage, KML), names its
district instead: the district's name and slug, its representative point, no population. A town whose
area has no boundary to take a point from is left out of the public's rows altogether. Town-level lists
(the API's towns and changes, the feed) leave such towns out for the public; their pages are 404.
"""

from collections.abc import Iterable

import shapely
from django.db.models import QuerySet

from geodata.models import AdminArea, Town

from .request_memo import once
from .rows import TownRow
from .rule import editor_reads


def town_hidden(town: Town) -> bool:
    """Whether this context's reader may not see ``town`` at town resolution (its page, its panel)."""
    return town.coarse_location and public_hides_coarse()


def coarse_town_ids() -> set[int]:
    """The ids of the towns shown only at their district's resolution (a partial index: few rows); read once
    per request (``request_memo``: the slice, the diff and the CSV's cells each ask)."""
    return set(once("coarse_town_ids", _coarse_town_ids))


def _coarse_town_ids() -> frozenset[int]:
    return frozenset(Town.objects.filter(coarse_location=True).order_by().values_list("id", flat=True))


def public_hides_coarse() -> bool:
    """Whether this context reads as the public, who sees coarse towns only at their district's resolution."""
    return not editor_reads()


def without_coarse(towns: QuerySet, field: str = "pk", *, force: bool = False) -> QuerySet:
    """``towns`` (or rows naming a town through ``field``, e.g. "town_id") without coarse towns, for the
    public; unchanged for an editor (``force``: the caller has decided the reader is the public)."""
    if not force and not public_hides_coarse():
        return towns
    ids = coarse_town_ids()
    return towns.exclude(**{f"{field}__in": ids}) if ids else towns


def _district_rows(areas: Iterable[int]) -> dict[int, tuple[str, str, float, float]]:
    """(name, slug, latitude, longitude) of each area at its representative point (none for an area without
    a boundary)."""
    found = {}
    for pk, name, slug, geometry in AdminArea.objects.filter(pk__in=list(areas)).values_list(
        "pk", "name", "slug", "geometry"
    ):
        if not geometry:
            continue
        try:
            point = shapely.geometry.shape(geometry).representative_point()
        except (ValueError, TypeError, AttributeError):
            continue
        found[pk] = (f"{name} (district)", slug, round(point.y, 4), round(point.x, 4))
    return found


def public_places() -> dict[int, tuple[str, str, float, float] | None]:
    """For the public, each coarse town's district as (name, slug, latitude, longitude), or None where
    its area has no boundary (left out); empty for an editor."""
    if not public_hides_coarse():
        return {}
    areas = dict(Town.objects.filter(coarse_location=True).order_by().values_list("id", "admin_area_id"))
    districts = _district_rows({a for a in areas.values() if a is not None})
    return {pk: districts.get(area) for pk, area in areas.items()}


def coarse_rows(rows: list[TownRow]) -> list[TownRow]:
    """The slice's town rows as the public sees them: each coarse town named by its district."""
    ids = coarse_town_ids()
    if not ids:
        return rows
    coarse = [row for row in rows if row.id in ids]
    if not coarse:
        return rows
    districts = _district_rows({row.admin_area_id for row in coarse if row.admin_area_id is not None})
    shown = []
    for row in rows:
        if row.id not in ids:
            shown.append(row)
        elif row.admin_area_id is not None and (district := districts.get(row.admin_area_id)) is not None:
            name, slug, latitude, longitude = district
            shown.append(row._replace(name=name, slug=slug, latitude=latitude, longitude=longitude, population=None))
    return shown
