"""Reads of the control log; this is the package's public surface.

- ``rule``: the one definition of what is in force (``Visibility``; its ORM and SQL forms), the
  order of a town's changes, and the change a change replaced.
- ``slices``: ``control_as_of``, the one time slice, and its grouped counts.
- ``timelines``: towns' logs in order, a town's history, a period's changes.
- ``period``: a period's changes in force read once (a slice moved forward, the diff's table).
- ``dates``: the dates the log has; the data revision (ETag, cache keys).
- ``coalitions``: a faction's coalition in one theatre.
- ``theatres``: what each theatre holds, its extent and the dates of its record.
- ``disputes``: a town's disputed claims, both claims with their sources.
- ``public``: whether the public sees a record; colours too close to tell apart.
"""

from .coarse import coarse_town_ids, public_hides_coarse, town_hidden, without_coarse
from .confirmations import StaleTown, days_since, last_confirmed, latest_confirmation_date, stale_towns
from .dates import (
    CACHE_SECONDS,
    cache_token,
    change_dates,
    change_dates_more_than,
    change_years,
    data_last_modified,
    data_revision,
    data_version,
    first_change_date,
    latest_change_date,
    next_public_moment,
    version_pinned,
)
from .disputes import town_disputes
from .period import PeriodRow, period_changes
from .public import faction_colour_neighbours, source_is_public, town_is_public
from .rows import CHANGE_ROW_FIELDS, ChangeRow, FactionRow, TownRow, faction_rows, factions_by_name
from .rule import (
    CHRONOLOGICAL,
    LATEST_FIRST,
    PUBLIC,
    Visibility,
    as_known_at,
    as_reader,
    changes_in_force,
    counted_q,
    editor_reads,
    in_force,
    in_force_sql,
    known_moment,
    latest_first_sql,
    reading_now,
    replaced_change,
    replaced_change_query,
    visibility,
)
from .slices import (
    ControlCount,
    ControlSnapshot,
    TownControl,
    control_as_of,
    control_counts_as_of,
    slice_sql,
    towns_subquery,
)
from .theatres import TheatreSummary, theatre_area_rows, theatre_extent, theatre_summaries
from .timelines import (
    Span,
    changes_between,
    control_spans,
    in_force_on_dates,
    town_history,
    town_timelines,
    with_relations,
)

__all__ = [
    "days_since",
    "StaleTown",
    "stale_towns",
    "latest_confirmation_date",
    "last_confirmed",
    "cache_token",
    "CACHE_SECONDS", "CHANGE_ROW_FIELDS", "CHRONOLOGICAL", "LATEST_FIRST", "PUBLIC", "ChangeRow", "ControlCount",
    "ControlSnapshot", "FactionRow", "TownControl", "TownRow", "Visibility", "change_dates", "change_years",
    "change_dates_more_than",
    "changes_between", "changes_in_force", "control_as_of", "control_counts_as_of", "control_spans", "counted_q",
    "Span",
    "data_last_modified", "data_revision", "data_version", "faction_colour_neighbours", "faction_rows",
    "factions_by_name",
    "first_change_date", "in_force", "in_force_on_dates", "in_force_sql", "latest_change_date", "latest_first_sql",
    "replaced_change",
    "replaced_change_query", "slice_sql", "source_is_public", "town_history", "town_is_public", "town_timelines",
    "towns_subquery",
    "visibility", "with_relations",
    "town_disputes",
    "as_reader", "coarse_town_ids", "town_hidden", "without_coarse", "editor_reads", "next_public_moment",
    "reading_now", "version_pinned",
    "PeriodRow", "period_changes", "public_hides_coarse",
    "TheatreSummary", "as_known_at", "known_moment", "theatre_area_rows", "theatre_extent", "theatre_summaries",
]
