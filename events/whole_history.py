"""The whole history of spans as a GeoPackage: written once per state of the data, by the job queue, sent from disk.

A GeoPackage is a SQLite file: none of it can be sent before its last span is written. At 10,000 towns x
1,000,000 changes the whole history's spans are a 352 MB file written in 77 s on an idle core, with nothing
sent meanwhile: longer than QGIS waits for a first byte (60 s by default) or a proxy for an answer. So
``/api/control-spans.gpkg`` without ``from``/``to``, as known now (not ``as_published`` or ``release``), is
written by the job queue (django-q, as ``conflictmap.jobs``; in the request itself with JOBS_SYNC=1) into
EXPORTS_DIR under the data version it shows, and a request is answered with:

- the current version's file, once written: sent from disk;
- else the newest file written for an earlier version, which says so (its own ETag, Last-Modified and
  ``X-Data-Version``), while the current one is queued (once: a lock in the shared cache);
- else (none written yet) 503 with Retry-After, naming what else to ask: a period, or the GeoJSON or KML of
  the whole history, which stream a batch at a time from the first byte.

A period's spans (``from``/``to``) and the record as published on a past day are written in the request as
before: their cost is the period's.
"""

import datetime as dt
import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django_q.tasks import async_task

from . import exports, selectors
from .selectors.rule import known_moment

logger = logging.getLogger(__name__)

LAYER = "control-spans.gpkg"
# How long a queued writing holds its lock: past it (the worker died), the next request queues it again.
LOCK_SECONDS = 3600
RETRY_SECONDS = 60  # told to a client when no file is written yet


@dataclass(frozen=True)
class Written:
    """A written file and what it shows."""

    path: Path
    version: str  # the data version it was written for (its ETag)
    changed_at: dt.datetime | None  # that version's Last-Modified
    current: bool  # written for the version the request read


def applies(params: dict) -> bool:
    """Whether a request for the spans GeoPackage with these (parsed) parameters is the whole history as known
    now, which is sent from disk."""
    return params.get("start") is None and params.get("end") is None and known_moment() is None


def _folder() -> Path:
    return Path(settings.EXPORTS_DIR) / "whole-history"


def file_stem(params: dict) -> str:
    """The file's name without its suffix, as ``exports`` names the spans of the whole history."""
    theatre = params.get("theatre")
    return "control-spans" + (f"-{theatre.slug}" if theatre else "") + (f"-{params['kind']}" if "kind" in params
                                                                         else "")


def _epoch() -> str:
    """A token of the shared cache: clearing it (a restore does) forgets every file written before."""
    return selectors.cache_token("whole-history:epoch")


def _path(stem: str, version: str) -> Path:
    digest = hashlib.sha256(version.encode()).hexdigest()[:16]
    return _folder() / f"{stem}.{_epoch()}.{digest}.gpkg"


def _about(path: Path) -> dict | None:
    try:
        return json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None


def _written(path: Path, *, current: bool) -> Written | None:
    about = _about(path)
    if about is None or not path.exists():
        return None
    changed = about.get("changed_at")
    return Written(path, about["version"], dt.datetime.fromisoformat(changed) if changed else None,
                   current)


def _newest(stem: str) -> Written | None:
    """The newest file written for ``stem`` in this cache epoch (any version)."""
    found = [(about.get("written_at", 0), path) for path in _folder().glob(f"{stem}.{_epoch()}.*.gpkg")
             if (about := _about(path)) is not None]
    for _, path in sorted(found, reverse=True):
        if (written := _written(path, current=False)) is not None:
            return written
    return None


def kept(params: dict, *, version: str) -> Written | None:
    """The file to send for the whole history at ``version``: its own once written, else (its writing queued)
    the newest written before, else None."""
    stem = file_stem(params)
    current = _written(_path(stem, version), current=True)
    if current is not None:
        return current
    _queue(params, stem=stem, version=version)
    current = _written(_path(stem, version), current=True)  # written in the request (JOBS_SYNC)
    return current if current is not None else _newest(stem)


def _lock_key(stem: str, version: str) -> str:
    return f"whole-history:writing:{stem}:{version}"


def _queue(params: dict, *, stem: str, version: str) -> None:
    """Queue the writing of the whole history at ``version``, once however many ask (a lock in the cache)."""
    if not cache.add(_lock_key(stem, version), True, LOCK_SECONDS):
        return  # queued already
    theatre = params.get("theatre")
    query = {"theatre": theatre.slug if theatre else None, "kind": params.get("kind")}
    try:
        async_task("events.whole_history.write", sync=settings.JOBS_SYNC, task_name=f"whole-history-{stem}", **query)
    except Exception as exc:  # the queue is out of reach (Redis down): an older file, or 503; never a 500
        cache.delete(_lock_key(stem, version))
        logger.error("the whole history %s could not be queued: %s", stem, exc)


def write(*, theatre: str | None = None, kind: str | None = None) -> str:
    """The job: write the whole history's GeoPackage for the current data version (nothing when written)."""
    query = {name: value for name, value in (("theatre", theatre), ("kind", kind)) if value}
    params = exports.LAYERS[LAYER].parse(query)
    scope = params.get("theatre")
    revision = selectors.data_revision(theatre=scope)
    version = selectors.data_version(revision=revision)
    stem = file_stem(params)
    path = _path(stem, version)
    try:
        if path.exists():
            return f"{path.name}: written already, in {(_about(path) or {}).get('seconds')} s"
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
        started = time.monotonic()
        try:
            with part.open("wb") as out:
                for chunk in exports.LAYERS[LAYER].build_at(version, params).chunks():
                    out.write(chunk)
            if selectors.data_version(theatre=scope) != version:
                # A write while it was read: the file may mix two states; the next request queues the new one.
                return f"{path.name}: the data changed while it was written; not kept"
            seconds = time.monotonic() - started
            changed = selectors.data_last_modified(revision=revision)
            about = {"version": version, "changed_at": changed.isoformat() if changed else None,
                     "seconds": round(seconds, 1), "written_at": time.time()}
            path.with_suffix(".json").write_text(json.dumps(about))
            os.replace(part, path)  # whole or not at all: a reader never sees a part-written file
        finally:
            part.unlink(missing_ok=True)
        _prune(stem, keep=path)
        return f"{path.name}: {path.stat().st_size} bytes in {seconds:.1f} s"
    finally:
        cache.delete(_lock_key(stem, version))


def _prune(stem: str, *, keep: Path) -> None:
    """The files of ``stem`` written before ``keep`` (earlier versions, earlier cache epochs): one file per stem on
    disk, not counting one a second worker finished since. A request sending one keeps reading it (an open file
    outlives its name)."""
    written_at = (_about(keep) or {}).get("written_at", 0)
    for path in _folder().glob(f"{stem}.*.gpkg"):
        if path != keep and (_about(path) or {}).get("written_at", 0) <= written_at:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)

