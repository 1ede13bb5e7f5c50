"""Reads of citable releases (events.services.releases writes them)."""

from django.db.models import QuerySet

from geodata.models import Theatre

from ..release_models import Release


def releases_list(*, theatre: Theatre | None = None) -> QuerySet[Release]:
    """Releases by theatre, newest first; ``theatre``'s alone when given."""
    releases = Release.objects.select_related("theatre").order_by("theatre__name", "theatre_id", "-number")
    return releases if theatre is None else releases.filter(theatre=theatre)


def release_get(*, theatre_slug: str, number: int) -> Release | None:
    return Release.objects.select_related("theatre").filter(theatre__slug=theatre_slug, number=number).first()
