"""Reads of disputed claims: a town's disputes, both claims with their sources (events.dispute_models)."""

import datetime as dt

from django.db.models import Prefetch, QuerySet

from geodata.models import Town

from ..models import ControlChange, Dispute


def town_disputes(*, town: Town, published_only: bool = True, known_at: dt.datetime | None = None) -> QuerySet[Dispute]:
    """``town``'s disputes, newest first, with both claims, their factions and sources loaded. The public's
    (``published_only``) are those between published claims; an editor's, those with a draft too; ``known_at``:
    those opened by then (their decision, if later, is the caller's to leave out)."""
    qs = Dispute.objects.filter(town=town)
    if known_at is not None:
        qs = qs.filter(opened_at__lte=known_at)
    if published_only:
        published = ControlChange.State.PUBLISHED
        qs = qs.filter(claim__state=published, rival__state=published)
    claims = ControlChange.objects.select_related("faction", "contested_by").prefetch_related("sources")
    return qs.prefetch_related(Prefetch("claim", queryset=claims), Prefetch("rival", queryset=claims)).order_by(
        "-opened_at", "-id"
    )
