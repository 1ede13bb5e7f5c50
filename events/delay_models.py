"""How long a published change is held back from anonymous readers (editors see it at once).

A delay is set per faction or per admin area (a governorate's covers its districts' towns). A change's
delay is the longest that applies to its faction and its town's areas; the publish service stores
``ControlChange.public_from`` = publication time + that delay, so the read rule stays a column test.
Changing a delay applies to changes published after it, never to ones already published.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from geodata.models import AdminArea

MAX_DELAY_HOURS = 24 * 365  # a year: anything longer is a withdrawal, not a delay


class PublicationDelay(models.Model):
    faction = models.OneToOneField(
        "events.Faction",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="publication_delay",
        help_text="Changes giving control to this faction are held back (leave empty for an area's delay).",
    )
    area = models.OneToOneField(
        AdminArea,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="publication_delay",
        help_text="Changes of towns in this area (a governorate: its districts too) are held back.",
    )
    hours = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DELAY_HOURS)],
        help_text=f"Hours after publication before anonymous readers see the change (1 to {MAX_DELAY_HOURS}).",
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why (e.g. who asked); editors only.")

    class Meta:
        ordering = ["faction", "area"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(faction__isnull=False) & Q(area__isnull=True))
                | (Q(faction__isnull=True) & Q(area__isnull=False)),
                name="publicationdelay_faction_or_area",
                violation_error_message="A delay names either a faction or an area, not both and not neither.",
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=1) & Q(hours__lte=MAX_DELAY_HOURS),
                name="publicationdelay_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.faction or self.area}: {self.hours} h"

    def clean(self) -> None:
        if (self.faction_id is None) == (self.area_id is None):
            raise ValidationError("Choose either a faction or an area for this delay, not both and not neither.")
