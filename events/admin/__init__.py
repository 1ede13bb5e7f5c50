"""Admin for the control log, one module per job. Every write goes through events.services (the same
rules as the API and imports); the admin only collects input, runs the services' checks on its forms,
and shows results.

- ``records``: factions and sources
- ``changes``: control changes, the review queue and the publish / reject / retract actions
- ``confirmations``: "still held by F", recorded in two clicks from a town or a change row
- ``disputes``: disputed claims, and a reviewer's decision page
- ``drawn``: control drawn as polygons, reviewed with the same actions
- ``towns``: a town's page with its control history, audit trail and the reviewer rule
- ``lists``, ``row_urls``: what keeps the log's change lists bounded by their page at a million rows
- ``delays``: publication delays per faction or area (what the public waits for)
- ``tokens``: API tokens: issue (shown once), list, revoke
- ``log_search``: their search (and governorate filter), resolved against the towns and factions first
"""

from .. import admin_users  # noqa: F401  (registers the user admin)
from . import (
    confirmations,  # noqa: F401  (registers the confirmations' admin)
    delays,  # noqa: F401  (registers the publication delays' admin)
    disputes,  # noqa: F401  (registers the disputes' admin)
    drawn,  # noqa: F401  (registers the drawn areas' admin)
    releases,  # noqa: F401  (registers the releases' admin)
    tokens,  # noqa: F401  (registers the API token admin)
)
from .changes import ControlChangeAdmin, ControlChangeForm, ReviewActions, ReviewQueueAdmin
from .common import map_link, map_url, swatch
from .records import FactionAdmin, SourceAdmin
from .towns import TownChangesInline, TownEditForm, TownWithChangesAdmin

__all__ = [
    "ControlChangeAdmin", "ControlChangeForm", "FactionAdmin", "ReviewActions", "ReviewQueueAdmin", "SourceAdmin",
    "TownChangesInline", "TownEditForm", "TownWithChangesAdmin", "map_link", "map_url", "swatch",
]
