"""A confirmation: "still held by F, per source S" on a date, beside the control log.

A confirmation changes nothing on the map; it says a town's controller in force was reported unchanged
on a later day, so the town's ``last_confirmed`` (``events.selectors.confirmations``) moves up to that day.
It is reviewed like a control change (draft → published, rejected, retracted; ``events.services.confirmations``)
and only a published one counts, by the same visibility rule (``selectors.rule.Visibility``).
"""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from geodata.models import Town

from .reviewed_models import ReviewedRecord

EARLIEST_DATE_TEXT = "1900-01-01"


class Confirmation(ReviewedRecord):
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="confirmations")
    faction = models.ForeignKey(
        "events.Faction",
        on_delete=models.PROTECT,
        related_name="confirmations",
        help_text="The faction still in control on this date (the town's controller in force then).",
    )
    confirmed_on = models.DateField(help_text="The day the sources say the town was still held.")
    sources = models.ManyToManyField("events.Source", blank=True, related_name="confirmations")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["town", "-confirmed_on", "-id"]
        indexes = [
            # "The latest confirmation of this town and controller on or before D": one index range per town.
            models.Index(fields=["town", "faction", "-confirmed_on"], name="confirmation_latest_idx"),
            # The control layer's day: the latest confirmation on or before a date (that index walked back).
            models.Index(fields=["confirmed_on"], name="confirmation_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_on__gte=EARLIEST_DATE_TEXT), name="confirmation_not_before_1900"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} still held by {self.faction} on {self.confirmed_on:%Y-%m-%d}"
