"""The downloadable layers, one definition shared by the API and ``manage.py export_geojson``.

Parameters arrive as the strings a user typed (query string or command line) and are checked by
``events.params``, so both interfaces reject the same input with the same message and serve the
same bytes.
"""

import datetime as dt
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace

import orjson
import zstandard
from django.core.cache import cache
from django.utils import timezone

from conflictmap.throttles import build_check
from geodata.models import Theatre

from . import collector, drawn_spans, geojson, gis_files, selectors, slice_dates, territory
from .changes_csv import changes_csv
from .params import ParameterError as ExportParameterError  # noqa: F401  (re-export: api/exceptions, export_geojson)
from .params import given_date, parse_as_of, parse_faction, parse_level, parse_period, parse_theatre

CACHE_SECONDS = selectors.CACHE_SECONDS
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Export:
    """A layer's file: its bytes, or (``streamed``) an iterator of them written a batch at a time."""

    content: bytes | Iterator[bytes]
    media_type: str
    filename: str

    @property
    def streamed(self) -> bool:
        return not isinstance(self.content, bytes)

    def chunks(self) -> Iterable[bytes]:
        return self.content if self.streamed else (self.content,)


def layer_theatre(params: Mapping[str, str]) -> Theatre | None:
    """``theatre`` (events.params.parse_theatre), read once per request: the API reads it before the
    revision (a theatre's layers are keyed by its own) and hands it on through ``Layer.parse_at``."""
    known = _theatre.get()
    if known is not None and known[0] == params.get("theatre"):
        return known[1]
    return parse_theatre(params)


def _slice_on(params: Mapping[str, str]) -> dt.date:
    """``date`` resolved to the change date whose slice it shows (events.slice_dates): the file's key.
    A theatre's date resolves along its own record, so another theatre's changes never move it."""
    return slice_dates.slice_date(on=parse_as_of(params), revision=_revision.get(), theatre=layer_theatre(params))


def _as_of(on: dt.date, collection: dict) -> dict:
    """The collection saying which day's control it shows (``as_of``), right after its ``type``."""
    return {"type": collection.pop("type"), "as_of": on.isoformat(), **collection}


def _theatre_and_factions(params: Mapping[str, str]) -> dict:
    """``faction`` (in the theatre's coalitions), and ``theatre`` when given (a layer of one theatre's towns);
    left out, every town as before theatres."""
    theatre = layer_theatre(params)
    factions = parse_faction(params.get("faction"), theatre=theatre)
    return {"faction_ids": factions} if theatre is None else {"faction_ids": factions, "theatre": theatre}


def _control_params(params: Mapping[str, str]) -> dict:
    """``date`` resolved as a dated layer's (``_slice_on``), moved on to the latest confirmation on or before
    it when that is later: a confirmation moves a town's ``last_confirmed`` without a change of control."""
    found = _theatre_and_factions(params)
    on = _slice_on(params)
    theatre = found.get("theatre")
    revision = _revision.get() or selectors.data_version(theatre=theatre)
    asked = given_date(params, "date") or timezone.localdate()
    confirmed_on = _latest_confirmed_day(revision, asked, None if theatre is None else theatre.pk)
    if confirmed_on is not None and confirmed_on > on:
        on = confirmed_on
    return {"on": on, **found}


@functools.lru_cache(maxsize=4096)
def _latest_confirmed_day(revision: str, asked: dt.date, theatre_id: int | None) -> dt.date | None:
    """``selectors.latest_confirmation_date``, remembered per data revision (a publish or retraction moves it)."""
    return selectors.latest_confirmation_date(on=asked, theatre_id=theatre_id)


def _changes_params(params: Mapping[str, str]) -> dict:
    start, end = parse_period(params)
    return {"start": start, "end": end, **_theatre_and_factions(params)}


# The revision a request already read for its ETag (see Layer.build_at): the file is kept under it.
_revision: ContextVar[str | None] = ContextVar("export_revision", default=None)
# The theatre it read before that revision (see Layer.parse_at): the query string's value and its theatre.
_theatre: ContextVar[tuple[str | None, Theatre | None] | None] = ContextVar("export_theatre", default=None)


def _kept(name: str, build: Callable[[], dict], *, counted: bool = True, theatre: Theatre | None = None) -> bytes:
    """A per-date layer's GeoJSON bytes, built once per data revision (``_kept_file``)."""
    return _kept_file(name, lambda: geojson.dumps(build()), counted=counted, theatre=theatre)


def _kept_file(name: str, build: Callable[[], bytes], *, counted: bool = True, theatre: Theatre | None = None) -> bytes:
    """A per-date layer's bytes, built once per data revision.

    A revision's layers never change (every write bumps it), so the file is kept under it (``theatre``'s
    when the caller has read none: a theatre's layers are kept under its own revision),
    Zstandard-compressed at level 1: GeoJSON shrinks three- to tenfold (4.5 MB of control areas at
    10,000 towns keep as 1.6 MB, towns as about 0.5 MB), so a worker's cache holding many dates stays
    small, and compressing costs a third of zlib's time (22 against 66 ms for those areas). Inflating
    still costs milliseconds, more than the rest of the request, so the last files inflated are remembered.
    """
    key = f"exports:zst:{name}:{_revision.get() or selectors.data_version(theatre=theatre)}"
    kept = cache.get(key)
    if kept is None:
        kept = _built_elsewhere(key)
    if kept is not None:
        return _inflated(key, kept)
    try:
        if counted:  # a miss builds: counted against the client's limit (429 past it), once a request
            build_check()
        content = build()
        kept = zstandard.compress(content, COMPRESSION_LEVEL)
        cache.set(key, kept, CACHE_SECONDS)
    finally:
        cache.delete(f"{key}:building")
    _remember(key, kept, content)
    return content


# A waiting worker builds the file itself past BUILD_WAIT_SECONDS: under gunicorn's 30 s timeout, so a
# reader waits out a slow build (or a builder that died) instead of its worker being killed (a 500).
BUILD_WAIT_SECONDS = 20
BUILD_MARK_SECONDS = 120  # how long the mark of a build in progress is kept
BUILD_POLL_SECONDS = 0.1


def _built_elsewhere(key: str) -> bytes | None:
    """The file another worker is building now, once it is kept; None when this worker is to build it.

    Several readers asking for a new date at once (the map's first visitors after a write, a
    crawler) would each build the same layer, seconds of CPU apiece at 10,000 towns; with the cache
    all workers share, the first one builds and the others wait for its file. A worker that died
    mid-build delays the others BUILD_WAIT_SECONDS at most.
    """
    building = f"{key}:building"
    if cache.add(building, 1, BUILD_MARK_SECONDS):
        return None
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(BUILD_POLL_SECONDS)
        kept = cache.get(key)
        if kept is not None:
            return kept
        if cache.add(building, 1, BUILD_MARK_SECONDS):  # the builder gave up (an error): this one builds
            return None
    return None


COMPRESSION_LEVEL = 1
INFLATED_BYTES = 64 * 1024 * 1024  # a worker keeps at most this much of inflated files
_inflated_files: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
_inflated_lock = threading.Lock()  # a threaded worker serves several requests at once


def _inflated(key: str, kept: bytes) -> bytes:
    """zstandard.decompress(kept), remembered for the very bytes the cache holds under ``key``.

    Only an inflation is remembered, never what the cache says: a hit needs the cache to hold the
    same compressed bytes now (cleared, evicted or replaced, it is inflated again).
    """
    with _inflated_lock:
        known = _inflated_files.get(key)
        if known is not None and known[0] == kept:
            _inflated_files.move_to_end(key)
            return known[1]
    content = zstandard.decompress(kept)
    _remember(key, kept, content)
    return content


def _remember(key: str, kept: bytes, content: bytes) -> None:
    with _inflated_lock:
        _inflated_files[key] = (kept, content)
        _inflated_files.move_to_end(key)
        while sum(len(k) + len(c) for k, c in _inflated_files.values()) > INFLATED_BYTES and len(_inflated_files) > 1:
            _inflated_files.popitem(last=False)


def _dated(key: str, build: Callable[[], dict], stem: str, fmt: str, kind: gis_files.Kind,
           theatre: Theatre | None = None) -> Export:
    """A dated layer's file in ``fmt``: its GeoJSON, or a GeoPackage or KML written from the GeoJSON's
    features (the same rows), each kept per data revision under its own key."""
    if fmt == "geojson":
        return Export(_kept(key, build, theatre=theatre), geojson.GEOJSON_MEDIA_TYPE, f"{stem}.geojson")

    def converted() -> bytes:
        features = orjson.loads(_kept(key, build, counted=False, theatre=theatre))["features"]  # counted once
        return b"".join(gis_files.write(fmt, [features], kind, title=stem, colours=_colours()))
    return Export(_kept_file(f"{fmt}:{key}", converted, theatre=theatre), gis_files.MEDIA_TYPES[fmt], f"{stem}.{fmt}")


def _colours() -> dict[str, str]:
    """Each faction's colour by slug, and the contested class's (a KML file's styles)."""
    return {**{f.slug: f.colour for f in selectors.faction_rows().values()},
            territory.CONTESTED: territory.CONTESTED_COLOUR}


def _control(*, on: dt.date, faction_ids: set[int] | None, theatre: Theatre | None = None,
             fmt: str = "geojson") -> Export:
    factions = ",".join(map(str, sorted(faction_ids))) if faction_ids is not None else "all"
    mine = "" if theatre is None else f":{theatre.slug}"  # a theatre's file is kept under its own key
    name = "control" if theatre is None else f"control-{theatre.slug}"
    return _dated(f"control:{on}:{factions}{mine}", lambda: _as_of(on, geojson.control_feature_collection(
        on=on, faction_ids=faction_ids, theatre=theatre)), f"{name}-{on}", fmt, gis_files.CONTROL, theatre)


def _provinces(*, on: dt.date, level: int = 1, theatre: Theatre | None = None, fmt: str = "geojson") -> Export:
    mine = "" if theatre is None else f":{theatre.slug}"
    name = ("provinces" if level == 1 else "districts") + ("" if theatre is None else f"-{theatre.slug}")
    return _dated(f"provinces:{on}:{level}{mine}",
                  lambda: _as_of(on, geojson.provinces_feature_collection(on=on, level=level, theatre=theatre)),
                  f"{name}-{on}", fmt, gis_files.PROVINCES, theatre)


def _provinces_params(params: Mapping[str, str]) -> dict:
    theatre = layer_theatre(params)
    return {"on": _slice_on(params), "level": parse_level(params), **({} if theatre is None else {"theatre": theatre})}


def _control_areas(*, on: dt.date, theatre: Theatre | None = None, layer: str = "assessed",
                   fmt: str = "geojson") -> Export:
    radius_km = territory.area_rule()["radius_km"]  # a setting: a file drawn with another radius is another file
    mine = "" if theatre is None else f":{theatre.slug}"
    # The drawn areas' state is in the revision (their publish, retract and import bump it), so the key needs
    # only the layer beside it.
    name = "control-areas" if theatre is None else f"control-areas-{theatre.slug}"
    suffix = "" if layer == "assessed" else f"-{layer}"
    return _dated(f"control-areas:{on}:{radius_km:g}{mine}:{layer}",
                  lambda: _as_of(on, geojson.control_areas_feature_collection(on=on, theatre=theatre, layer=layer)),
                  f"{name}{suffix}-{on}", fmt, gis_files.CONTROL_AREAS, theatre)


@functools.lru_cache(maxsize=4096)
def _latest_drawn_day(revision: str, asked: dt.date, theatre_id: int | None) -> dt.date | None:
    """``territory.latest_drawn_date``, remembered per data revision (every write moves it), so a cached
    layer's request (a 304) costs no query for it."""
    return territory.latest_drawn_date(on=asked, theatre_id=theatre_id)


AREA_LAYERS = ("assessed", "advance", "claimed", "counteroffensive", "overlays", "all")


def _areas_params(params: Mapping[str, str]) -> dict:
    """``date`` resolved as a dated layer's (``_slice_on``), moved on to the latest published drawing on or
    before it when that is later (a drawn map changes control without a change of a town); ``layer``."""
    theatre = layer_theatre(params)
    given = params.get("layer")  # left out: assessed; given empty is a mistake, as every parameter's
    layer = "assessed" if given is None else given.strip()
    if layer not in AREA_LAYERS:
        raise ExportParameterError("layer", f"'{layer}' is not a layer; use one of {', '.join(AREA_LAYERS)}.")
    on = _slice_on(params)
    revision = _revision.get() or selectors.data_version(theatre=theatre)
    # No date is control now: the latest drawing counts even when it is later than the latest change.
    asked = given_date(params, "date") or timezone.localdate()
    drawn_on = _latest_drawn_day(revision, asked, None if theatre is None else theatre.pk)
    if drawn_on is not None and drawn_on > on:
        on = drawn_on
    return {"on": on, "layer": layer, **({} if theatre is None else {"theatre": theatre})}


def _dated_params(params: Mapping[str, str]) -> dict:
    theatre = layer_theatre(params)
    return {"on": _slice_on(params), **({} if theatre is None else {"theatre": theatre})}


def _changes_stem(*, start: dt.date, end: dt.date, theatre: Theatre | None = None, **_) -> str:
    return ("changes" if theatre is None else f"changes-{theatre.slug}") + f"-{start}-{end}"


def _changes(*, start: dt.date, end: dt.date, faction_ids: set[int] | None, theatre: Theatre | None = None,
             fmt: str = "geojson") -> Export:
    """Streamed: a period's changes grow with the log, so they are read and written a batch at a time."""
    stem = _changes_stem(start=start, end=end, theatre=theatre)
    if fmt == "geojson":
        content = geojson.changes_geojson(start=start, end=end, faction_ids=faction_ids, theatre=theatre)
        return Export(content, geojson.GEOJSON_MEDIA_TYPE, f"{stem}.geojson")
    batches = geojson.changes_features(start=start, end=end, faction_ids=faction_ids, theatre=theatre)
    return _streamed_file(batches, stem, fmt, gis_files.CHANGES)


def _streamed_file(batches: Iterator[list[dict]], stem: str, fmt: str, kind: gis_files.Kind) -> Export:
    """A layer read a batch at a time, written as a GeoPackage or KML file a batch at a time."""
    content = gis_files.write(fmt, batches, kind, title=stem, colours=_colours())
    return Export(content, gis_files.MEDIA_TYPES[fmt], f"{stem}.{fmt}")


def _spans_params(params: Mapping[str, str]) -> dict:
    """``theatre``, and ``from``/``to`` only when given: left out, the whole history (not from the
    earliest possible day, which would drop a first day's superseded spans)."""
    theatre, start, end = parse_theatre(params), given_date(params, "from"), given_date(params, "to")
    if start is not None and end is not None and start > end:
        raise ExportParameterError("from", f"'from' ({start}) is after 'to' ({end}).")
    kind = params.get("kind", "towns")
    if kind not in SPAN_KINDS:
        raise ExportParameterError("kind", f"'{kind}' is not a kind of spans; use one of {', '.join(SPAN_KINDS)}.")
    return {"start": start, "end": end, **({} if theatre is None else {"theatre": theatre}),
            **({} if kind == "towns" else {"kind": kind})}


# What /api/control-spans.* holds: the towns' spans (``towns``, the default), or the drawn areas' (``drawn``:
# one feature per theatre, faction and layer per drawing, events.drawn_spans), a layer of their own.
SPAN_KINDS = ("towns", "drawn")


def _spans_stem(*, start: dt.date | None, end: dt.date | None, theatre: Theatre | None = None, kind: str = "towns",
                **_) -> str:
    name = "control-spans" if theatre is None else f"control-spans-{theatre.slug}"
    name += "" if kind == "towns" else f"-{kind}"
    return name + "".join(f"-{part}" for part in (start, end) if part is not None)


def _spans(*, start: dt.date | None, end: dt.date | None, theatre: Theatre | None = None,
           fmt: str = "geojson", kind: str = "towns") -> Export:
    """Spans of control (``geojson.spans_features``): the whole history, or those in force from ``start``
    to ``end``; streamed, a batch at a time, as the whole history grows with the log."""
    stem = _spans_stem(start=start, end=end, theatre=theatre, kind=kind)
    if kind == "drawn":
        batches = drawn_spans.drawn_spans_features(theatre=theatre, start=start, end=end)
        if fmt == "geojson":
            content = geojson.collection_streamed(batches)
            return Export(content, geojson.GEOJSON_MEDIA_TYPE, f"{stem}.geojson")
        return _streamed_file(batches, stem, fmt, gis_files.DRAWN_SPANS)
    if fmt == "geojson":
        content = geojson.spans_geojson(theatre=theatre, start=start, end=end)
        return Export(content, geojson.GEOJSON_MEDIA_TYPE, f"{stem}.geojson")
    return _streamed_file(geojson.spans_features(theatre=theatre, start=start, end=end), stem, fmt, gis_files.SPANS)


def _changes_csv(
    *, start: dt.date, end: dt.date, faction_ids: set[int] | None, theatre: Theatre | None = None,
) -> Export:
    """The changes layer in the CSV import's format, with coordinates and ids beside it; streamed."""
    content = changes_csv(start=start, end=end, faction_ids=faction_ids, theatre=theatre)
    name = "changes" if theatre is None else f"changes-{theatre.slug}"
    return Export(content, CSV_MEDIA_TYPE, f"{name}-{start}-{end}.csv")


@dataclass(frozen=True)
class Layer:
    """``parse`` checks the user's parameters (raising params.ParameterError); ``build`` makes the file."""

    parse: Callable[[Mapping[str, str]], dict]
    build: Callable[..., Export]

    def export(self, params: Mapping[str, str]) -> Export:
        return self._built(self.parse(params))

    def _built(self, params: dict) -> Export:
        """``build``, with the collector paused while the rows are made (``collector``), a streamed
        file's batches too."""
        with collector.paused():
            export = self.build(**params)
        if export.streamed:
            export = replace(export, content=collector.paused_chunks(iter(export.chunks())))
        return export

    def parse_at(self, revision: str, params: Mapping[str, str], *, theatre: Theatre | None) -> dict:
        """``parse`` for the data revision the caller has read (a date's slice depends on it), and the
        theatre it read it for (``parse_theatre`` of the same ``params``)."""
        token, named = _revision.set(revision), _theatre.set((params.get("theatre"), theatre))
        try:
            return self.parse(params)
        finally:
            _revision.reset(token)
            _theatre.reset(named)

    def build_at(self, revision: str, params: dict) -> Export:
        """``build`` for the data revision the caller has read (its ETag), without reading it again."""
        token = _revision.set(revision)
        try:
            return self._built(params)
        finally:
            _revision.reset(token)


LAYERS: dict[str, Layer] = {
    "control": Layer(_control_params, _control),
    "provinces": Layer(_provinces_params, _provinces),
    "areas": Layer(_areas_params, _control_areas),
    "changes": Layer(_changes_params, _changes),
    "changes-csv": Layer(_changes_params, _changes_csv),
    "control-spans": Layer(_spans_params, _spans),
}
# The same layers as files for QGIS (GeoPackage) and Google Earth (KML): "control.gpkg", "control.kml"...
LAYERS.update({
    f"{name}.{fmt}": Layer(LAYERS[name].parse, functools.partial(LAYERS[name].build, fmt=fmt))
    for name in ("control", "provinces", "areas", "changes", "control-spans") for fmt in gis_files.FORMATS
})


def file_name(layer: str, params: dict) -> str:
    """The name ``layer`` (a GeoPackage or KML of a period's changes or of spans) gives its file for ``params``
    (parsed), without building it."""
    name, fmt = layer.rsplit(".", 1)
    stem = {"changes": _changes_stem, "control-spans": _spans_stem}[name](**params)
    return f"{stem}.{fmt}"
