"""Many control changes in a few queries (the CSV import), by the same rules as one at a time."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from geodata.services.records import records_insert
from geodata.services.revision import revision_bump, revision_lock, theatres_of

from ..models import ControlChange, Source
from ..permissions import PERM_ADD, PERM_PUBLISH, Actor, User, user_require
from ..selectors.delays import DelayTable
from ._audit import acting_user, audit_reason
from .lifecycle import ONE_PER_DAY_PART_MESSAGE, control_changes_check
from .sources import sources_save_many

IMPORTED = "imported"
ONE_PER_DAY_PART_COLUMNS = ("town_id", "effective_date", "day_part")


@dataclass(slots=True)
class NewChange:
    """One change to create in bulk; ``sources`` may hold unsaved Source rows (created first)."""

    change: ControlChange
    sources: list[Source] = field(default_factory=list)


def control_changes_create_allowed(*, by: Actor, publish: bool = False) -> None:
    """Raise PermissionDenied unless ``by`` may add changes (and, with ``publish``, publish them).

    Interfaces call it before reading a file, so a refusal comes before any work, not after it.
    """
    user_require(user=by, perm=PERM_ADD, action="add control changes")
    if publish:
        user_require(user=by, perm=PERM_PUBLISH, action="publish control changes")


# Rows written per round: each round's history and link rows are built, sent and dropped, so the
# memory of a 100,000-row import does not grow with its history rows.
ROWS_PER_ROUND = 5000


@transaction.atomic
def control_changes_create_many(
    *, new: Sequence[NewChange], by: Actor, publish: bool = False, progress=None
) -> list[ControlChange]:
    """Create many changes in a few queries (imports); all or nothing, same rules as one by one.

    Callers resolve towns and factions beforehand (see ``events.imports``); this re-checks every
    in-memory rule and the one-change-per-town-date-and-part-of-day rule against the database.
    New sources go through ``sources_save_many``, so they need the same add-source permission as one.
    ``progress(stage, done, total)``, if given, hears how many changes are written.
    """
    control_changes_create_allowed(by=by, publish=publish)
    actor = acting_user(by)
    now = timezone.now()
    state = ControlChange.State.PUBLISHED if publish else ControlChange.State.DRAFT
    delays = DelayTable() if publish else None
    for item in new:
        change = item.change
        change.state, change.entered_by, change.entered_at = state, actor, now
        if delays is not None:  # when it was first published, if the import says so (an older record loaded)
            change.reviewed_by, change.reviewed_at = actor, change.reviewed_at or now
            change.public_from = delays.public_from(change)
    checked = control_changes_check(new=[(item.change, item.sources) for item in new])
    problems = [f"{new[i].change}: {'; '.join(exc.messages)}" for i, exc in checked.items()]
    # Two imports at once queue here (PostgreSQL would otherwise let them deadlock on the unique index):
    # the second then sees the first's rows and reports its clashes row by row.
    revision_lock()
    clashes = control_changes_clashing(changes=[item.change for item in new])
    problems.extend(f"{c}: {ONE_PER_DAY_PART_MESSAGE}" for c in clashes)
    if problems:
        raise ValidationError(problems)

    unsaved = list({id(s): s for item in new for s in item.sources if s.pk is None}.values())
    try:
        with transaction.atomic():  # a savepoint: after a clash the caller may still read
            if unsaved:
                sources_save_many(sources=unsaved, by=by, reason=IMPORTED)
            for start in range(0, len(new), ROWS_PER_ROUND):
                _changes_insert(new[start:start + ROWS_PER_ROUND], actor, audit_reason(IMPORTED, by=by))
                if progress is not None:
                    progress("writing", min(start + ROWS_PER_ROUND, len(new)), len(new))
    except IntegrityError as exc:
        # Another transaction stored a clashing change after the check above read the table (PostgreSQL
        # runs writers side by side; the unique index is the last word).
        for obj in [*unsaved, *(item.change for item in new)]:
            obj.pk = None  # rolled back with the rest
        # PostgreSQL names the index; SQLite names its columns.
        if "change_one_per_town_date_daypart" in str(exc) or all(c in str(exc) for c in ONE_PER_DAY_PART_COLUMNS):
            raise ValidationError(f"{ONE_PER_DAY_PART_MESSAGE} Another write stored a change for the same town, "
                                  "date and part of day meanwhile; nothing was written.", code="clash") from exc
        raise ValidationError(f"Another write changed the same records meanwhile ({exc}); nothing was written.",
                              code="clash") from exc
    if publish and new:  # drafts change no public map: the public caches stay (see audit())
        revision_bump(theatres=theatres_of(item.change for item in new))
    return [item.change for item in new]


def control_changes_clashing(*, changes: Sequence[ControlChange]) -> list[ControlChange]:
    """Changes that would be a second non-superseding change for a town, date and part of day."""
    counted = [c for c in changes if c.supersedes_id is None and c.rival_of_id is None]
    if not counted:
        return []
    dates = [c.effective_date for c in counted]
    taken = set(
        ControlChange.objects.filter(
            supersedes__isnull=True, rival_of__isnull=True,
            state__in=[ControlChange.State.DRAFT, ControlChange.State.PUBLISHED],
            effective_date__gte=min(dates), effective_date__lte=max(dates),
        ).values_list("town_id", "effective_date", "day_part")
    )
    clashes = []
    for change in counted:
        key = (change.town_id, change.effective_date, change.day_part)
        if key in taken:
            clashes.append(change)
        taken.add(key)
    return clashes


def _changes_insert(new: Sequence[NewChange], actor: User | None, reason: str) -> None:
    """Insert changes, their creation records, their source links and those links' history rows."""
    records_insert([item.change for item in new], model=ControlChange, user=actor, reason=reason,
                   links=("sources", [[source.pk for source in item.sources] for item in new]))
