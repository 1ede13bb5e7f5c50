"""The one write path for theatres: a check, a save."""

from django.db import transaction

from ..models import DEFAULT_THEATRE, Theatre
from .revision import revision_bumping


def theatre_check(*, theatre: Theatre) -> None:
    """Raise ValidationError (by field) unless ``theatre`` may be saved as it is; write nothing."""
    theatre.full_clean()


@revision_bumping  # /api/theatres/ and its ETag are kept per revision
@transaction.atomic
def theatre_save(*, theatre: Theatre) -> Theatre:
    theatre_check(theatre=theatre)
    theatre.save()
    return theatre


def theatre_create(*, slug: str, name: str, **fields) -> Theatre:
    """A new theatre; ValidationError (by field) when a value is bad or taken."""
    return theatre_save(theatre=Theatre(slug=slug, name=name, **fields))


def theatre_first() -> Theatre:
    """The seed's theatre (syria), made if missing: where the seed loads, and every area and town made
    without a theatre goes while there is no other (as before theatres)."""
    slug, name = DEFAULT_THEATRE
    return Theatre.objects.get_or_create(slug=slug, defaults={"name": name})[0]
