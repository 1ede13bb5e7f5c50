"""Large GeoPackages written once per state of the data by the job queue, and sent from disk.

A GeoPackage is a SQLite file: none of it can be sent before its last row is written. At 10,000 towns x
1,000,000 changes the whole history's spans are a 352 MB file written in 77 s on an idle core, six years of
them 24 s, and the changes of the whole log (``/api/changes.gpkg`` with no period) longer still, with nothing
sent meanwhile: longer than QGIS waits for a first byte (60 s by default) or a proxy for an answer
(``proxy_read_timeout``, 60 s). So a GeoPackage of spans or changes as known now (not ``as_published`` or
``release``) that is the whole history, or a period holding more than ``LARGE_PERIOD_CHANGES`` changes, is
written by the job queue (django-q, as ``conflictmap.jobs``; in the request itself with JOBS_SYNC=1) into
EXPORTS_DIR under the data version it shows, and a request is answered with:

- the current version's file, once written: sent from disk;
- else the newest file written for the same question at an earlier version, which says so (its own ETag,
  Last-Modified and ``X-Data-Version``), while the current one is queued (once: a lock in the shared cache);
- else (none written yet) 503 with Retry-After, naming what else to ask: a shorter period, or the GeoJSON,
  KML or CSV, which stream a batch at a time from the first byte.

A shorter period, and the record as published on a past day, are written in the request as before: their
cost is the period's.
"""

import datetime as dt
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from conflictmap import jobs

from . import export_rows, exports, selectors
from .selectors.rule import known_moment

# The layers written by the job queue when large: the ones whose rows grow with the log.
LAYERS = ("control-spans.gpkg", "changes.gpkg")
# A period holding more changes than this (any theatre, any state: an upper bound read from the date index) is
# written by the job queue: at the bench's density about a year and a half of the log, 8-10 s to write.
LARGE_PERIOD_CHANGES = 100_000
# How long a queued writing holds its lock: past it (the worker died), the next request queues it again.
LOCK_SECONDS = 3600
RETRY_SECONDS = 60  # told to a client when no file is written yet
# Files kept on disk (one per question, its newest version; the least recently written go first).
KEEP_FILES = 12
# The query parameters a question is asked by (what the job parses again), per layer.
_ASKED_BY = {"control-spans.gpkg": ("from", "to", "theatre", "kind"), "changes.gpkg": ("from", "to", "theatre",
                                                                                       "faction")}


@dataclass(frozen=True)
class Written:
    """A written file and what it shows."""

    path: Path
    version: str  # the data version it was written for (its ETag)
    changed_at: dt.datetime | None  # that version's Last-Modified
    current: bool  # written for the version the request read


@dataclass(frozen=True)
class Question:
    """A layer asked with its parameters, as the job parses them again: the file's name and its key."""

    layer: str
    query: dict[str, str]
    filename: str

    @property
    def key(self) -> str:
        asked = json.dumps([self.layer, sorted(self.query.items())])
        return hashlib.sha256(asked.encode()).hexdigest()[:16]

    @property
    def stem(self) -> str:
        return self.filename.rsplit(".", 1)[0]


def applies(layer: str, params: dict) -> bool:
    """Whether a request for ``layer`` with these (parsed) parameters is written by the job queue: the whole
    history of spans, or a period of spans or changes holding more than ``LARGE_PERIOD_CHANGES`` changes, as
    known now."""
    if layer not in LAYERS or known_moment() is not None:
        return False
    start, end = params.get("start"), params.get("end")
    if layer == "control-spans.gpkg" and start is None and end is None:
        return True
    if params.get("kind") == "drawn":  # a period of drawings holds a few features a day
        return False
    return export_rows.changes_dated_beyond(start=start, end=end, count=LARGE_PERIOD_CHANGES)


def question(layer: str, params: dict, query) -> Question:
    """The question a request asks: the parameters it gave that the layer reads, its period as parsed (a left-out
    ``to`` of the changes is today: the job runs later)."""
    asked = {name: query[name] for name in _ASKED_BY[layer] if query.get(name)}
    for name, value in (("from", params.get("start")), ("to", params.get("end"))):
        if value is not None:
            asked[name] = value.isoformat()
    return Question(layer, asked, exports.file_name(layer, params))


def _folder() -> Path:
    return Path(settings.EXPORTS_DIR) / "queued"


def _epoch() -> str:
    """A token of the shared cache: clearing it (a restore does) forgets every file written before."""
    return selectors.cache_token("queued-files:epoch")


def _path(asked: Question, version: str) -> Path:
    digest = hashlib.sha256(version.encode()).hexdigest()[:16]
    return _folder() / f"{asked.stem}.{_epoch()}.{asked.key}.{digest}.gpkg"


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
    return Written(path, about["version"], dt.datetime.fromisoformat(changed) if changed else None, current)


def _newest(asked: Question) -> Written | None:
    """The newest file written for ``asked`` in this cache epoch (any version)."""
    found = [(about.get("written_at", 0), path) for path in _folder().glob(f"*.{_epoch()}.{asked.key}.*.gpkg")
             if (about := _about(path)) is not None]
    for _, path in sorted(found, reverse=True):
        if (written := _written(path, current=False)) is not None:
            return written
    return None


def kept(asked: Question, *, version: str) -> Written | None:
    """The file to send for ``asked`` at ``version``: its own once written, else (its writing queued) the newest
    written before, else None."""
    current = _written(_path(asked, version), current=True)
    if current is not None:
        return current
    _queue(asked, version=version)
    current = _written(_path(asked, version), current=True)  # written in the request (JOBS_SYNC)
    return current if current is not None else _newest(asked)


def _lock_key(asked: Question, version: str) -> str:
    return f"queued-files:writing:{asked.key}:{version}"


def _queue(asked: Question, *, version: str) -> None:
    """Queue the writing of ``asked`` at ``version``, once however many ask (a lock in the cache)."""
    jobs.queue_once(_lock_key(asked, version), "events.queued_files.write", asked.layer, asked.query,
                    task_name=f"file-{asked.stem}-{asked.key}", hold_seconds=LOCK_SECONDS)


def write(layer: str = "control-spans.gpkg", query: dict[str, str] | None = None) -> str:
    """The job: write ``layer`` asked with ``query`` for the current data version (nothing when written).
    With no query, the whole history of spans."""
    query = dict(query or {})
    params = exports.LAYERS[layer].parse(query)
    scope = params.get("theatre")
    revision = selectors.data_revision(theatre=scope)
    version = selectors.data_version(revision=revision)
    asked = question(layer, params, query)
    path = _path(asked, version)
    try:
        if path.exists():
            return f"{path.name}: written already, in {(_about(path) or {}).get('seconds')} s"
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
        started = time.monotonic()
        try:
            with part.open("wb") as out:
                for chunk in exports.LAYERS[layer].build_at(version, params).chunks():
                    out.write(chunk)
            if selectors.data_version(theatre=scope) != version:
                # A write while it was read: the file may mix two states; the next request queues the new one.
                return f"{path.name}: the data changed while it was written; not kept"
            seconds = time.monotonic() - started
            changed = selectors.data_last_modified(revision=revision)
            about = {"version": version, "changed_at": changed.isoformat() if changed else None,
                     "seconds": round(seconds, 1), "written_at": time.time(), "layer": layer, "query": asked.query}
            path.with_suffix(".json").write_text(json.dumps(about))
            os.replace(part, path)  # whole or not at all: a reader never sees a part-written file
        finally:
            part.unlink(missing_ok=True)
        _prune(asked, keep=path)
        return f"{path.name}: {path.stat().st_size} bytes in {seconds:.1f} s"
    finally:
        cache.delete(_lock_key(asked, version))


def _prune(asked: Question, *, keep: Path) -> None:
    """The files of ``asked`` written before ``keep`` (earlier versions, earlier cache epochs), then the least
    recently written of other questions beyond ``KEEP_FILES``; not one a second worker finished since. A request
    sending one keeps reading it (an open file outlives its name)."""
    written_at = (_about(keep) or {}).get("written_at", 0)
    others = []
    for path in _folder().glob("*.gpkg"):
        if path == keep:
            continue
        when = (_about(path) or {}).get("written_at", 0)
        if f".{asked.key}." in path.name and when <= written_at:
            _delete(path)
        else:
            others.append((when, path))
    for _, path in sorted(others, reverse=True)[KEEP_FILES - 1:]:
        _delete(path)


def _delete(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)
