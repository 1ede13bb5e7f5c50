"""The one rule for what is in force, written once and rendered as an ORM condition and as SQL.

A change counts when the reader can see it: published (or, in an editor's preview, a draft too);
"as known at" a moment T, when it had been published by T and not yet retracted at T. A change that
counts is in force unless a change that also counts supersedes it. On a date D, a town's change in
force is the latest one on or before D in CHRONOLOGICAL order (date, part of day, entry order).

A claim a reviewer decided a dispute against (``dispute_lost_at``, events.dispute_models) does not
count, from the moment of the decision: it stays on record as a claim. Until a dispute is decided its
claims count like any change, so the order above puts the later entry in force (the town is shown as
disputed beside it).

Every reader composes this module: the slice and its grouped counts (SQL), timelines, the date
walk, diffs, exports and pages (ORM). ``Visibility`` says which changes a reader may see.
"""

import bisect
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db import connection
from django.db.models import BooleanField, DateTimeField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from ..models import ControlChange
from .rows import column as _column

# Same-day order: part of day (unspecified first), then entry order.
CHRONOLOGICAL = ("effective_date", "day_part", "id")
LATEST_FIRST = tuple(f"-{name}" for name in CHRONOLOGICAL)
_ORDER = attrgetter(*CHRONOLOGICAL)
State = ControlChange.State
# What a missing moment compares as, in the ORM form of the terms: later than any moment (never, or not yet).
_NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Visibility:
    """Which changes a reader sees: the public's (published), an editor's preview (drafts too), and
    ``known_at``: what the public could see at that moment (None: as known now)."""

    published_only: bool = True
    known_at: dt.datetime | None = None
    # An anonymous reader's view: a published change counts once its ``public_from`` has passed (the
    # publication delay, events.delay_models), read at ``reading_now()``. Editors read without it.
    delayed: bool = False

    def __post_init__(self):
        if self.known_at is not None and not self.published_only:
            raise ValueError("A preview with drafts shows what is entered now; it takes no 'known at' moment.")
        if self.delayed and not self.published_only:
            raise ValueError("An editor's preview with drafts is never delayed.")

    @property
    def key(self) -> str:
        """A short name for cache keys (a delayed view's moment is in ``data_version``, not here)."""
        when = "now" if self.known_at is None else f"{self.known_at.timestamp():.6f}"
        return f"{int(self.published_only)}@{when}{'~d' if self.delayed else ''}"

    def terms(self) -> list[tuple[str, str, Any]]:
        """The condition a change must meet to count, as (field, test, value): the one definition that
        ``counted_q`` and ``counted_sql`` render."""
        if self.known_at is None:
            states = [State.PUBLISHED] if self.published_only else [State.PUBLISHED, State.DRAFT]
            return [*states_term(states), ("dispute_lost_at", "isnull", True), *self._delay_terms()]
        # Published by then, and not yet retracted (nor decided against in a dispute) then (a retracted
        # change was published first).
        return [("state", "in", [str(State.PUBLISHED), str(State.RETRACTED)]),
                ("reviewed_at", "lte", self.known_at), ("retracted_at", "null_or_gt", self.known_at),
                ("dispute_lost_at", "null_or_gt", self.known_at), *self._delay_terms()]

    def _delay_terms(self) -> list[tuple[str, str, Any]]:
        """A delayed view's term: public by the moment read (never later than now: a future ``known_at``
        must not show what is still held back)."""
        if not self.delayed:
            return []
        now = reading_now()
        return [("public_from", "null_or_lte", now if self.known_at is None else min(self.known_at, now))]


def states_term(states) -> list[tuple[str, str, Any]]:
    return [("state", "in", [str(s) for s in states])]


PUBLIC = Visibility()  # the published record, undelayed (what an editor reads of it)
PUBLIC_DELAYED = Visibility(delayed=True)  # what an anonymous reader sees of it now

# The moment a request reads the public record as known at (``?as_published=``), or None: as known now.
# Set for a request by ``events.as_published``; every reader that asks ``visibility()`` for the public's
# view composes it, so the slice, counts, dates, diffs, exports and their cache keys follow it at once.
_known_at: ContextVar[dt.datetime | None] = ContextVar("known_at", default=None)


def known_moment() -> dt.datetime | None:
    """The moment the public record is read as known at in this context (None: as known now)."""
    return _known_at.get()


@contextmanager
def as_known_at(moment: dt.datetime | None) -> Iterator[None]:
    """Read the public record as known at ``moment`` (None: as known now) inside the block."""
    token = _known_at.set(moment)
    try:
        yield
    finally:
        _known_at.reset(token)


# Who reads in this context: an editor (True) sees published changes at once; anyone else (the default,
# so commands, feeds and releases hold delayed changes back too) only once their delay has passed.
# Set for a request by ``events.readers.ReaderMiddleware``.
_editor: ContextVar[bool] = ContextVar("editor_reader", default=False)
# The moment a delayed view is read at, pinned for a request so its rule and its cache key agree.
_now: ContextVar[dt.datetime | None] = ContextVar("reading_now", default=None)


def reading_now() -> dt.datetime:
    """Now, for the publication delay: this context's pinned moment, else the clock."""
    return _now.get() or timezone.now()


def editor_reads() -> bool:
    """Whether this context reads as an editor (publication delays do not apply)."""
    return _editor.get()


@contextmanager
def as_reader(*, editor: bool, now: dt.datetime | None = None) -> Iterator[None]:
    """Read as an editor (no publication delay) or as the public, at ``now`` (None: the clock) inside the block."""
    tokens = (_editor.set(editor), _now.set(now))
    try:
        yield
    finally:
        _editor.reset(tokens[0])
        _now.reset(tokens[1])


def visibility(*, published_only: bool = True, known_at: dt.datetime | None = None) -> Visibility:
    """The public's view (as known at ``known_at``, else at this context's moment; delayed unless an editor
    reads), or an editor's preview."""
    if not published_only:
        return Visibility(published_only=False)
    if known_at is None:
        known_at = _known_at.get()
    delayed = not _editor.get()
    if known_at is None:
        return PUBLIC_DELAYED if delayed else PUBLIC
    return Visibility(True, known_at, delayed)


def _own_terms(seen: Visibility, model) -> list[tuple[str, str, Any]]:
    """``seen.terms()`` that ``model`` has columns for: a record reviewed alike but never disputed (a
    confirmation) has no dispute column, so that term is the change's alone."""
    own = {f.name for f in model._meta.concrete_fields}
    return [term for term in seen.terms() if term[0] in own]


def counted_q(seen: Visibility, prefix: str = "", model=ControlChange, *, estimated: bool = False) -> Q:
    """``seen.terms()`` as an ORM condition (``prefix`` for a related change, e.g. "superseded_by__"; ``model``
    a record reviewed alike, as for ``counted_sql``).

    ``estimated``: on PostgreSQL, the terms as plain column tests (as counted_sql writes them there), which it
    estimates from the columns' statistics, where each COALESCE(...) test is a fixed guess of a third. For a
    correlated subquery whose plan turns on it (replaced_change_query): four such guesses made the rule's rows
    one, so it read every earlier change of the town and sorted them rather than walking the town's index to
    the first. Elsewhere the guesses stay: estimated honestly, a month of changes as published was counted by
    a parallel plan, twice as slow on a busy machine (what-changed as published, 6 ms to 11-17 ms).
    """
    condition = Q()
    columns = estimated and connection.vendor == "postgresql"
    for field, test, value in _own_terms(seen, model):
        name = prefix + field
        if columns and test in ("null_or_lte", "null_or_gt"):
            bound = "lte" if test == "null_or_lte" else "gt"
            condition &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__{bound}": value})
        elif columns and test == "lte":
            condition &= Q(**{f"{name}__lte": value})
        elif test == "null_or_lte":
            # COALESCE, not "IS NULL OR <=": SQLite took the OR as a way in by change_public_from_idx
            # (a MULTI-INDEX OR over nearly the whole log) instead of the date or town index.
            condition &= Q(LessThanOrEqual(Coalesce(F(name), Value(value, output_field=DateTimeField())), value))
        elif test == "null_or_gt":
            # The same for "not yet retracted then": "IS NULL OR >" was a MULTI-INDEX OR by change_retracted_idx.
            condition &= Q(GreaterThan(Coalesce(F(name), Value(_NEVER, output_field=DateTimeField())), value))
        elif test == "lte":
            # "Published by then" as an expression, as counted_sql's +column: a bare column had SQLite read the
            # publications up to then by change_reviewed_idx (half the log at a mid-log moment) and sort them,
            # where the date walks (first and latest change date) want change_date_idx, which holds the
            # publication moment for this test (4 s to 0.1 s at a million changes).
            condition &= Q(LessThanOrEqual(Coalesce(F(name), Value(_NEVER, output_field=DateTimeField())), value))
        else:
            condition &= Q(**{f"{name}__{test}": value})
    return condition


def counted_sql(seen: Visibility, alias: str, model=ControlChange) -> tuple[str, list]:
    """``seen.terms()`` as SQL on the change table aliased ``alias`` (or on ``model``'s, a record reviewed
    alike with the same state and review columns: a confirmation).

    On SQLite the state is written +alias.state: a unary plus keeps the planner off any index that
    starts with the state (without statistics it took one for a town's walk and the supersedes check,
    and the slice went from 0.2 s to tens of minutes at a million changes).
    """
    plus = "" if connection.vendor == "postgresql" else "+"
    parts, params = [], []
    for field, test, value in _own_terms(seen, model):
        column = f"{alias}.{_column(model, field)}"
        if test == "in":
            parts.append(f"{plus}{column} IN ({', '.join(['%s'] * len(value))})")
            params += list(value)
        elif test == "lte":
            # +column as for the state: the change feed's index on the publication time must not become
            # SQLite's way into the slice's walk per town (the town index is).
            parts.append(f"{plus}{column} <= %s")
            params.append(connection.ops.adapt_datetimefield_value(value))
        elif test in ("null_or_gt", "null_or_lte"):
            parts.append(f"({column} IS NULL OR {plus}{column} {'>' if test == 'null_or_gt' else '<='} %s)")
            params.append(connection.ops.adapt_datetimefield_value(value))
        elif test == "isnull" and value is True:
            parts.append(f"{column} IS NULL")
        else:  # pragma: no cover - terms() names only the tests above
            raise ValueError(test)
    return " AND ".join(parts), params


def changes_in_force(
    *,
    published_only: bool = True,
    known_at: dt.datetime | None = None,
    seen: Visibility | None = None,
    estimated: bool = False,
) -> QuerySet[ControlChange]:
    """Changes that count and that no change that counts supersedes (ORM form; ``estimated``: see counted_q)."""
    seen = seen or visibility(published_only=published_only, known_at=known_at)
    superseding = ControlChange.objects.filter(counted_q(seen, estimated=estimated), supersedes=OuterRef("pk"))
    return ControlChange.objects.filter(counted_q(seen, estimated=estimated)).filter(~Exists(superseding))


def in_force_sql(seen: Visibility, alias: str) -> tuple[str, list]:
    """The same as changes_in_force, as a SQL condition on the change table aliased ``alias``."""
    table = ControlChange._meta.db_table
    mine, mine_params = counted_sql(seen, alias)
    theirs, theirs_params = counted_sql(seen, f"{alias}_s")
    sql = (f"{mine} AND NOT EXISTS (SELECT 1 FROM {table} {alias}_s "
           f"WHERE {alias}_s.supersedes_id = {alias}.id AND {theirs})")
    return sql, [*mine_params, *theirs_params]


def latest_first_sql(alias: str) -> str:
    """ORDER BY for a town's changes, latest first, in CHRONOLOGICAL's order."""
    return ", ".join(f"{alias}.{_column(ControlChange, f)} DESC" for f in CHRONOLOGICAL)


def in_force(timeline: Sequence, on: dt.date, day_part: int | None = None):
    """The entry of ``timeline`` (a town's changes in force, in order) in force at the end of ``on``, or
    of its ``day_part`` when given. An entry of that very part of day counts as before it: a new entry
    comes after the existing ones."""
    last = bisect.bisect_right(timeline, (on, math.inf if day_part is None else day_part, math.inf), key=_ORDER)
    return timeline[last - 1] if last else None


def replaced_change(timeline: Sequence, change):
    """The change ``change`` replaced: the entry of its town's ``timeline`` just before it in order
    (None for a first record). The one helper every reader asks this of; ``replaced_change_query`` is
    its ORM form."""
    before = bisect.bisect_left(timeline, _ORDER(change), key=_ORDER)
    return timeline[before - 1] if before else None


def replaced_change_query(*, seen: Visibility | None = None) -> QuerySet[ControlChange]:
    """replaced_change as a subquery on an outer change (OuterRef): its town's change in force just before it
    (for the public, as known at this context's moment, when ``seen`` is left out)."""
    seen = seen or visibility()
    earlier: Q | _RowBefore
    if connection.vendor == "postgresql":
        # One row comparison: an index range of change_town_asof_idx that starts at the outer change, walked
        # backwards to the first change in force (the OR below is three ranges, each read whole and sorted);
        # with the rule's terms estimated (counted_q), 1.2 ms for a feed page's 101 entries, against 19-27 ms.
        earlier = _RowBefore(CHRONOLOGICAL)
    else:
        earlier = (
            Q(effective_date__lt=OuterRef("effective_date"))
            | Q(effective_date=OuterRef("effective_date"), day_part__lt=OuterRef("day_part"))
            | Q(effective_date=OuterRef("effective_date"), day_part=OuterRef("day_part"), pk__lt=OuterRef("pk"))
        )
    in_force = changes_in_force(seen=seen, estimated=True)
    return in_force.filter(earlier, town=OuterRef("town")).order_by(*LATEST_FIRST)


def replaced_change_sql(*, outer: str, select: str, join: str = "", seen: Visibility | None = None) -> tuple[str, list]:
    """replaced_change_query as a scalar subquery in SQL on the outer change table named ``outer``: ``select``
    of its town's change in force just before it (aliased ``p``; ``join`` more tables to it). The same terms
    (in_force_sql, which writes them as PostgreSQL estimates them) and the same way in: a row comparison on
    PostgreSQL, the three-way OR elsewhere. For a reader that sends it for a page of rows: the ORM form took
    longer to compile (2 ms) than the database to run it for a hundred rows."""
    seen = seen or visibility()
    rule, params = in_force_sql(seen, "p")
    mine = [f"p.{_column(ControlChange, name)}" for name in CHRONOLOGICAL]
    theirs = [f"{outer}.{_column(ControlChange, name)}" for name in CHRONOLOGICAL]
    if connection.vendor == "postgresql":
        earlier = f"({', '.join(mine)}) < ({', '.join(theirs)})"
    else:
        # (a < a') OR (a = a' AND b < b') OR (a = a' AND b = b' AND c < c'), as the ORM form writes it.
        equal = [f"{a} = {b}" for a, b in zip(mine, theirs, strict=True)]
        earlier = " OR ".join(
            f"({' AND '.join([*equal[:i], f'{mine[i]} < {theirs[i]}'])})" for i in range(len(CHRONOLOGICAL))
        )
    town = _column(ControlChange, "town")
    sql = (
        f"SELECT {select} FROM {ControlChange._meta.db_table} p {join} WHERE p.{town} = {outer}.{town} "
        f"AND ({earlier}) AND {rule} ORDER BY {latest_first_sql('p')} LIMIT 1"
    )
    return sql, params


class _RowBefore(Func):
    """``(a, b, c) < (outer a, outer b, outer c)`` for the fields named: before the outer row in that order."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, names: Sequence[str]):
        super().__init__(*(F(name) for name in names), *(OuterRef(name) for name in names))

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        half = len(compiled) // 2
        mine, theirs = (", ".join(sql for sql, _ in part) for part in (compiled[:half], compiled[half:]))
        return f"({mine}) < ({theirs})", [param for _, params in compiled for param in params]
