"""The one write path for theatres: a check, a save."""

from django.db import transaction

from ..models import DEFAULT_THEATRE, Theatre
from .revision import revision_bump


def theatre_check(*, theatre: Theatre) -> None:
    """Raise ValidationError (by field) unless ``theatre`` may be saved as it is; write nothing."""
    theatre.full_clean()


@transaction.atomic
def theatre_save(*, theatre: Theatre) -> Theatre:
    theatre_check(theatre=theatre)
    theatre.save()
    # Its own revision (a new theatre has an id only now) and the every-theatre one (/api/theatres/): another
    # theatre's caches stay.
    revision_bump(theatres=[theatre.pk])
    return theatre


def theatre_create(*, slug: str, name: str, **fields) -> Theatre:
    """A new theatre; ValidationError (by field) when a value is bad or taken."""
    return theatre_save(theatre=Theatre(slug=slug, name=name, **fields))


def theatre_first() -> Theatre:
    """The seed's theatre (syria), made if missing: where the seed loads, and every area and town made
    without a theatre goes while there is no other (as before theatres)."""
    slug, name = DEFAULT_THEATRE
    return Theatre.objects.get_or_create(slug=slug, defaults={"name": name})[0]
