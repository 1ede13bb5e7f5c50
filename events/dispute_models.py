"""Disputed claims: two changes naming different factions for one town, date and part of day.

Both changes are kept as claims. Until a reviewer decides, the one rule's order stands (the later
entry is in force, ``selectors.rule``) and the town is shown as disputed; the decision names the claim
in force with a reason, and marks the other ``dispute_lost_at``, which takes it out of what is in
force for every reader at once (``events.services.disputes``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from geodata.models import Town


class Dispute(models.Model):
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="disputes")
    claim = models.ForeignKey(
        "events.ControlChange", on_delete=models.PROTECT, related_name="+", help_text="The claim entered first."
    )
    rival = models.ForeignKey(
        "events.ControlChange", on_delete=models.PROTECT, related_name="+", help_text="The competing claim."
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    automatic = models.BooleanField(default=False, help_text="Opened when the rival claim was published.")
    decided_for = models.ForeignKey(
        "events.ControlChange",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The claim in force; empty until decided.",
    )
    reason = models.TextField(blank=True, help_text="Why the reviewer decided so.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "rival"], name="dispute_one_per_pair"),
            models.CheckConstraint(condition=~Q(claim=models.F("rival")), name="dispute_two_claims"),
            models.CheckConstraint(
                condition=Q(decided_for__isnull=True)
                | Q(decided_for=models.F("claim"))
                | Q(decided_for=models.F("rival")),
                name="dispute_decided_for_a_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute over {self.town}: #{self.claim_id} or #{self.rival_id}"

    @property
    def decided(self) -> bool:
        return self.decided_for_id is not None

    @property
    def claims(self) -> list:
        return [self.claim, self.rival]
