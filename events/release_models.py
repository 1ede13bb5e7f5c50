"""Citable releases (events.services.releases): a theatre's log frozen as published at a moment."""

from django.db import models


class Release(models.Model):
    """Release ``number`` of ``theatre``: the record as published at ``moment``, its layers on ``date``.

    Its files live under RELEASES_DIR/<theatre>/<number>/ and never change; ``checksums`` (file name →
    sha256 hex) is what every download is checked against before it is served.
    """

    theatre = models.ForeignKey("geodata.Theatre", on_delete=models.PROTECT, related_name="releases")
    number = models.PositiveIntegerField()
    moment = models.DateTimeField(help_text="The record as published at this moment.")
    date = models.DateField(help_text="The day whose layers the release holds.")
    checksums = models.JSONField(default=dict)
    sizes = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["theatre__name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["theatre", "number"], name="release_number_per_theatre"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="release_number_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.theatre} release {self.number} ({self.date})"
