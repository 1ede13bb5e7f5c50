"""A control change's life: created as a draft (or published by a reviewer), edited while a draft,
then published, rejected or retracted through one transition helper, or deleted while a draft."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conflictmap.text_checks import NUL_MESSAGE, FieldsCleaner, clean_refusing_nul
from geodata.models import Town

from ..models import ControlChange, Faction, Source
from ..permissions import (
    PERM_ADD,
    PERM_CHANGE,
    PERM_DELETE,
    PERM_PUBLISH,
    PERM_RETRACT,
    Actor,
    draft_delete_require,
    user_require,
)
from ..selectors.delays import change_public_from
from ._audit import acting_user, audit
from .disputes import disputes_open_for_published

State = ControlChange.State
Precision = ControlChange.Precision
DayPart = ControlChange.DayPart

# What an editor may set on a draft; the review fields are set only by publish/reject/retract.
EDITABLE_FIELDS = frozenset({
    "town", "faction", "status", "contested_by", "effective_date", "date_precision", "day_part",
    "confidence", "sources", "note", "supersedes", "rival_of",
})
ONE_PER_DAY_PART_MESSAGE = next(
    c.violation_error_message for c in ControlChange._meta.constraints if c.name == "change_one_per_town_date_daypart"
)
# Foreign keys checked through preloaded objects in bulk paths, not one query per row.
RELATION_FIELDS = ["town", "faction", "contested_by", "supersedes", "rival_of", "entered_by", "reviewed_by",
                   "retracted_by"]


def control_change_date_check(*, change: ControlChange) -> None:
    """A date says no more than its precision: a month is the month, an unknown day has no part of day.

    A month-precision change *is* the month, so it is stored as the month's first day: the day an
    editor picked in a date widget (or a file carried) is not a claim and is set to the 1st, so
    the change sorts at the start of its month, before any exact date in it (see the README's
    "the log's order"). An approximate date is kept as entered: "about 2014" is entered as
    2014-01-01 and sorts there. A part of day with a month or approximate date is refused, not
    dropped: it says the source knew more than the precision claims, and only the editor knows
    which of the two is wrong. Sets ``effective_date`` on the unsaved instance; writes nothing.
    """
    precision, on = change.date_precision, change.effective_date
    if precision == Precision.MONTH and isinstance(on, dt.date) and on.day != 1:
        change.effective_date = on.replace(day=1)
    if precision in (Precision.MONTH, Precision.APPROXIMATE) and change.day_part != DayPart.UNSPECIFIED:
        raise ValidationError({"day_part": (
            f"A part of day needs an exact day; this date's precision is {precision}. "
            "Choose day precision or leave the part of day unspecified."
        )})


def control_change_check(*, change: ControlChange, sources: Sequence[Source] = (), database: bool = True) -> None:
    """Every rule a change must meet; raises one ValidationError naming each bad field.

    ``database=False`` skips the checks that query (related rows exist, uniqueness): bulk
    imports check those against preloaded data instead of once per row. A month-precision date
    is set to the month's first day first (``control_change_date_check``).
    """
    if not database:
        problem = control_changes_check(new=[(change, sources)]).get(0)
        if problem is not None:
            raise problem
        return
    _check(change, sources, lambda: clean_refusing_nul(change))


def control_changes_check(*, new: Sequence[tuple[ControlChange, Sequence[Source]]]) -> dict[int, ValidationError]:
    """``control_change_check(database=False)`` of many (change, sources): {position: its ValidationError}.

    The same rules and messages; each distinct value of a field (a date, a state) is checked once
    for the whole batch (``FieldsCleaner``), so a 100,000-row import costs a lookup per field and row.
    """
    fields = FieldsCleaner(ControlChange, exclude=RELATION_FIELDS)
    problems = {}
    for i, (change, sources) in enumerate(new):
        try:
            _check(change, sources, lambda change=change: fields.clean(change, change.clean))
        except ValidationError as exc:
            problems[i] = exc
    return problems


def _check(change: ControlChange, sources: Sequence[Source], clean) -> None:
    errors: dict = {}
    for check in (lambda: control_change_date_check(change=change), clean):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    if change.state == State.PUBLISHED and not sources:
        raise ValidationError({"sources": "A published change needs at least one source."})


def control_change_source_warnings(*, change: ControlChange, sources: Sequence[Source] | None = None) -> list[str]:
    """What a reviewer is warned of before publishing, but may publish anyway; writes nothing.

    A change that cites only sources published before its date: a report cannot tell of what happened
    after it was written, so the date or the citation is likely wrong. Said only when every source has
    a date (an undated one may be the later report) and not for an approximate date. ``sources``
    defaults to the change's stored (or prefetched) sources.
    """
    sources = list(change.sources.all()) if sources is None else list(sources)
    dates = [source.published for source in sources if source.published is not None]
    if not dates or len(dates) < len(sources) or change.date_precision == Precision.APPROXIMATE:
        return []
    latest = max(dates)
    if latest >= change.effective_date:
        return []
    return [
        f"Every source it cites was published before the change ({change.date_label}): the latest, "
        f"{latest:%Y-%m-%d}. A report cannot tell of what happened after it; check the date, or cite a "
        "later source."
    ]


@transaction.atomic
def control_change_create(
    *,
    town: Town,
    faction: Faction,
    effective_date: dt.date,
    status: str = ControlChange.Status.CONTROLLED,
    contested_by: Faction | None = None,
    date_precision: str = ControlChange.Precision.DAY,
    day_part: int = ControlChange.DayPart.UNSPECIFIED,
    confidence: str = ControlChange.Confidence.REPORTED,
    sources: Iterable[Source] = (),
    note: str = "",
    state: str = State.DRAFT,
    supersedes: ControlChange | None = None,
    rival_of: ControlChange | None = None,
    entered_by: Actor,
) -> ControlChange:
    """Validate and record one change of control; raises ValidationError naming the field.

    ``entered_by`` is the acting user: an editor may add drafts; entering a change directly as
    published needs the reviewer's publish permission.
    """
    user_require(user=entered_by, perm=PERM_ADD, action="add control changes")
    if state not in (State.DRAFT, State.PUBLISHED):
        raise ValidationError({"state": "A new change is a draft or, for reviewers, published."})
    if state == State.PUBLISHED:
        user_require(user=entered_by, perm=PERM_PUBLISH, action="publish control changes")
    sources = list(sources)
    change = ControlChange(
        town=town, faction=faction, status=status, contested_by=contested_by, effective_date=effective_date,
        date_precision=date_precision, day_part=day_part, confidence=confidence, note=note, state=state,
        supersedes=supersedes, rival_of=rival_of, entered_by=acting_user(entered_by),
    )
    if state == State.PUBLISHED:  # when it was published, whoever did it: what "as known at" reads
        change.reviewed_at = timezone.now()
        change.reviewed_by = change.entered_by
        change.public_from = change_public_from(change=change)
    control_change_check(change=change, sources=sources)
    public = state == State.PUBLISHED
    audit(change, by=entered_by, reason="created", public=public)
    change.save()
    if sources:
        audit(change, by=entered_by, reason="sources set", public=public)
        change.sources.set(sources)
    if public:
        disputes_open_for_published(change=change, by=entered_by)
    return change


def _locked(change: ControlChange) -> ControlChange:
    """The row as stored now, locked, so two reviewers cannot act on the same change at once."""
    return ControlChange.objects.select_for_update().get(pk=change.pk)


@transaction.atomic
def control_change_update(*, change: ControlChange, by: Actor, **fields) -> ControlChange:
    """Edit a draft. A published change is corrected by a new change that supersedes it."""
    user_require(user=by, perm=PERM_CHANGE, action="edit control changes")
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be edited here." for name in sorted(unknown)})
    current = _locked(change)
    if current.state != State.DRAFT:
        raise ValidationError(
            f"Only drafts can be edited; this change is {current.get_state_display().lower()}. "
            "Enter a new change that supersedes it."
        )
    sources = fields.pop("sources", None)
    for name, value in fields.items():
        setattr(current, name, value)
    control_change_check(change=current)
    audit(current, by=by, reason="updated", public=False)  # drafts only
    current.save()
    if sources is not None and set(sources) != set(current.sources.all()):
        audit(current, by=by, reason="sources updated", public=False)
        current.sources.set(sources)
    return current


@dataclass(frozen=True)
class Transition:
    """A reviewer's move of a change from one state to another, and what it stamps on the row."""

    verb: str  # "publish": names the permission's action and, as ``done``, the audit reason
    done: str
    perm: str
    source: str  # the only state it moves a change out of
    target: str
    stamp: str  # prefix of the <stamp>_by / <stamp>_at fields it sets
    reason_field: str  # where the reviewer's reason is kept (cleared when none is asked for)
    needs_reason: bool


PUBLISH = Transition("publish", "published", PERM_PUBLISH, State.DRAFT, State.PUBLISHED, "reviewed",
                     "review_reason", needs_reason=False)
REJECT = Transition("reject", "rejected", PERM_PUBLISH, State.DRAFT, State.REJECTED, "reviewed",
                    "review_reason", needs_reason=True)
RETRACT = Transition("retract", "retracted", PERM_RETRACT, State.PUBLISHED, State.RETRACTED, "retracted",
                     "retraction_reason", needs_reason=True)
# How a publish despite a warning is recorded: the review reason's prefix, the audit row's reason.
WARNED = "Published despite a warning:"
WARNED_SHORT = "despite a warning (sources dated before the change)"


def _change_published_check(current: ControlChange) -> list[str]:
    sources = list(current.sources.all())
    control_change_check(change=current, sources=sources)
    return control_change_source_warnings(change=current, sources=sources)


@transaction.atomic
def control_change_transition(*, change: ControlChange, by: Actor, move: Transition,
                              reason: str = "") -> ControlChange:
    """Move ``change`` as ``move`` says: permission, reason, locked state check, stamps, audit, save; a
    publication opens a dispute with another source's published claim for its town, date and part of day."""
    current = record_transition(record=change, by=by, move=move, reason=reason, check=_change_published_check)
    if current.state == State.PUBLISHED:
        disputes_open_for_published(change=current, by=by)
    return current


@transaction.atomic
def record_transition(*, record, by: Actor, move: Transition, reason: str = "", check,
                      kind: tuple[str, str, str] = ("control changes", "change", "published changes")):
    """Move a reviewed record (a control change, a drawn area) as ``move`` says: permission, reason,
    locked state check, stamps, audit, save. ``check(current)`` runs before a publish (raising
    ValidationError, or returning warnings published despite); ``kind``: the record's words (plural,
    one, published plural) for messages."""
    plural, one, published = kind
    user_require(user=by, perm=move.perm, action=f"{move.verb} {plural}")
    reason = (reason or "").strip()
    if move.needs_reason and not reason:
        raise ValidationError({move.reason_field: "Give a reason."})
    if "\x00" in reason:  # saved as given: PostgreSQL refuses a NUL in text (was a 500)
        raise ValidationError({move.reason_field: NUL_MESSAGE})
    # The row as stored now, locked, so two reviewers cannot act on the same record at once.
    current = type(record).objects.select_for_update().get(pk=record.pk)
    if current.state != move.source:
        states: dict[str, str] = {State.DRAFT: "drafts", State.PUBLISHED: published}
        raise ValidationError(f"Only {states[move.source]} can be {move.done}; "
                              f"this {one} is {current.get_state_display().lower()}.")
    current.state = move.target
    warnings = check(current) if move.target == State.PUBLISHED else []
    setattr(current, f"{move.stamp}_by", acting_user(by))
    setattr(current, f"{move.stamp}_at", timezone.now())
    if move.target == State.PUBLISHED and isinstance(current, ControlChange):  # held back from the public?
        current.public_from = change_public_from(change=current)
    done = f"{move.done}: {reason}" if reason else move.done
    if warnings:  # published anyway: the warning stays on the row and in the audit trail
        reason = " ".join(filter(None, [reason, f"{WARNED} {' '.join(warnings)}"]))
        done = f"{move.done} {WARNED_SHORT}"
    setattr(current, move.reason_field, reason)
    audit(current, by=by, reason=done, public=State.PUBLISHED in (move.source, move.target))
    current.save()
    current.warnings = warnings
    return current


def control_change_publish(*, change: ControlChange, by: Actor) -> ControlChange:
    """A reviewer puts a draft on the public map; it needs at least one source.

    What ``control_change_source_warnings`` says does not stop it: the change is published, the
    warning is kept in its review reason and audit row, and returned as ``change.warnings`` (a list,
    empty when none) for the interface to show.
    """
    return control_change_transition(change=change, by=by, move=PUBLISH)


def control_change_reject(*, change: ControlChange, by: Actor, reason: str) -> ControlChange:
    """A reviewer turns a draft down, saying why; it never reaches the map."""
    return control_change_transition(change=change, by=by, move=REJECT, reason=reason)


def control_change_retract(*, change: ControlChange, by: Actor, reason: str) -> ControlChange:
    """Take a published change off the map; it stays in the history with the reason."""
    return control_change_transition(change=change, by=by, move=RETRACT, reason=reason)


@transaction.atomic
def control_change_delete(*, change: ControlChange, by: Actor) -> None:
    """Delete a draft entered by mistake; anything reviewed stays on record (retract instead)."""
    user_require(user=by, perm=PERM_DELETE, action="delete control changes")
    current = _locked(change)
    draft_delete_require(change=current, by=by)  # an editor's own draft only; a reviewer's any
    if current.state != State.DRAFT:
        raise ValidationError(
            f"A {current.get_state_display().lower()} change cannot be deleted; "
            "retract a published change instead."
        )
    if current.superseded_by.exists():
        raise ValidationError("Another change supersedes this one; delete or edit that one first.")
    audit(current, by=by, reason="deleted draft", public=False)
    current.delete()
