"""A figure for every reader route (``bench.routes``): cold, warm, floor, bytes.

- cold: the first request after a write. Each run publishes a draft through the services (the data
  revision moves, so every cache keyed by it misses, as after an editor's work), times the GET, and
  rolls the transaction back: the cached country keeps its counts. Caches not keyed by the revision
  (the Voronoi cells) stay, as they would on a server.
- warm: the same request again, caches kept (after one untimed fill).
- floor: measured in this run. Either a bare request through every middleware, plus the fewest queries
  that return the rows the route shows, plus writing the same bytes (orjson for JSON, the csv module
  for CSV): target cold and warm <= 2x floor;
  or, for HTML pages and routes with no data of their own, a bare request through every middleware
  (``round_trip``): target <= 300 ms.
- bytes: the body sent (uncompressed). A page (HTML, or the panel JSON a page reads) must stay <= 1 MB.

``VARIANTS`` are more figures of routes the URL configuration has (the route check counts routes, not
figures): the as-published views (``?as_published=``, the public record as known at the end of the slice's
day: their floors are the same queries with the rule's as-published terms, ``floors.known_at_scope``) and
the feed's filters. Each has the targets of its route.

A slow route is run fewer times (``BUDGET_SECONDS`` per measure, at least once); a request is
stopped at gunicorn's 30 s timeout (when served, it would be a 500) and then not run warm.
"""

import contextlib
import csv
import datetime as dt
import io
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import orjson
from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q
from django.test import override_settings

from bench import floors
from events import services
from events.models import Confirmation, ControlChange, Dispute, Faction, Release, Source
from events.params import parse_as_published
from events.permissions import BENCH
from geodata.models import AdminArea, Theatre, Town

PAGE_BYTES = 1_000_000
BARE_TARGET = 0.300
RATIO_TARGET = 2.0
# A floor under SMALL_FLOOR is a request that reads a row or a page of rows: twice it would hold DRF's
# and Django's own per-request cost (serializer, renderer, middleware: 1-3 ms) to the cost of one
# index lookup, which no view through them can meet. Such a route is held to SMALL_TARGET instead,
# the absolute target the 304 and the cached areas have (a page, which also renders a template and a
# map, the bare request's 300 ms).
SMALL_FLOOR = 0.010
SMALL_TARGET = 0.020
BUDGET_SECONDS = 20.0
GUNICORN_TIMEOUT = 30.0


@dataclass
class Params:
    """Real objects for the routes' path and query arguments."""

    on: dt.date
    start: dt.date  # on - 30 days: the diff's and the exports' period
    town: Town  # the town with most changes
    area: AdminArea  # Hama's governorate if present, else the first governorate
    faction: Faction  # the faction with most changes
    source: Source  # a source cited by a published change
    change: ControlChange  # a published change in force (the town's latest)
    draft: ControlChange  # a draft with a source: published for each cold run
    confirmation: Confirmation  # a published confirmation (the latest; one of ``change`` made if none)
    dispute: Dispute  # a dispute between published claims (the latest; one over ``change`` made if none)
    release: Release | None = None  # the bench's release (bench.figures.bench_release)
    known_at: dt.datetime | None = None  # ``?as_published={on}``: the end of the slice's day (site time)
    theatre: Theatre | None = None  # every route asked for this theatre (?theatre=), its objects picked in it

    @classmethod
    def pick(cls, on: dt.date, theatre: Theatre | None = None) -> "Params":
        changes, areas = ControlChange.objects.all(), AdminArea.objects.all()
        if theatre is not None:
            changes, areas = changes.filter(town__theatre=theatre), areas.filter(theatre=theatre)
        town_id = (changes.values("town").annotate(n=Count("id")).order_by("-n")
                   .values_list("town", flat=True).first())
        town = Town.objects.get(pk=town_id)
        area = areas.filter(slug="hama").first() or areas.filter(level=1).order_by("pk").first()
        faction_id = (changes.values("faction").annotate(n=Count("id")).order_by("-n")
                      .values_list("faction", flat=True).first())
        change = (ControlChange.objects.filter(town=town, state="published", effective_date__lte=on,
                                               superseded_by__isnull=True)
                  .order_by("-effective_date", "-day_part", "-pk").first())
        source = change.sources.order_by("pk").first()
        drafts = (changes.filter(state="draft", sources__isnull=False, supersedes__isnull=True)
                  .order_by("-effective_date", "pk")[:20])
        draft = next(d for d in drafts if _publishable(d))
        return cls(on=on, start=on - dt.timedelta(days=30), town=town, area=area,
                   faction=Faction.objects.get(pk=faction_id), source=source, change=change, draft=draft,
                   confirmation=_confirmation(change, source, on), dispute=_dispute(change, faction_id),
                   release=Release.objects.select_related("theatre").order_by("-pk").first(), theatre=theatre,
                   known_at=parse_as_published({"as_published": on.isoformat()}))

    def url(self, spec: "Spec") -> str:
        """The route's URL, with ``theatre=`` when the routes are asked for one theatre."""
        url = spec.url(self)
        if self.theatre is None:
            return url
        return f"{url}{'&' if '?' in url else '?'}theatre={self.theatre.slug}"


def _confirmation(change: ControlChange, source: Source, on: dt.date) -> Confirmation:
    """The latest published confirmation; a country built without any gets one, of ``change``'s town on ``on``
    (through the service, as an editor's), so the confirmations' routes read a row."""
    found = Confirmation.objects.filter(state="published").order_by("-confirmed_on", "-pk").first()
    if found is not None:
        return found
    return services.confirmation_create(town=change.town, faction=change.faction, confirmed_on=on, sources=[source],
                                        state="published", entered_by=BENCH)


def _dispute(change: ControlChange, faction_id: int) -> Dispute:
    """The latest dispute between published claims; a country built without any gets one: a rival claim for
    ``change``'s town and day by another side, from a source of its own, published through the services (which
    open the dispute), so the disputes' routes read a row."""
    published = ControlChange.State.PUBLISHED
    found = (Dispute.objects.filter(claim__state=published, rival__state=published)
             .order_by("-opened_at", "-pk").first())
    if found is not None:
        return found
    other = Faction.objects.exclude(pk=change.faction_id).order_by(
        "-pk" if faction_id == change.faction_id else "pk").first()
    source = services.source_save(source=Source(title="A rival claim (bench)", publisher="bench"), by=BENCH)
    rival = services.control_change_create(
        town=change.town, faction=other, effective_date=change.effective_date, day_part=change.day_part,
        date_precision=change.date_precision, sources=[source], state=published, rival_of=change, entered_by=BENCH)
    return Dispute.objects.filter(Q(claim=rival) | Q(rival=rival)).get()


def _publishable(draft: ControlChange) -> bool:
    """Whether the draft passes the publish check (tried in a transaction rolled back)."""
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        try:
            services.control_change_publish(change=draft, by=BENCH)
        except ValidationError:
            return False
        finally:
            transaction.set_rollback(True)
    return True


@dataclass(frozen=True)
class Spec:
    url: Callable[[Params], str]
    floor: Callable[[Params], object] | None = None  # None: a bare request (round_trip)
    page: bool = False  # a page a reader browses: <= 1 MB
    note: str = ""
    as_published: bool = False  # the URL asks ?as_published=: the floor reads as known at ``Params.known_at``
    # The route sends a file the job queue wrote (events.queued_files): ``prepare`` writes it once before the
    # figure, the job queue is `make serve`'s (a write's new file is queued, not written in the timed request),
    # and the time is to the first byte and the bytes the Content-Length (the rest is the kernel's sendfile).
    prepare: Callable[[Params], object] | None = None
    # Called in each cold run's transaction after the timed request, untimed (e.g. to let go of a queued job's
    # lock, so the next cold run, at the same rolled-back version, queues as the first reader after a write does).
    after_cold: Callable[[Params], object] | None = None

    def url_as(self, fmt: str) -> Callable[[Params], str]:
        """The URL of the same layer in ``fmt`` (its .geojson written .gpkg or .kml)."""
        return lambda p: self.url(p).replace(".geojson?", f".{fmt}?")


TIMELAPSE_FRAMES = 30


def _timelapse_start(p: Params) -> dt.date:
    return p.on - dt.timedelta(days=TIMELAPSE_FRAMES - 1)


def _release_file(p: Params, name: str) -> Path:
    from events.services.releases import release_path

    return release_path(p.release) / name


def _period(p: Params) -> str:
    return f"from={p.start}&to={p.on}"


def _slice(on):
    return floors.time_slice(on, floors.fastest_variant())


# The GeoJSON layers (the spans of control: a 30-day period of them); each is also served as .gpkg and .kml.
LAYER_SPECS: dict[str, Spec] = {
    "control": Spec(lambda p: f"/api/control.geojson?date={p.on}",
                    lambda p: floors.control_layer(p.on, floors.fastest_variant())),
    "provinces": Spec(lambda p: f"/api/provinces.geojson?date={p.on}", lambda p: floors.provinces(p.on)),
    "control-areas": Spec(lambda p: f"/api/control-areas.geojson?date={p.on}", lambda p: floors.control_areas(p.on)),
    "changes": Spec(lambda p: f"/api/changes.geojson?{_period(p)}", lambda p: floors.changes_between(p.start, p.on)),
    "control-spans": Spec(lambda p: f"/api/control-spans.geojson?{_period(p)}",
                          lambda p: floors.control_spans(p.start, p.on)),
}

SPECS: dict[str, Spec] = {
    # pages
    "home": Spec(lambda p: f"/?date={p.on}", page=True),
    "town-detail": Spec(lambda p: f"/towns/{p.town.slug}/", lambda p: floors.town_page(p.town.pk, p.on), page=True),
    "town-panel": Spec(lambda p: f"/towns/{p.town.pk}/panel.json",
                       lambda p: floors.town_history(p.town.pk), page=True, note="the map's side panel"),
    "area-detail": Spec(lambda p: f"/areas/{p.area.slug}/?date={p.on}", lambda p: floors.area_page(p.on, p.area.pk),
                        page=True),
    "what-changed": Spec(lambda p: f"/changes/?{_period(p)}", lambda p: floors.what_changed(p.start, p.on),
                         page=True, note="a 30-day diff"),
    "compare": Spec(lambda p: f"/compare/?{_period(p)}", lambda p: floors.compare_page(p.start, p.on), page=True,
                    note="two dates side by side; its layers are the API's, fetched per date"),
    "factions": Spec(lambda p: "/factions/", lambda p: floors.factions_page(p.on), page=True,
                     prepare=lambda p: _factions_figures_computed(p), after_cold=lambda p: _factions_job_forgotten(p),
                     note="as `make serve` has it: after a write, the figures over time of the version before while "
                          "the job queue computes the new ones (events.factions_figures); floor: computing them"),
    "area-conflicts": Spec(lambda p: f"/areas-conflicts/?theatre=syria&date={p.on}",
                           lambda p: floors.area_conflicts(p.on), page=True,
                           note="towns against drawn areas (none drawn in the bench's country)"),
    "change-feed": Spec(lambda p: "/feeds/changes.atom", lambda p: floors.change_feed(), page=True,
                        note="Atom: the newest publications and retractions"),
    "map-download": Spec(lambda p: f"/map.html?date={p.on}", lambda p: floors.map_file(p.on),
                         note="a file to keep: no page-size target"),
    "embed": Spec(lambda p: f"/embed/?date={p.on}", page=True, note="the map for another site's iframe"),
    "timelapse": Spec(lambda p: f"/timelapse.gif?theatre=syria&from={_timelapse_start(p)}&to={p.on}&step=days",
                      lambda p: floors.timelapse(_timelapse_start(p), p.on),
                      note=f"{TIMELAPSE_FRAMES} frames, a day each; floor: their rows and the GIF encoded again"),
    # citable releases (events/release_views.py)
    "releases": Spec(lambda p: "/releases/", page=True),
    "release-detail": Spec(lambda p: f"/releases/{p.release.theatre.slug}/{p.release.number}/", page=True),
    "release-file": Spec(lambda p: f"/releases/{p.release.theatre.slug}/{p.release.number}/control.geojson",
                         lambda p: floors.release_file(_release_file(p, "control.geojson")),
                         note="checked against its sha256 before it is served"),
    # API layers and exports
    # API layers and exports: each layer as GeoJSON, and as files for QGIS (.gpkg) and Google Earth (.kml)
    **{f"api:{route}-{fmt}": Spec(spec.url_as(fmt), spec.floor)
       for route, spec in LAYER_SPECS.items() for fmt in ("geojson", "gpkg", "kml")},
    "api:changes-csv": Spec(lambda p: f"/api/changes.csv?{_period(p)}",
                            lambda p: floors.changes_between(p.start, p.on)),
    "api:area-conflicts": Spec(lambda p: f"/api/area-conflicts.json?theatre=syria&date={p.on}",
                               lambda p: floors.area_conflicts(p.on)),
    "api:change-dates": Spec(lambda p: "/api/change-dates.json", lambda p: floors.change_dates()),
    "api:territory-change": Spec(lambda p: f"/api/territory-change.json?{_period(p)}",
                                 lambda p: (floors.control_areas(p.start), floors.control_areas(p.on))),
    # the DRF router
    "api:api-root": Spec(lambda p: "/api/"),
    "api:theatre-list": Spec(lambda p: "/api/theatres/", lambda p: floors.theatres()),
    "api:theatre-detail": Spec(lambda p: f"/api/theatres/{p.theatre.slug if p.theatre else 'syria'}/",
                               lambda p: floors.theatres()),
    "api:faction-list": Spec(lambda p: "/api/factions/", lambda p: floors.api_page("faction")),
    "api:faction-detail": Spec(lambda p: f"/api/factions/{p.faction.slug}/",
                               lambda p: floors.api_one("faction", p.faction.pk)),
    "api:area-list": Spec(lambda p: "/api/areas/", lambda p: floors.api_page("area")),
    "api:area-detail": Spec(lambda p: f"/api/areas/{p.area.slug}/", lambda p: floors.api_one("area", p.area.pk)),
    "api:town-list": Spec(lambda p: "/api/towns/", lambda p: floors.api_page("town")),
    "api:town-detail": Spec(lambda p: f"/api/towns/{p.town.slug}/", lambda p: floors.api_one("town", p.town.pk)),
    "api:source-list": Spec(lambda p: "/api/sources/", lambda p: floors.api_page("source")),
    "api:source-detail": Spec(lambda p: f"/api/sources/{p.source.pk}/",
                              lambda p: floors.api_one("source", p.source.pk)),
    # The floor counts every time; the route keeps its count per data version (events.api.pagination.CountKept):
    # cold counts, warm reads the count kept.
    "api:controlchange-list": Spec(lambda p: "/api/control-changes/", lambda p: floors.api_page("change"),
                                   note="count kept per data version: cold counts it, warm reads it"),
    "api:controlchange-detail": Spec(lambda p: f"/api/control-changes/{p.change.pk}/",
                                     lambda p: floors.api_one("change", p.change.pk)),
    "api:confirmation-list": Spec(lambda p: "/api/confirmations/", lambda p: floors.api_page("confirmation")),
    "api:dispute-list": Spec(lambda p: "/api/disputes/", lambda p: floors.api_page("dispute")),
    "api:dispute-detail": Spec(lambda p: f"/api/disputes/{p.dispute.pk}/",
                               lambda p: floors.api_one("dispute", p.dispute.pk)),
    "api:confirmation-detail": Spec(lambda p: f"/api/confirmations/{p.confirmation.pk}/",
                                    lambda p: floors.api_one("confirmation", p.confirmation.pk)),
}


def _as_published(url: Callable[[Params], str]) -> Callable[[Params], str]:
    return lambda p: f"{url(p)}{'&' if '?' in url(p) else '?'}as_published={p.on}"


def _as_published_variant(route: str, note: str) -> tuple[str, Spec]:
    spec = SPECS[route]
    return route, Spec(_as_published(spec.url), spec.floor, spec.page, note, as_published=True)


def _feed_faction_ids(p: Params) -> list[int]:
    from events.params import parse_faction

    return sorted(parse_faction(p.faction.slug))


def _whole_history_written(p: Params) -> str:
    """The whole history's GeoPackage written for the database's version (once: a later run finds it)."""
    from django.core.cache import cache

    from events import queued_files

    # The files under EXPORTS_DIR (bench.__main__: per size and database) are this database's, whatever run
    # wrote them: a version names one state of its data (a run's writes are rolled back).
    cache.set("queued-files:epoch", "bench", None)
    return f"the job's writing: {queued_files.write(query={'theatre': p.theatre.slug} if p.theatre else {})}"


def _factions_figures_computed(p: Params) -> str:
    """The factions page's figures over time computed by the job for the database's version (once per process:
    a later call finds them), as the job queue of `make serve` had done before the write."""
    from events import factions_figures

    return f"the job's computing: {factions_figures.compute(p.theatre.pk if p.theatre else None)}"


def _factions_job_forgotten(p: Params) -> None:
    """The lock of the job the cold request queued let go: each cold run queues it again, as after a write."""
    from django.core.cache import cache

    from events import factions_figures

    theatre_id = p.theatre.pk if p.theatre else None
    cache.delete(factions_figures._lock_key(theatre_id, factions_figures._version()))


# More figures of routes SPECS names: {figure key: (route key, spec)}; a key is "<route>@<what differs>".
VARIANTS: dict[str, tuple[str, Spec]] = {
    "api:control-geojson@as_published": _as_published_variant(
        "api:control-geojson", "as published at the end of the day: later corrections and late entries left out"),
    "api:control-areas-geojson@as_published": _as_published_variant("api:control-areas-geojson", "as published"),
    "home@as_published": _as_published_variant("home", "the map as published, said on the page"),
    "what-changed@as_published": _as_published_variant("what-changed", "the 30-day diff as published"),
    "api:territory-change@as_published": _as_published_variant("api:territory-change", "as published"),
    "change-feed@as_published": _as_published_variant(
        "change-feed", "the feed as published: the publications and retractions made by the end of the day"),
    "change-feed@theatre": ("change-feed", Spec(
        lambda p: "/feeds/changes.atom?theatre=syria",
        lambda p: floors.change_feed(theatre_id=Theatre.objects.get(slug="syria").pk), page=True,
        note="the feed of one theatre")),
    "change-feed@faction": ("change-feed", Spec(
        lambda p: f"/feeds/changes.atom?faction={p.faction.slug}",
        lambda p: floors.change_feed(faction_ids=_feed_faction_ids(p)), page=True,
        note="the feed of one faction (and its members) gaining or losing")),
    "api:control-spans-gpkg@whole": ("api:control-spans-gpkg", Spec(
        lambda p: "/api/control-spans.gpkg", prepare=_whole_history_written,
        note="the whole history: the file written for the data as it was, to the first byte (events.queued_files)")),
}
FIGURES: dict[str, Spec] = {**SPECS, **{key: spec for key, (_, spec) in VARIANTS.items()}}


def figure_keys(routes: list[str], only: list[str] | None = None) -> list[str]:
    """The figures of these reader routes, each followed by its variants (``only``: the keys named, or a
    route named with its variants)."""
    keys = []
    for route in routes:
        if not only or route in only:
            keys.append(route)
        keys += [key for key, (base, _) in VARIANTS.items() if base == route and (not only or key in only
                                                                                    or route in only)]
    return keys


@dataclass
class RouteFigure:
    key: str
    url: str
    cold: float | None = None
    warm: float | None = None
    floor: float | None = None
    bare: bool = False  # the floor is a bare request: an absolute target
    bytes: int | None = None
    page: bool = False
    runs: tuple[int, int] = (0, 0)
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def _small_target(self) -> float:
        return BARE_TARGET if self.page else SMALL_TARGET

    @property
    def small(self) -> bool:
        return not self.bare and self.floor is not None and self.floor < SMALL_FLOOR

    @property
    def target(self) -> str:
        if self.bare:
            time_target = f"<= {BARE_TARGET * 1000:.0f} ms"
        elif self.small:
            time_target = f"<= {self._small_target * 1000:.0f} ms"
        else:
            time_target = f"<= {RATIO_TARGET:g}x floor"
        return time_target + (", <= 1 MB" if self.page else "")

    def _time_ok(self, value: float | None) -> bool:
        if value is None:
            return False
        if self.bare:
            return value <= BARE_TARGET
        if self.small:
            return value <= self._small_target
        return bool(self.floor) and value / self.floor <= RATIO_TARGET

    @property
    def failed(self) -> list[str]:
        out = list(self.problems)
        if not self.problems:
            out += [name for name, value in (("cold", self.cold), ("warm", self.warm)) if not self._time_ok(value)]
            if self.page and (self.bytes is None or self.bytes > PAGE_BYTES):
                out.append("bytes")
        return out


class RouteTimeout(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float = GUNICORN_TIMEOUT):
    """Stop the request inside after ``seconds``, as gunicorn would: Python code by SIGALRM, a long
    SQLite statement by its progress handler (PostgreSQL by statement_timeout)."""
    def expire(signum, frame):
        raise RouteTimeout(f"stopped at {seconds:.0f} s (gunicorn's timeout: a 500 when served)")

    end = time.monotonic() + seconds
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        raw.set_progress_handler(lambda: int(time.monotonic() > end), 10_000)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [int(seconds * 1000)])
    try:
        yield
    except Exception as exc:
        if time.monotonic() > end - 0.01 and not isinstance(exc, RouteTimeout):
            raise RouteTimeout(f"stopped at {seconds:.0f} s (gunicorn's timeout: a 500 when served)") from exc
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if connection.vendor == "sqlite":
            raw.set_progress_handler(None, 0)
        elif connection.vendor == "postgresql" and connection.is_usable():
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")


def _body(response) -> bytes:
    return response.getvalue()  # a streamed export is read to its end, inside the timed call


def _first_byte(response) -> bytes:
    """A file response's first chunk (the time a client waits before the file starts to come). The file is let
    go unread: the test client closes the response when its iterator is dropped."""
    return next(iter(response.streaming_content), b"") if response.streaming else response.content


def _timed(fn: Callable[[], object], runs: int, before: Callable | None = None) -> tuple[float, int, object]:
    """Median of up to ``runs`` calls, fewer once ``BUDGET_SECONDS`` are spent (at least one)."""
    from bench.figures import timed

    return timed(fn, runs, before, budget=BUDGET_SECONDS)


def same_bytes_floor(body: bytes, content_type: str) -> Callable[[], object]:
    """Writing the same bytes: orjson for JSON, the csv module for CSV, pyogrio for a GeoPackage (the
    frame read back from it), ElementTree for KML and Atom, nothing for anything else."""
    if "geopackage" in content_type:
        return _gpkg_floor(body)
    if "kml" in content_type or "atom" in content_type:  # the feed is written as XML too
        root = ElementTree.fromstring(body)
        return lambda: ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    if "json" in content_type:
        parsed = orjson.loads(body)
        return lambda: orjson.dumps(parsed)
    if content_type.startswith("image/gif"):  # a timelapse: its frames encoded again
        from PIL import Image, ImageSequence

        from geodata.frames import frames_gif

        with Image.open(io.BytesIO(body)) as image:
            frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)]
        return lambda: frames_gif(frames)
    if "csv" in content_type:
        rows = list(csv.reader(io.StringIO(body.decode())))

        def write():
            out = io.StringIO()
            csv.writer(out).writerows(rows)
            return out.getvalue().encode()
        return write
    return lambda: None


def _gpkg_floor(body: bytes) -> Callable[[], object]:
    import pyogrio

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "read.gpkg"
        path.write_bytes(body)
        frame = pyogrio.read_dataframe(path)
        layer = pyogrio.list_layers(path)[0][0]

    def write():
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "written.gpkg"
            pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
            return path.read_bytes()
    return write


def retry_locked(fn: Callable[[], float], tries: int = 3) -> float:
    """``fn()``, waiting out another process that holds SQLite's write lock past the busy timeout."""
    for attempt in range(1, tries + 1):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries:
                raise
            print(f"bench: {exc} (another process writes to this database); try {attempt + 1} of {tries}",
                  file=sys.stderr)
            time.sleep(5)
    raise AssertionError("unreachable")


def publish_draft(params: Params, reviewer) -> None:
    """The write before a cold request: a reviewer publishes a draft (the revision moves)."""
    services.control_change_publish(change=params.draft, by=reviewer)


def route_figure(*, key: str, spec: Spec, params: Params, client, reviewer, runs: int,
                 round_trip: Callable[[], float]) -> RouteFigure:
    url = params.url(spec)
    scope = floors.theatre_scope(None if params.theatre is None else params.theatre.pk)
    figure = RouteFigure(key=key, url=url, page=spec.page, bare=spec.floor is None, note=spec.note)
    response = None

    def get():
        nonlocal response
        # A file the job queue writes is queued for `make serve`'s worker, not written in the request.
        queue = override_settings(JOBS_SYNC=False) if spec.prepare else contextlib.nullcontext()
        with deadline(), queue:
            response = client.get(url)
            body = _first_byte(response) if spec.prepare else _body(response)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {body[:200]!r}")
        return body

    def cold_once():
        with transaction.atomic():
            publish_draft(params, reviewer)
            start = time.perf_counter()
            try:
                get()
            finally:
                elapsed = time.perf_counter() - start
                if spec.after_cold is not None:
                    spec.after_cold(params)
                transaction.set_rollback(True)
        return elapsed

    try:
        if spec.prepare is not None:
            figure.note += f"; {spec.prepare(params)}"
        cold_times = []
        for _ in range(runs):
            cold_times.append(retry_locked(cold_once))
            if sum(cold_times) > BUDGET_SECONDS:
                break
        figure.cold = statistics.median(cold_times)
        figure.runs = (len(cold_times), 0)
        body = get()  # fills the caches of this revision
        figure.bytes = int(response["Content-Length"]) if spec.prepare and response.streaming else len(body)
        figure.warm, warm_runs, _ = _timed(get, runs)
        figure.runs = (len(cold_times), warm_runs)
        bare = round_trip()
        if spec.floor is None:
            figure.floor = bare
        else:  # the bare request through the middleware, the rows' queries, writing the same bytes
            write = same_bytes_floor(body, response.get("Content-Type", ""))
            with scope, floors.known_at_scope(params.known_at if spec.as_published else None):
                floor = _timed(lambda: spec.floor(params), runs)[0]
            figure.floor = bare + floor + _timed(write, runs)[0]
    except RouteTimeout as exc:
        figure.problems.append(f"{'warm' if figure.cold is not None else 'cold'} {exc}")
    except Exception as exc:  # a route that breaks is a failed target, named, not a crashed bench
        figure.problems.append(f"{type(exc).__name__}: {str(exc)[:160]}")
    finally:
        connection.close_if_unusable_or_obsolete()
    return figure
