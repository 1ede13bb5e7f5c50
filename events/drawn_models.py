"""A faction's control drawn as a polygon (DeepStateMap, ISW/CTP daily layers), beside the town log.

A DrawnArea is one file's area for one faction, date and layer, citing its sources and reviewed like a
control change (draft → published, rejected, retracted; ``events.services.drawn_areas``). Only a
published *assessed* area is painted as control (``events.territory.drawn``); the other layers are
overlays, never summed into assessed km².
"""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from geodata.models import Theatre

from .reviewed_models import ReviewedRecord

EARLIEST_DATE_TEXT = "1900-01-01"


class DrawnArea(ReviewedRecord):
    class Layer(models.TextChoices):
        ASSESSED = "assessed", "Assessed control"
        ADVANCE = "advance", "Assessed advances"
        CLAIMED = "claimed", "Claimed control"
        COUNTEROFFENSIVE = "counteroffensive", "Counteroffensives"

    theatre = models.ForeignKey(Theatre, on_delete=models.PROTECT, related_name="drawn_areas")
    faction = models.ForeignKey("events.Faction", on_delete=models.PROTECT, related_name="drawn_areas")
    drawn_on = models.DateField(help_text="The day the area was drawn for.")
    layer = models.CharField(max_length=20, choices=Layer.choices, default=Layer.ASSESSED)
    # GeoJSON MultiPolygon in WGS84 (EPSG:4326), valid, as geodata.drawn_files read it.
    geometry = models.JSONField()
    area_km2 = models.FloatField(help_text="Measured in an equal-area projection at import.")
    file_name = models.CharField(max_length=500, blank=True, help_text="The file it was imported from.")
    sources = models.ManyToManyField("events.Source", blank=True, related_name="drawn_areas")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["theatre", "faction", "layer", "-drawn_on", "-id"]
        indexes = [
            # "Latest published area per faction on or before D" in a theatre and layer: one index range.
            models.Index(fields=["theatre", "layer", "state", "faction", "-drawn_on"], name="drawn_latest_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["theatre", "faction", "layer", "drawn_on"],
                condition=Q(state__in=["draft", "published"]),
                name="drawn_one_per_faction_layer_day",
                violation_error_message=(
                    "This faction already has an area drawn for this theatre, layer and day; "
                    "reject or retract it first."
                ),
            ),
            models.CheckConstraint(condition=Q(drawn_on__gte=EARLIEST_DATE_TEXT), name="drawn_not_before_1900"),
            models.CheckConstraint(condition=Q(area_km2__gte=0), name="drawn_area_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.faction} {self.get_layer_display().lower()} on {self.drawn_on:%Y-%m-%d}"
