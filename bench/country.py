"""The synthetic country, written through the project's own bulk write paths.

The shipped seed first (its loaders: boundaries through ``admin_areas_load``, towns, factions,
sources, changes), then, all through the same services an import uses:

- factions: 8 local groups in the seed's coalitions (``factions_save_many``);
- towns: spread uniformly over the governorates, placed by the town loader's spatial join
  (``towns_save_many``), population 100-50,000;
- sources: one per 25 changes (a report names many towns) (``sources_save_many``);
- the log (``control_changes_create_many``, the CSV import's path), in date order, in batches of
  20,000. That path costs 1.5-3 ms a change on this machine (its checks, then four ORM bulk inserts:
  the change, its history row, its source links and their history), so a million changes would take
  30-60 minutes: past ``SERVICE_CHANGES`` (100,000) changes, the rest of the log (the same generator,
  the same shares) is written by ``_raw_tail``: the same four tables' rows in plain ``executemany``,
  a minute per million. The build report says how many went each way and the time each took.

Shares of the log (``SHARES``; of all changes written), chosen from how a reviewed crowd-sourced log
looks: most changes published; a small review queue; a few corrections, rejections and retractions.

- published 96.5% (contested: 8% of all changes, naming a contesting faction);
- drafts 1.5%, of which a third are then rejected (0.5% of the log): the review queue is 1%;
- corrections 2%: a published change superseding an earlier published one (same town and date);
- retracted 0.5%: published changes taken off the map (``control_change_retract``);
- rejections and retractions go one at a time through the lifecycle service (about 50 ms each here),
  so each stops at ``MAX_TRANSITIONS`` (1,000): 0.1% each at a million changes;
- sources: every published change cites one (85%) or two (15%); 30% of drafts cite none;
- dates: 2011-03-15 to 2025-12-31, day precision 80%, month 15%, approximate 5%; 10% of exact days name a part of day.

Publication times spread over the log, as a real map's are (what ``?as_published=`` reads, ``selectors.rule``):
- a change is published (``reviewed_at``, and ``public_from``: the bench sets no delay) some hours to days after
  the day it happened (``LAG``: 2 hours plus an exponential of mean 30 hours), a late entry (10%) one week to
  six months after it;
- a correction is published 1-60 days (exponential, mean 20) after the change it supersedes;
- a retraction (``retracted_at``) 1-90 days after the change's publication: the lifecycle service stamps the
  moment it runs, so the bench moves its stamp back to there (history rows keep the build's moment);
- drafts and rejections keep the service's stamps (they never count).
So a moment in the middle of the log really leaves out later corrections, retractions and late entries.

Confirmations ("still held by F"): ``CONFIRMATION_SHARE`` (2%) of towns a month, each naming the town's controller
in force (as published now) on its day, a day after that change or later; 3% drafts; published ones cite one
source and are published hours to days after their day. They go through ``records_insert``, the bulk path the
changes' import writes through (rows, history rows, source links and their history).
"""

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import get_history_model_for_model

from bench.progress import progress
from events import services
from events.confirmation_models import Confirmation
from events.models import ControlChange, Faction, Source
from events.permissions import BENCH
from events.seeding import seed_scenario_load
from events.services import NewChange
from geodata import selectors as places
from geodata.models import Town
from geodata.services import theatre_first, towns_save_many
from geodata.services.records import records_insert

FIRST_DAY, LAST_DAY = dt.date(2011, 3, 15), dt.date(2025, 12, 31)
SHARES = {"draft": 0.015, "rejected_of_drafts": 1 / 3, "correction": 0.02, "retracted": 0.005,
          "contested": 0.08, "two_sources": 0.15, "draft_without_source": 0.30, "changes_per_source": 25}
BATCH = 20_000
SERVICE_CHANGES = 100_000
MAX_TRANSITIONS = 1_000
# Publication lags (hours): published LAG_HOURS[0] + an exponential of mean LAG_HOURS[1] after the day; a late
# entry (LATE_SHARE) 7-180 days after it; a correction and a retraction later than what they replace.
LAG_HOURS = (2.0, 30.0)
LATE_SHARE, LATE_DAYS = 0.10, (7, 180)
CORRECTION_DAYS, RETRACTION_DAYS = (1.0, 20.0, 60.0), (1.0, 20.0, 90.0)  # (least, mean of the rest, most)
CONFIRMATION_SHARE, CONFIRMATION_DRAFTS = 0.02, 0.03
LOCAL_GROUPS = [("hts", "opposition"), ("ahrar", "opposition"), ("jaysh-islam", "opposition"),
                ("sna", "tfsa"), ("liwa-quds", "pro-government"), ("hezbollah", "pro-government"),
                ("ypg", "sdf"), ("mgc", "sdf")]


@dataclass
class BuildReport:
    seconds: dict[str, float]
    counts: dict[str, int]


def _factions() -> list[Faction]:
    seed = {f.slug: f for f in Faction.objects.all()}
    new = [Faction(slug=slug, name=f"Bench {slug}", short_name=slug.upper(), parent=seed[parent],
                   colour=f"#{(37 * i) % 256:02x}{(91 * i) % 256:02x}77")
           for i, (slug, parent) in enumerate(LOCAL_GROUPS, 1)]
    services.factions_save_many(factions=new, by=BENCH)
    return list(Faction.objects.exclude(slug="russia").order_by("pk"))  # Russia holds no town in the seed


def _towns(n: int, rng) -> list[Town]:
    areas = places.admin_areas_frame(level=1)
    country = shapely.union_all(areas.geometry.to_numpy())
    inland = country.buffer(-0.02)  # clear of the border, so every town is placed inside an area
    minx, miny, maxx, maxy = inland.bounds
    xs, ys = [], []
    while len(xs) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        keep = shapely.contains_xy(inland, x, y)
        xs.extend(x[keep]), ys.extend(y[keep])
    theatre = theatre_first()  # named once: a Town made without one asks the database for the first theatre
    towns = [Town(theatre=theatre, name=f"Bench town {i}", slug=f"bench-town-{i}", latitude=round(float(y), 5),
                  longitude=round(float(x), 5), population=int(p))
             for i, (x, y, p) in enumerate(zip(xs[:n], ys[:n], rng.integers(100, 50_000, n), strict=True))]
    saved = []
    for start in progress(range(0, n, BATCH), desc="towns (towns_save_many)"):
        saved.extend(towns_save_many(towns=towns[start:start + BATCH]))
    return saved


def _sources(n: int) -> list[Source]:
    new = [Source(publisher=f"Bench wire {i % 40}", title=f"Report {i}", url=f"https://example.org/report/{i}",
                  published=FIRST_DAY + dt.timedelta(days=i % 5_000), language="en") for i in range(n)]
    saved = []
    for start in progress(range(0, n, BATCH), desc="sources (sources_save_many)"):
        saved.extend(services.sources_save_many(sources=new[start:start + BATCH], by=BENCH))
    return saved


def _log_plan(towns: int, changes: int, rng) -> np.ndarray:
    """(day, town index) of every change, unique per town and day, ordered by day then town."""
    span = (LAST_DAY - FIRST_DAY).days + 1
    keys = np.unique(rng.integers(0, towns, int(changes * 1.05)).astype(np.int64) * span
                     + rng.integers(0, span, int(changes * 1.05)))
    if len(keys) < changes:
        raise ValueError(f"{changes:,} changes do not fit {towns:,} towns over {span:,} days")
    keys = rng.permutation(keys)[:changes]
    days, town_idx = keys % span, keys // span
    order = np.lexsort((town_idx, days))
    return np.stack([days[order], town_idx[order]], axis=1)


def _change(town: Town, day: int, factions: list[Faction], rng_row, *, state_draft: bool,
            used: set | None = None) -> ControlChange:
    """One change; ``used`` holds the (town, date, part of day) keys taken so far, kept unique.

    A month-precision change is stored on the month's first day (the lifecycle's rule), so it
    falls back to day precision when that key is taken; an exact day takes a free part of day then.
    """
    u_faction, u_contested, u_precision, u_part, u_conf, u_contester = rng_row
    faction = factions[int(u_faction * len(factions))]
    contested = u_contested < SHARES["contested"]
    contester = factions[int(u_contester * len(factions))] if contested else None
    if contester is not None and contester.pk == faction.pk:
        contester = factions[(factions.index(faction) + 1) % len(factions)]
    precision = "day" if u_precision < 0.8 else ("month" if u_precision < 0.95 else "approximate")
    on = FIRST_DAY + dt.timedelta(days=int(day))
    used = set() if used is None else used
    if precision == "month":
        if (town.pk, on.replace(day=1), 0) in used:
            precision = "day"
        else:
            on = on.replace(day=1)
    part = int(u_part * 40) + 1 if u_part < 0.1 and precision == "day" else 0  # a part of an exact day only
    if (town.pk, on, part) in used and precision == "day":
        part = next(p for p in range(5) if (town.pk, on, p) not in used)
    used.add((town.pk, on, part))
    return ControlChange(
        town=town, faction=faction, effective_date=on,
        status="contested" if contested else "controlled", contested_by=contester, date_precision=precision,
        day_part=part,
        confidence=("confirmed", "reported", "claimed")[int(u_conf * 3)],
        state="draft" if state_draft else "published",
    )


def _cites(sources: list[Source], rng, *, draft: bool) -> list[Source]:
    if draft and rng.random() < SHARES["draft_without_source"]:
        return []
    k = 2 if rng.random() < SHARES["two_sources"] else 1
    return [sources[int(i)] for i in rng.choice(len(sources), k, replace=False)]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _published_at(day: int, u_late: float, u_lag: float) -> dt.datetime:
    """When a change that happened ``day`` days into the log was published: hours to days later, or late."""
    if u_late < LATE_SHARE:
        hours = 24 * (LATE_DAYS[0] + u_lag * (LATE_DAYS[1] - LATE_DAYS[0]))
    else:
        hours = LAG_HOURS[0] - LAG_HOURS[1] * np.log1p(-u_lag)  # exponential by inversion
    return min(_midnight(FIRST_DAY + dt.timedelta(days=int(day))) + dt.timedelta(hours=float(hours)), timezone.now())


def _later(moment: dt.datetime, days: tuple[float, float, float], u: float) -> dt.datetime:
    """``moment`` plus ``days[0]`` and an exponential of mean ``days[1]``, at most ``days[2]`` days (never past now)."""
    later = min(days[0] - days[1] * np.log1p(-u), days[2])
    return min(moment + dt.timedelta(days=float(later)), timezone.now())


def _log(towns: list[Town], factions: list[Faction], sources: list[Source], changes: int, rng,
         seconds: dict) -> None:
    plan = _log_plan(len(towns), changes, rng)
    draws = rng.random((changes, 6))
    drafts = rng.random(changes) < SHARES["draft"]
    lags = rng.random((changes, 2))
    # The raw tail comes first in time order, so the service's part is the latest stretch of the log
    # and its clash check runs against a full database, as a real import's would.
    tail = max(0, changes - SERVICE_CHANGES)
    used: set = set()
    start = time.perf_counter()
    if tail:
        _raw_tail(towns, factions, sources, plan[:tail], draws[:tail], drafts[:tail], lags[:tail], rng, used)
    seconds[f"raw executemany ({tail:,} changes)"] = time.perf_counter() - start
    start = time.perf_counter()
    with progress(total=changes - tail, desc="changes (control_changes_create_many)") as bar:
        for first in range(tail, changes, BATCH):
            batch = {True: [], False: []}
            for row in range(first, min(first + BATCH, changes)):
                day, town = plan[row]
                draft = bool(drafts[row])
                change = _change(towns[town], day, factions, draws[row], state_draft=draft, used=used)
                if not draft:  # the service keeps a publication moment it is given (an older record loaded)
                    change.reviewed_at = _published_at(day, *lags[row])
                batch[draft].append(NewChange(change=change, sources=_cites(sources, rng, draft=draft)))
            for draft, new in batch.items():
                if new:
                    services.control_changes_create_many(new=new, by=BENCH, publish=not draft)
            bar.update(min(BATCH, changes - first))
    seconds[f"control_changes_create_many ({changes - tail:,} changes)"] = time.perf_counter() - start


def _insert(model, rows: list[dict]) -> None:
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[row[f.attname] for f in fields] for row in rows])


def _next_id(model) -> int:
    pk = model._meta.pk.attname
    return (model.objects.order_by(f"-{pk}").values_list(pk, flat=True).first() or 0) + 1


def _raw_tail(towns, factions, sources, plan, draws, drafts, lags, rng, used: set) -> None:
    """The rows control_changes_create_many would write for these changes, without the ORM's per-row cost."""
    history = get_history_model_for_model(ControlChange)
    link, link_history = ControlChange.sources.through, history.sources.model
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    ids = [_next_id(m) for m in (ControlChange, history, link, link_history)]
    with progress(total=len(plan), desc="changes (raw executemany)") as bar:
        for first in range(0, len(plan), BATCH):
            rows, hist, links, link_hist = [], [], [], []
            for row in range(first, min(first + BATCH, len(plan))):
                day, town = plan[row]
                draft = bool(drafts[row])
                change = _change(towns[town], day, factions, draws[row], state_draft=draft, used=used)
                values = {f.attname: getattr(change, f.attname) for f in ControlChange._meta.concrete_fields}
                # As the service writes a published change loaded with its publication moment: public_from is
                # reviewed_at plus the delay, and the bench sets no delay.
                published = None if draft else connection.ops.adapt_datetimefield_value(
                    _published_at(day, *lags[row]))
                values.update(id=ids[0], entered_at=now, updated_at=now, reviewed_at=published, public_from=published)
                rows.append(values)
                hist.append({**values, "history_id": ids[1], "history_date": now, "history_change_reason": "imported",
                             "history_type": "+", "history_user_id": None})
                for source in _cites(sources, rng, draft=draft):
                    links.append({"id": ids[2], "controlchange_id": ids[0], "source_id": source.pk})
                    link_hist.append({"m2m_history_id": ids[3], "id": ids[2], "controlchange_id": ids[0],
                                      "source_id": source.pk, "history_id": ids[1]})
                    ids[2], ids[3] = ids[2] + 1, ids[3] + 1
                ids[0], ids[1] = ids[0] + 1, ids[1] + 1
            with transaction.atomic():
                for model, batch in ((ControlChange, rows), (history, hist), (link, links), (link_history, link_hist)):
                    _insert(model, batch)
            bar.update(len(rows))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (ControlChange, history, link, link_history):
                table, pk = model._meta.db_table, model._meta.pk.column
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{pk}'), MAX({pk})) FROM {table}")


def _corrections(factions: list[Faction], sources: list[Source], rng, changes: int) -> int:
    """Published changes that correct (supersede) an earlier published change of the same town and date."""
    n = int(changes * SHARES["correction"])
    published = list(ControlChange.objects.filter(state="published").order_by("pk").values_list("pk", flat=True))
    targets = ControlChange.objects.filter(pk__in=[published[int(i)] for i in
                                                   np.unique(rng.integers(0, len(published), n))])
    targets = list(targets.select_related("town").order_by("effective_date", "pk"))
    with progress(total=len(targets), desc="corrections (control_changes_create_many)") as bar:
        for start in range(0, len(targets), BATCH):
            new = []
            for old in targets[start:start + BATCH]:
                change = _change(old.town, (old.effective_date - FIRST_DAY).days, factions, rng.random(6),
                                 state_draft=False)
                change.effective_date, change.date_precision = old.effective_date, old.date_precision
                change.day_part, change.supersedes = old.day_part, old
                change.reviewed_at = _later(max(old.reviewed_at, _midnight(old.effective_date)), CORRECTION_DAYS,
                                            rng.random())
                new.append(NewChange(change=change, sources=_cites(sources, rng, draft=False)))
            services.control_changes_create_many(new=new, by=BENCH, publish=True)
            bar.update(len(new))
    return len(targets)


def _transitions(state: str, share: float, move, rng, changes: int) -> int:
    """Reject drafts or retract published changes one at a time, through the lifecycle service."""
    ids = list(ControlChange.objects.filter(state=state, supersedes__isnull=True, superseded_by__isnull=True)
               .values_list("pk", flat=True))
    n = min(len(ids), int(round(changes * share)), MAX_TRANSITIONS)
    chosen = sorted(int(ids[i]) for i in rng.choice(len(ids), n, replace=False)) if n else []
    for pk in progress(chosen, desc=f"{move.__name__} (one by one)"):
        move(change=ControlChange.objects.get(pk=pk), by=BENCH, reason="bench: a later report contradicts it")
    if state == "published" and chosen:  # retracted some days after publication, not at the build's moment
        retracted = list(ControlChange.objects.filter(pk__in=chosen).only("pk", "reviewed_at"))
        for change in retracted:
            change.retracted_at = _later(change.reviewed_at, RETRACTION_DAYS, rng.random())
        ControlChange.objects.bulk_update(retracted, ["retracted_at"], batch_size=500)
    return n


def _in_force_keys() -> tuple[np.ndarray, np.ndarray]:
    """(town id x 2^20 + day of the log, faction id) of every change in force as published now, in order."""
    table = ControlChange._meta.db_table
    keys, factions = [], []
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT c.town_id, c.effective_date, c.faction_id FROM {table} c
            WHERE c.state = 'published' AND c.dispute_lost_at IS NULL AND NOT EXISTS (SELECT 1 FROM {table} s
              WHERE s.supersedes_id = c.id AND s.state = 'published' AND s.dispute_lost_at IS NULL)
            ORDER BY c.town_id, c.effective_date, c.day_part, c.id""")
        while rows := cursor.fetchmany(100_000):
            for town, on, faction in rows:
                on = on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on)[:10])
                keys.append((town << 20) + (on - EARLIEST).days)
                factions.append(faction)
    return np.array(keys, dtype=np.int64), np.array(factions, dtype=np.int64)


EARLIEST = dt.date(1900, 1, 1)


def _confirmations(towns: list[Town], sources: list[Source], rng) -> int:
    """Confirmations of the controller in force, a few per cent of towns a month (see the module's note)."""
    keys, factions = _in_force_keys()
    span = (LAST_DAY - FIRST_DAY).days + 1
    n = int(len(towns) * span / 30.4 * CONFIRMATION_SHARE)
    town_ids = np.array([t.pk for t in towns], dtype=np.int64)[rng.integers(0, len(towns), n)]
    days = rng.integers(0, span, n)
    offset = (FIRST_DAY - EARLIEST).days
    wanted = (town_ids << 20) + offset + days
    at = np.searchsorted(keys, wanted, side="right") - 1
    # The town's change in force that day, strictly before it (a confirmation on the change's own day moves nothing).
    ok = (at >= 0) & ((keys[np.maximum(at, 0)] >> 20) == town_ids) & (keys[np.maximum(at, 0)] < wanted)
    draws = rng.random((n, 3))
    chosen = np.flatnonzero(ok)
    seen, new, cites = set(), [], []
    for i in chosen:
        key = (int(town_ids[i]), int(days[i]))
        if key in seen:
            continue
        seen.add(key)
        on = FIRST_DAY + dt.timedelta(days=int(days[i]))
        draft = draws[i, 0] < CONFIRMATION_DRAFTS
        new.append(Confirmation(
            town_id=key[0], faction_id=int(factions[at[i]]), confirmed_on=on, state="draft" if draft else "published",
            reviewed_at=None if draft else _published_at(int(days[i]), 1.0, draws[i, 1])))
        cites.append([] if draft else [sources[int(draws[i, 2] * len(sources))].pk])
    for start in progress(range(0, len(new), BATCH), desc="confirmations (records_insert)"):
        with transaction.atomic():
            records_insert(new[start:start + BATCH], model=Confirmation, reason="imported [bench]",
                           links=("sources", cites[start:start + BATCH]))
    return len(new)


def country_build(*, towns: int, changes: int, seed: int = 2017) -> BuildReport:
    """Write the whole country; returns seconds per step (the import path's speed at this size)."""
    rng = np.random.default_rng(seed)
    seconds, counts = {}, {}

    def step(name, fn, *args):
        start = time.perf_counter()
        with transaction.atomic():
            result = fn(*args)
        seconds[name] = time.perf_counter() - start
        return result

    step("seed (load_seed's loaders)", seed_scenario_load)
    factions = step("factions_save_many", _factions)
    town_rows = step("towns_save_many", _towns, towns, rng)
    n_sources = max(50, changes // SHARES["changes_per_source"])
    source_rows = step("sources_save_many", _sources, n_sources)
    main = changes - int(changes * SHARES["correction"])
    _log(town_rows, factions, source_rows, main, rng, seconds)  # a transaction per batch, as a file per import
    counts["corrections"] = step("corrections (create_many, superseding)", _corrections, factions, source_rows,
                                 rng, changes)
    counts["rejected"] = _timed_into(seconds, "control_change_reject (each)", _transitions, "draft",
                                     SHARES["draft"] * SHARES["rejected_of_drafts"], services.control_change_reject,
                                     rng, changes)
    counts["retracted"] = _timed_into(seconds, "control_change_retract (each)", _transitions, "published",
                                      SHARES["retracted"], services.control_change_retract, rng, changes)
    counts["confirmations"] = step("confirmations (records_insert)", _confirmations, town_rows, source_rows, rng)
    counts.update(towns=Town.objects.count(), sources=Source.objects.count(), changes=ControlChange.objects.count())
    return BuildReport(seconds=seconds, counts=counts)


def _timed_into(seconds: dict, name: str, fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    seconds[name] = time.perf_counter() - start
    return result
