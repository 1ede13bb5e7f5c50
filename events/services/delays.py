"""Publication delays (``events.delay_models``): check and save, reviewers only (they decide what the public sees)."""

from django.db import transaction

from conflictmap.text_checks import clean_refusing_nul

from ..delay_models import PublicationDelay
from ..permissions import PERM_PUBLISH, Actor, user_require


def publication_delay_check(*, delay: PublicationDelay) -> None:
    """Every rule a delay meets (faction or area, 1 hour to a year, one per faction or area); writes nothing."""
    clean_refusing_nul(delay)


@transaction.atomic
def publication_delay_save(*, delay: PublicationDelay, by: Actor) -> PublicationDelay:
    """Add or edit a delay; it applies to changes published from now on (already published ones keep theirs)."""
    user_require(user=by, perm=PERM_PUBLISH, action="set publication delays")
    publication_delay_check(delay=delay)
    delay.save()
    return delay
