"""Citable releases: a theatre's log frozen as published at a moment, under a number and a date.

A release is the as-published view (``selectors.as_known_at``) at its moment, written once:

- ``changes.csv.gz``: the changes in force up to the release's date, in the CSV import's format
  (``LAYERS["changes-csv"]``, the bytes ``/api/changes.csv?theatre=..&to=<date>&release=N`` serves),
  gzip-compressed (mtime 0, no name: the same bytes every time it is written);
- ``control.geojson``, ``provinces.geojson``, ``control-areas.geojson``: the layers of the release's date,
  the bytes ``/api/<layer>.geojson?theatre=..&date=<date>&release=N`` serves;
- ``metadata.json``: counts, each file's sha256, the theatre's licence and credits, a citation line;
- ``CITATION.cff``: Citation File Format 1.2.0.

Size rule: only the changes grow with the log, so only they are compressed (a million changes in force
are some 150 MB of CSV, a tenth of that gzipped, less than the database holds for them); a date's layers
are bounded by the towns and served as they are. Everything is written a batch at a time into a
temporary directory beside the releases, which is renamed into place with the release's row in one
transaction: a release is all its files or nothing, and its files are read-only once there.
"""

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from geodata.models import Theatre

from .. import selectors
from ..models import EARLIEST_DATE
from ..release_models import Release

Progress = Callable[[str, int, int], None]

CHANGES_FILE = "changes.csv.gz"
# The layers of the release's date: file name → (events.exports.LAYERS name, its query string's extra).
LAYER_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "control.geojson": ("control", {}),
    "provinces.geojson": ("provinces", {}),
    "control-areas.geojson": ("areas", {}),
}
METADATA_FILE = "metadata.json"
CITATION_FILE = "CITATION.cff"
FILES = (CHANGES_FILE, *LAYER_FILES, METADATA_FILE, CITATION_FILE)
MEDIA_TYPES = {
    CHANGES_FILE: "application/gzip",
    **dict.fromkeys(LAYER_FILES, "application/geo+json"),
    METADATA_FILE: "application/json",
    CITATION_FILE: "text/yaml; charset=utf-8",
}
GZIP_LEVEL = 6
CHUNK = 1024 * 1024


class ReleaseError(ValueError):
    """A release that cannot be made (a future date, a clash): the message says why."""


def releases_dir() -> Path:
    return Path(settings.RELEASES_DIR)


def release_path(release: Release) -> Path:
    return releases_dir() / release.theatre.slug / str(release.number)


def layer_params(*, theatre: Theatre, on: dt.date, name: str) -> dict[str, str]:
    """The query string whose layer (as of the release) is the release's file ``name``."""
    if name == CHANGES_FILE:
        return {"theatre": theatre.slug, "from": EARLIEST_DATE.isoformat(), "to": on.isoformat()}
    return {"theatre": theatre.slug, "date": on.isoformat(), **LAYER_FILES[name][1]}


class _Hashed:
    """A binary file written through a sha256, counting its bytes."""

    def __init__(self, raw):
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def _write(path: Path, chunks: Iterable[bytes]) -> tuple[str, int]:
    """``chunks`` written to ``path``; its sha256 and size."""
    with open(path, "wb") as raw:
        out = _Hashed(raw)
        for chunk in chunks:
            out.write(chunk)
        raw.flush()
        os.fsync(raw.fileno())
    return out.sha.hexdigest(), out.size


def _write_changes(path: Path, chunks: Iterable[bytes], progress: Progress, total: int) -> tuple[str, int, int, str]:
    """The CSV gzipped into ``path`` a batch at a time: its sha256 and size, its rows, the CSV's own sha256."""
    rows, plain = -1, hashlib.sha256()  # -1: the header is no change
    with open(path, "wb") as raw:
        out = _Hashed(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=GZIP_LEVEL, mtime=0) as zipped:
            for chunk in chunks:
                plain.update(chunk)
                zipped.write(chunk)
                # Each batch is whole rows (a quoted note may hold a newline): count them as the import reads them.
                rows += sum(1 for _ in csv.reader(io.StringIO(chunk.decode())))
                progress("changes", max(rows, 0), total)
        raw.flush()
        os.fsync(raw.fileno())
    return out.sha.hexdigest(), out.size, max(rows, 0), plain.hexdigest()


def _features(content: bytes) -> int:
    return len(orjson.loads(content).get("features", []))


def citation_line(*, theatre: Theatre, number: int, on: dt.date, moment: dt.datetime) -> str:
    author = theatre.control_credit or "conflictmap"
    return (
        f"{author}. {theatre.name}: control of towns, release {number} ({on.isoformat()}), "
        f"as published at {moment.isoformat()}. {release_url(theatre.slug, number)}"
    )


def release_url(slug: str, number: int) -> str:
    return f"{settings.RELEASES_SITE_URL.rstrip('/')}/releases/{slug}/{number}/"


def _yaml_text(value: str) -> str:
    """A YAML double-quoted scalar: JSON's string form is one (escapes included)."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(*, theatre: Theatre, number: int, on: dt.date, moment: dt.datetime) -> bytes:
    """CITATION.cff (Citation File Format 1.2.0): every required key, the licence when one is set."""
    author = theatre.control_credit or "conflictmap"
    lines = [
        'cff-version: "1.2.0"',
        f"message: {_yaml_text('If you use this data, please cite it as below.')}",
        "type: dataset",
        f"title: {_yaml_text(f'{theatre.name}: control of towns, as published at {moment.isoformat()}')}",
        f'version: "{number}"',
        f'date-released: "{on.isoformat()}"',
        "authors:",
        f"  - name: {_yaml_text(author)}",
    ]
    if settings.RELEASES_LICENSE:
        lines.append(f"license: {_yaml_text(settings.RELEASES_LICENSE)}")
    if theatre.boundaries_licence_url:
        lines.append(f"license-url: {_yaml_text(theatre.boundaries_licence_url)}")
    if settings.RELEASES_SITE_URL:
        lines.append(f"url: {_yaml_text(release_url(theatre.slug, number))}")
    return ("\n".join(lines) + "\n").encode()


def release_next_number(*, theatre: Theatre) -> int:
    return (Release.objects.filter(theatre=theatre).aggregate(n=Max("number"))["n"] or 0) + 1


def release_create(
    *, theatre: Theatre, on: dt.date | None = None, moment: dt.datetime | None = None, progress: Progress | None = None
) -> Release:
    """Freeze ``theatre``'s record as published at ``moment`` (now) with its layers of ``on`` (today)."""
    from ..exports import LAYERS  # exports import the selectors this module's callers import

    progress = progress or (lambda stage, done, total: None)
    moment = (moment or timezone.now()).astimezone(dt.UTC)
    today = timezone.localdate(moment)
    on = on or today
    if on > today:
        raise ReleaseError(f"--date {on} is after the release's moment ({today}): control then is not known.")
    if on < EARLIEST_DATE:
        raise ReleaseError(f"--date {on} is before {EARLIEST_DATE}, the record's start.")
    number = release_next_number(theatre=theatre)
    base = releases_dir() / theatre.slug
    base.mkdir(parents=True, exist_ok=True)
    work = base / f".tmp-{uuid.uuid4().hex}"
    work.mkdir()
    try:
        checksums, sizes, counts = {}, {}, {}
        with selectors.as_known_at(moment):
            total = selectors.changes_in_force().filter(town__theatre=theatre, effective_date__lte=on).count()
            progress("changes", 0, total)
            export = LAYERS["changes-csv"].export(layer_params(theatre=theatre, on=on, name=CHANGES_FILE))
            checksums[CHANGES_FILE], sizes[CHANGES_FILE], counts["changes"], csv_sha = _write_changes(
                work / CHANGES_FILE, export.chunks(), progress, total
            )
            for done, (name, (layer, _)) in enumerate(LAYER_FILES.items()):
                progress("layers", done, len(LAYER_FILES))
                content = b"".join(LAYERS[layer].export(layer_params(theatre=theatre, on=on, name=name)).chunks())
                checksums[name], sizes[name] = _write(work / name, [content])
                counts[name.removesuffix(".geojson")] = _features(content)
            progress("layers", len(LAYER_FILES), len(LAYER_FILES))
        cff = citation_cff(theatre=theatre, number=number, on=on, moment=moment)
        checksums[CITATION_FILE], sizes[CITATION_FILE] = _write(work / CITATION_FILE, [cff])
        metadata = {
            "theatre": {"slug": theatre.slug, "name": theatre.name},
            "release": number,
            "date": on.isoformat(),
            "as_published_at": moment.isoformat(),
            "counts": counts,
            "files": {name: {"sha256": checksums[name], "bytes": sizes[name]} for name in checksums},
            "changes_csv_sha256": csv_sha,  # the CSV itself, as /api/changes.csv serves it with ?release=
            "licence": settings.RELEASES_LICENSE or None,
            "credits": {
                "control": theatre.control_credit,
                "boundaries": theatre.boundaries_credit,
                "boundaries_url": theatre.boundaries_url,
                "boundaries_licence_url": theatre.boundaries_licence_url,
                "gazetteer": theatre.gazetteer_credit,
            },
            "citation": citation_line(theatre=theatre, number=number, on=on, moment=moment),
            "layers": {
                name: f"?{'&'.join(f'{k}={v}' for k, v in layer_params(theatre=theatre, on=on, name=name).items())}"
                f"&release={number}"
                for name in (CHANGES_FILE, *LAYER_FILES)
            },
        }
        body = orjson.dumps(metadata, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        checksums[METADATA_FILE], sizes[METADATA_FILE] = _write(work / METADATA_FILE, [body])
        for name in FILES:
            (work / name).chmod(0o444)
        target = base / str(number)
        if target.exists():
            raise ReleaseError(f"{target} already exists; a release's files are never overwritten.")
        try:
            with transaction.atomic():
                release = Release.objects.create(
                    theatre=theatre,
                    number=number,
                    moment=moment,
                    date=on,
                    checksums=checksums,
                    sizes=sizes,
                    counts=counts,
                )
                os.rename(work, target)
        except IntegrityError:
            raise ReleaseError(
                f"Release {number} of {theatre.slug} was made meanwhile; run the release again."
            ) from None
        return release
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def release_job(*, job, progress: Progress, theatre: str, date: str | None = None) -> tuple[str, dict]:
    """The admin's release button, as a background job (conflictmap.jobs)."""
    from conflictmap.jobs import JobFailed

    found = Theatre.objects.filter(slug=theatre).first()
    if found is None:
        raise JobFailed(f"No theatre '{theatre}'.")
    try:
        release = release_create(theatre=found, on=dt.date.fromisoformat(date) if date else None, progress=progress)
    except ReleaseError as exc:
        raise JobFailed(str(exc)) from None
    return (
        f"Release {release.number} of {found.name} ({release.date}) is written.",
        {"theatre": found.slug, "number": release.number, "counts": release.counts},
    )
