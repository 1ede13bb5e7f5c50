"""What a record reviewed like a control change carries: its state and who entered, reviewed and retracted it.

Confirmations and drawn areas go through the control changes' review (``services.lifecycle.record_transition``)
and are counted by the same visibility rule (``selectors.rule``), so their states and review columns are these,
written once.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReviewState(models.TextChoices):
    """The control log's states (``ControlChange.State`` has the same values)."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    RETRACTED = "retracted", "Retracted"


def _user():
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")


class ReviewedRecord(models.Model):
    """A note, a state and the review's stamps (abstract: each record keeps its own table and history)."""

    State = ReviewState

    note = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=ReviewState.choices, default="draft")
    entered_by = _user()
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_by = _user()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    retracted_by = _user()
    retracted_at = models.DateTimeField(null=True, blank=True)
    retraction_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
