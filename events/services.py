"""Writes to the control log. The admin, the API, imports and the seed loader all call these."""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from geodata.models import Town

from .models import ControlChange, Faction, Source


@transaction.atomic
def control_change_create(
    *,
    town: Town,
    faction: Faction,
    effective_date: dt.date,
    status: str = ControlChange.Status.CONTROLLED,
    contested_by: Faction | None = None,
    date_precision: str = ControlChange.Precision.DAY,
    day_part: int = ControlChange.DayPart.UNSPECIFIED,
    confidence: str = ControlChange.Confidence.REPORTED,
    sources: Iterable[Source] = (),
    note: str = "",
    state: str = ControlChange.State.DRAFT,
    supersedes: ControlChange | None = None,
    entered_by: AbstractBaseUser | None = None,
) -> ControlChange:
    """Validate and record one change of control; raises ValidationError naming the field."""
    sources = list(sources)
    change = ControlChange(
        town=town,
        faction=faction,
        status=status,
        contested_by=contested_by,
        effective_date=effective_date,
        date_precision=date_precision,
        day_part=day_part,
        confidence=confidence,
        note=note,
        state=state,
        supersedes=supersedes,
        entered_by=entered_by,
    )
    change.full_clean()
    if state == ControlChange.State.PUBLISHED and not sources:
        raise ValidationError({"sources": "A published change needs at least one source."})
    change.save()
    if sources:
        change.sources.set(sources)
    return change
