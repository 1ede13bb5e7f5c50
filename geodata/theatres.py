"""Reads of theatres: the one lookup of a theatre by slug (commands, query strings) and a theatre's extent."""

from django.conf import settings
from django.db.models import Max, Min

from .map_settings import MAP_SETTINGS_DEFAULTS
from .models import Theatre, Town


class TheatreError(ValueError):
    """An unknown theatre, or none named where several exist; the message names it and lists the known ones."""


def theatres_known() -> list[str]:
    return list(Theatre.objects.order_by("slug").values_list("slug", flat=True))


def _listed(slugs: list[str]) -> str:
    return ", ".join(slugs) if slugs else "none (python manage.py add_theatre SLUG --name NAME makes one)"


def theatre_default() -> Theatre | None:
    """The theatre ``/`` shows without ``?theatre=``: the one the DEFAULT_THEATRE setting names, else the only
    one, else the oldest; None when there is none (a database with nothing loaded)."""
    slug = getattr(settings, "DEFAULT_THEATRE", "")
    found = Theatre.objects.filter(slug=slug).first() if slug else None
    return found or Theatre.objects.order_by("pk").first()


def theatre_named(slug: str | None, *, option: str = "--theatre") -> Theatre:
    """The theatre ``slug`` names; with none named, the only theatre there is. Else TheatreError."""
    if slug is None or slug == "":
        theatres = list(Theatre.objects.order_by("slug")[:2])
        if len(theatres) == 1:
            return theatres[0]
        if not theatres:
            raise TheatreError("No theatre exists yet; python manage.py add_theatre SLUG --name NAME makes one.")
        raise TheatreError(f"Several theatres exist; name one with {option}: {_listed(theatres_known())}.")
    found = Theatre.objects.filter(slug=slug).first()
    if found is None:
        raise TheatreError(f"No theatre is called '{slug}'; known theatres: {_listed(theatres_known())}.")
    return found


def theatre_credits(theatre: Theatre | None) -> dict[str, str]:
    """What an export credits for its boundaries (``attribution``, ``licence``, ``source``, those set):
    the theatre's, or with none given every theatre's distinct lines joined by "; "."""
    theatres = [theatre] if theatre is not None else list(Theatre.objects.order_by("pk"))
    members = {"attribution": "boundaries_credit", "licence": "boundaries_licence_url", "source": "boundaries_url"}
    found = {
        member: "; ".join(dict.fromkeys(v for t in theatres if (v := getattr(t, field).strip())))
        for member, field in members.items()
    }
    return {member: value for member, value in found.items() if value}


def _extent(geometries) -> list[float] | None:
    import shapely
    from shapely.geometry import shape

    shapes = [shape(g) for g in geometries if g]
    if not shapes:
        return None
    west, south, east, north = shapely.total_bounds(shapes).tolist()
    return [west, south, east, north]


def theatre_bbox(theatre: Theatre) -> list[float]:
    """[west, south, east, north]: the theatre's set view, else its areas' extent, else its towns', else the
    map setting's bounds."""
    if theatre.view_bbox:
        return list(theatre.view_bbox)
    # The governorates cover the districts; districts only where a theatre has no governorates.
    areas = theatre.areas.exclude(geometry=None)
    level = areas.aggregate(level=Min("level"))["level"]
    extent = _extent(areas.filter(level=level).values_list("geometry", flat=True)) if level else None
    if extent:
        return extent
    towns = Town.objects.filter(theatre=theatre).aggregate(
        west=Min("longitude"), south=Min("latitude"), east=Max("longitude"), north=Max("latitude")
    )
    if towns["west"] is not None:
        return [towns["west"], towns["south"], towns["east"], towns["north"]]
    (south, west), (north, east) = MAP_SETTINGS_DEFAULTS["bounds"]  # a theatre with no places yet
    return [west, south, east, north]
