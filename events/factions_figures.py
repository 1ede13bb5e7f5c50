"""The factions page's figures over time (towns, km² and population per faction at each point of the log),
computed by the job queue once per data version, as ``queued_files`` writes its large files.

They are one query over the whole log in force (``territory.territory_over_time``): at 10,000 towns x
1,000,000 changes on SQLite 5-15 s, which every first reader after a write waited for. Now a request reads:

- the current version's figures, once computed;
- else the newest figures computed before, saying when they are of (the page says so), while the current
  version's are queued (once however many ask: a lock in the shared cache);
- else nothing: the page shows the faction list without them, saying they are being computed.

With JOBS_SYNC=1 (``make run``, the tests) the job runs inside the request, so the page is as before. Read as
an editor or as published at a moment (``?as_published=``), the figures are that reader's own (the job reads as
the public reads now): computed in the request, as before.
"""

import datetime as dt
import time
from dataclasses import dataclass

from django.core.cache import cache

from conflictmap import jobs
from geodata.models import Theatre

from . import selectors, territory

# How long a queued computation holds its lock: past it (the worker died), the next request queues it again.
LOCK_SECONDS = 3600


@dataclass(frozen=True)
class Figures:
    """The figures over time and the data they are of."""

    over_time: territory.OverTime
    changed_at: dt.datetime | None  # the last write of the data they are of
    current: bool  # of the data the request read
    seconds: float | None = None  # the job's own time (None: computed for one reader in the request)


def _version() -> str:
    """The public's data version now, with the area rule the km² are painted by."""
    return f"{selectors.data_version()}:{territory.area_rule()['radius_km']:g}"


def _scope(theatre_id: int | None) -> str:
    return "all" if theatre_id is None else f"t{theatre_id}"


def _newest_key(theatre_id: int | None) -> str:
    return f"factions:figures:newest:{_scope(theatre_id)}"


def _lock_key(theatre_id: int | None, version: str) -> str:
    return f"factions:figures:computing:{_scope(theatre_id)}:{version}"


def _newest(theatre_id: int | None, version: str) -> Figures | None:
    kept = cache.get(_newest_key(theatre_id))
    if kept is None:
        return None
    return Figures(kept["over_time"], kept["changed_at"], kept["version"] == version, kept["seconds"])


def figures(*, theatre: Theatre | None = None) -> Figures | None:
    """The factions page's figures over time: the current version's, else the newest computed before (its
    computation queued), else None (queued)."""
    if selectors.known_moment() is not None or selectors.editor_reads():
        over_time = territory.territory_over_time(theatre=theatre)
        return Figures(over_time, selectors.data_last_modified(theatre=None), current=True)
    theatre_id = None if theatre is None else theatre.pk
    version = _version()
    found = _newest(theatre_id, version)
    if found is not None and found.current:
        return found
    _queue(theatre_id, version)
    return _newest(theatre_id, version)  # computed in the request (JOBS_SYNC), else the older ones or None


def _queue(theatre_id: int | None, version: str) -> None:
    """Queue the computation for ``version``, once however many ask."""
    jobs.queue_once(_lock_key(theatre_id, version), "events.factions_figures.compute", theatre_id,
                    task_name=f"factions-figures-{_scope(theatre_id)}", hold_seconds=LOCK_SECONDS)


def compute(theatre_id: int | None = None) -> str:
    """The job: compute the figures over time of ``theatre_id`` (None: every theatre) for the current data
    version and keep them as the newest (nothing when kept already)."""
    revision = selectors.data_revision()
    version = _version()
    try:
        found = _newest(theatre_id, version)
        if found is not None and found.current:
            return f"factions figures of {_scope(theatre_id)}: computed already, in {found.seconds} s"
        theatre = None if theatre_id is None else Theatre.objects.filter(pk=theatre_id).first()
        if theatre_id is not None and theatre is None:
            return f"factions figures: no theatre {theatre_id}"
        started = time.monotonic()
        over_time = territory.territory_over_time(theatre=theatre)
        seconds = round(time.monotonic() - started, 1)
        if _version() != version:
            # A write while they were read: the next request queues the new version's.
            return f"factions figures of {_scope(theatre_id)}: the data changed while they were computed; not kept"
        changed = selectors.data_last_modified(revision=revision)
        cache.set(
            _newest_key(theatre_id),
            {"version": version, "changed_at": changed, "seconds": seconds, "over_time": over_time},
            None,
        )
        return f"factions figures of {_scope(theatre_id)}: {seconds} s"
    finally:
        cache.delete(_lock_key(theatre_id, version))
