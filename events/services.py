"""Writes to the control log. The admin, the API, imports and the seed loader all call these.

Every write that names a user (``by`` / ``entered_by``) checks that user's permissions here, so
each interface enforces the same roles. ``None`` means a trusted system caller (the seed loader,
a management command run by the operator) and skips the permission check.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

from geodata.models import Town
from geodata.services import town_save

from .models import ControlChange, Faction, Source

User = AbstractBaseUser | AnonymousUser

PERM_ADD = "events.add_controlchange"
PERM_CHANGE = "events.change_controlchange"
PERM_DELETE = "events.delete_controlchange"
PERM_PUBLISH = "events.publish_controlchange"
PERM_RETRACT = "events.retract_controlchange"

# What an editor may set on a draft; the review fields are set only by publish/reject/retract.
EDITABLE_FIELDS = frozenset({
    "town", "faction", "status", "contested_by", "effective_date", "date_precision", "day_part",
    "confidence", "sources", "note", "supersedes",
})
ONE_PER_DAY_PART_MESSAGE = next(
    c.violation_error_message for c in ControlChange._meta.constraints if c.name == "change_one_per_town_date_daypart"
)
# Foreign keys checked through preloaded objects in bulk paths, not one query per row.
RELATION_FIELDS = ["town", "faction", "contested_by", "supersedes", "entered_by", "reviewed_by",
                   "retracted_by"]


def user_require(*, user: User | None, perm: str, action: str) -> None:
    """Raise PermissionDenied unless ``user`` may do ``action``; ``None`` is the system itself."""
    if user is None:
        return
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(f"Sign in to {action}.")
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {action}.")


def _audit(instance, *, by: User | None, reason: str) -> None:
    # simple-history reads these when it writes the historical row for the next save().
    instance._history_user = by if by is not None and by.is_authenticated else None
    instance._change_reason = reason[:100]


def control_change_check(*, change: ControlChange, sources: Sequence[Source] = (), database: bool = True) -> None:
    """Every rule a change must meet; raises one ValidationError naming each bad field.

    ``database=False`` skips the checks that query (related rows exist, uniqueness): bulk
    imports check those against preloaded data instead of once per row.
    """
    if database:
        change.full_clean()
    else:
        errors = {}
        for step in (lambda: change.clean_fields(exclude=RELATION_FIELDS), change.clean):
            try:
                step()
            except ValidationError as exc:
                for name, messages in exc.update_error_dict({}).items():
                    errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
    if change.state == ControlChange.State.PUBLISHED and not sources:
        raise ValidationError({"sources": "A published change needs at least one source."})


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
    state: str = ControlChange.State.DRAFT,
    supersedes: ControlChange | None = None,
    entered_by: User | None = None,
) -> ControlChange:
    """Validate and record one change of control; raises ValidationError naming the field.

    ``entered_by`` is the acting user: an editor may add drafts; entering a change directly as
    published needs the reviewer's publish permission.
    """
    user_require(user=entered_by, perm=PERM_ADD, action="add control changes")
    if state not in (ControlChange.State.DRAFT, ControlChange.State.PUBLISHED):
        raise ValidationError({"state": "A new change is a draft or, for reviewers, published."})
    if state == ControlChange.State.PUBLISHED:
        user_require(user=entered_by, perm=PERM_PUBLISH, action="publish control changes")
    sources = list(sources)
    change = ControlChange(
        town=town,
        faction=faction,
        status=status,
        contested_by=contested_by,
        effective_date=effective_date,
        date_precision=date_precision,
        day_part=day_part,
        confidence=confidence,
        note=note,
        state=state,
        supersedes=supersedes,
        entered_by=entered_by,
    )
    if state == ControlChange.State.PUBLISHED and entered_by is not None:
        change.reviewed_by, change.reviewed_at = entered_by, timezone.now()
    control_change_check(change=change, sources=sources)
    _audit(change, by=entered_by, reason="created")
    change.save()
    if sources:
        _audit(change, by=entered_by, reason="sources set")
        change.sources.set(sources)
    return change


def _locked(change: ControlChange) -> ControlChange:
    """The row as stored now, locked, so two reviewers cannot act on the same change at once."""
    return ControlChange.objects.select_for_update().get(pk=change.pk)


@transaction.atomic
def control_change_update(*, change: ControlChange, by: User | None, **fields) -> ControlChange:
    """Edit a draft. A published change is corrected by a new change that supersedes it."""
    user_require(user=by, perm=PERM_CHANGE, action="edit control changes")
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be edited here." for name in sorted(unknown)})
    current = _locked(change)
    if current.state != ControlChange.State.DRAFT:
        raise ValidationError(
            f"Only drafts can be edited; this change is {current.get_state_display().lower()}. "
            "Enter a new change that supersedes it."
        )
    sources = fields.pop("sources", None)
    for name, value in fields.items():
        setattr(current, name, value)
    control_change_check(change=current)
    _audit(current, by=by, reason="updated")
    current.save()
    if sources is not None and set(sources) != set(current.sources.all()):
        _audit(current, by=by, reason="sources updated")
        current.sources.set(sources)
    return current


@transaction.atomic
def control_change_publish(*, change: ControlChange, by: User | None) -> ControlChange:
    """A reviewer puts a draft on the public map; it needs at least one source."""
    user_require(user=by, perm=PERM_PUBLISH, action="publish control changes")
    current = _locked(change)
    if current.state != ControlChange.State.DRAFT:
        raise ValidationError(f"Only drafts can be published; this change is {current.get_state_display().lower()}.")
    current.state = ControlChange.State.PUBLISHED
    control_change_check(change=current, sources=list(current.sources.all()))
    current.reviewed_by = by if by is not None and by.is_authenticated else None
    current.reviewed_at, current.review_reason = timezone.now(), ""
    _audit(current, by=by, reason="published")
    current.save()
    return current


def _reason_required(reason: str, field_name: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field_name: "Give a reason."})
    return reason


@transaction.atomic
def control_change_reject(*, change: ControlChange, by: User | None, reason: str) -> ControlChange:
    """A reviewer turns a draft down, saying why; it never reaches the map."""
    user_require(user=by, perm=PERM_PUBLISH, action="reject control changes")
    reason = _reason_required(reason, "review_reason")
    current = _locked(change)
    if current.state != ControlChange.State.DRAFT:
        raise ValidationError(f"Only drafts can be rejected; this change is {current.get_state_display().lower()}.")
    current.state = ControlChange.State.REJECTED
    current.reviewed_by = by if by is not None and by.is_authenticated else None
    current.reviewed_at, current.review_reason = timezone.now(), reason
    _audit(current, by=by, reason=f"rejected: {reason}")
    current.save()
    return current


@transaction.atomic
def control_change_retract(*, change: ControlChange, by: User | None, reason: str) -> ControlChange:
    """Take a published change off the map; it stays in the history with the reason."""
    user_require(user=by, perm=PERM_RETRACT, action="retract control changes")
    reason = _reason_required(reason, "retraction_reason")
    current = _locked(change)
    if current.state != ControlChange.State.PUBLISHED:
        raise ValidationError(
            f"Only published changes can be retracted; this change is {current.get_state_display().lower()}."
        )
    current.state = ControlChange.State.RETRACTED
    current.retracted_by = by if by is not None and by.is_authenticated else None
    current.retracted_at, current.retraction_reason = timezone.now(), reason
    _audit(current, by=by, reason=f"retracted: {reason}")
    current.save()
    return current


@transaction.atomic
def control_change_delete(*, change: ControlChange, by: User | None) -> None:
    """Delete a draft entered by mistake; anything reviewed stays on record (retract instead)."""
    user_require(user=by, perm=PERM_DELETE, action="delete control changes")
    current = _locked(change)
    if current.state != ControlChange.State.DRAFT:
        raise ValidationError(
            f"A {current.get_state_display().lower()} change cannot be deleted; "
            "retract a published change instead."
        )
    if current.superseded_by.exists():
        raise ValidationError("Another change supersedes this one; delete or edit that one first.")
    _audit(current, by=by, reason="deleted draft")
    current.delete()


@dataclass
class NewChange:
    """One change to create in bulk; ``sources`` may hold unsaved Source rows (created first)."""

    change: ControlChange
    sources: list[Source] = field(default_factory=list)


@transaction.atomic
def control_changes_create_many(
    *, new: Sequence[NewChange], by: User | None, publish: bool = False
) -> list[ControlChange]:
    """Create many changes in a few queries (imports); all or nothing, same rules as one by one.

    Callers resolve towns and factions beforehand (see ``events.imports``); this re-checks every
    in-memory rule and the one-change-per-town-date-and-part-of-day rule against the database.
    """
    user_require(user=by, perm=PERM_ADD, action="add control changes")
    if publish:
        user_require(user=by, perm=PERM_PUBLISH, action="publish control changes")
    actor = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    state = ControlChange.State.PUBLISHED if publish else ControlChange.State.DRAFT
    problems = []
    for item in new:
        change = item.change
        change.state, change.entered_by, change.entered_at = state, actor, now
        if publish:
            change.reviewed_by, change.reviewed_at = actor, now
        try:
            control_change_check(change=change, sources=item.sources, database=False)
        except ValidationError as exc:
            problems.append(f"{change}: {'; '.join(exc.messages)}")
    clashes = control_changes_clashing(changes=[item.change for item in new])
    problems.extend(f"{c}: {ONE_PER_DAY_PART_MESSAGE}" for c in clashes)
    if problems:
        raise ValidationError(problems)

    unsaved = list({id(s): s for item in new for s in item.sources if s.pk is None}.values())
    if unsaved:
        bulk_create_with_history(unsaved, Source, batch_size=1000, default_user=actor,
                                 default_change_reason="imported")
    changes = bulk_create_with_history(
        [item.change for item in new], ControlChange, batch_size=1000, default_user=actor,
        default_change_reason="imported",
    )
    _sources_set_many(changes, [item.sources for item in new])
    return changes


def control_changes_clashing(*, changes: Sequence[ControlChange]) -> list[ControlChange]:
    """Changes that would be a second non-superseding change for a town, date and part of day."""
    counted = [c for c in changes if c.supersedes_id is None]
    if not counted:
        return []
    dates = [c.effective_date for c in counted]
    taken = set(
        ControlChange.objects.filter(
            supersedes__isnull=True,
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


def _sources_set_many(changes, sources_per_change) -> None:
    """Link sources in bulk and give each change's creation record its sources, as set() would."""
    through = ControlChange.sources.through
    links = through.objects.bulk_create(
        [through(controlchange_id=c.pk, source_id=s.pk)
         for c, sources in zip(changes, sources_per_change, strict=True) for s in sources],
        batch_size=1000,
    )
    if not links:
        return
    history = get_history_manager_for_model(ControlChange)
    records = {
        r.id: r for r in history.filter(id__in=[link.controlchange_id for link in links], history_type="+")
    }
    m2m_history = apps.get_model("events", "HistoricalControlChange_sources")
    m2m_history.objects.bulk_create(
        [m2m_history(history=records[link.controlchange_id], id=link.pk, controlchange_id=link.controlchange_id,
                     source_id=link.source_id) for link in links],
        batch_size=1000,
    )


@transaction.atomic
def faction_save(*, faction: Faction, by: User | None) -> Faction:
    """Add or edit a faction (reviewers); colour closeness is a warning, see faction_colour_neighbours."""
    perm, action = ("events.add_faction", "add factions") if faction.pk is None else \
        ("events.change_faction", "edit factions")
    user_require(user=by, perm=perm, action=action)
    faction.full_clean()
    _audit(faction, by=by, reason="saved")
    faction.save()
    return faction


# Everything of a source the public pages and API show. Once a published change cites the source,
# editing these changes what the public sees, so it takes a reviewer, as publishing does.
SOURCE_REVIEWED_FIELDS = ("publisher", "title", "url", "published", "language", "summary")
# What of a town the public map, its links and its population figures show (the GeoNames and other
# external ids are reference data editors keep up).
TOWN_REVIEWED_FIELDS = ("name", "slug", "alt_names", "latitude", "longitude", "population")


def _changed_fields(instance, stored, names: Sequence[str]) -> list[str]:
    return [name for name in names if getattr(instance, name) != getattr(stored, name)]


def source_is_public(*, source: Source) -> bool:
    """Whether a published change cites the source, i.e. the public pages show it."""
    return source.pk is not None and source.control_changes.filter(state=ControlChange.State.PUBLISHED).exists()


def town_is_public(*, town: Town) -> bool:
    """Whether the town has published changes, i.e. it is on the public map."""
    return town.pk is not None and ControlChange.objects.filter(
        town_id=town.pk, state=ControlChange.State.PUBLISHED).exists()


def source_edit_allowed(*, source: Source, by: User | None) -> bool:
    """Whether ``by`` may edit what the public sees of this source (see SOURCE_REVIEWED_FIELDS)."""
    return by is None or by.has_perm(PERM_PUBLISH) or not source_is_public(source=source)


def town_edit_allowed(*, town: Town, by: User | None) -> bool:
    """Whether ``by`` may edit what the public sees of this town (see TOWN_REVIEWED_FIELDS)."""
    return by is None or by.has_perm(PERM_PUBLISH) or not town_is_public(town=town)


@transaction.atomic
def source_save(*, source: Source, by: User | None) -> Source:
    """Add or edit a source that changes cite; a source already on the public pages needs a reviewer."""
    perm, action = ("events.add_source", "add sources") if source.pk is None else \
        ("events.change_source", "edit sources")
    user_require(user=by, perm=perm, action=action)
    if source.pk is not None:
        stored = Source.objects.select_for_update().get(pk=source.pk)
        changed = _changed_fields(source, stored, SOURCE_REVIEWED_FIELDS)
        if changed and not source_edit_allowed(source=source, by=by):
            raise PermissionDenied(
                f"This source is cited by a published control change, so its {', '.join(changed)} show on the "
                "public map; only a reviewer can change them. Ask a reviewer, or add a new source."
            )
    source.full_clean()
    _audit(source, by=by, reason="saved")
    source.save()
    return source


@transaction.atomic
def town_edit(*, town: Town, by: User | None) -> Town:
    """Add or edit a town (geodata.services.town_save places it); a town on the public map needs a reviewer
    to rename or move it."""
    perm, action = ("geodata.add_town", "add towns") if town.pk is None else ("geodata.change_town", "edit towns")
    user_require(user=by, perm=perm, action=action)
    if town.pk is not None:
        stored = Town.objects.select_for_update().get(pk=town.pk)
        changed = _changed_fields(town, stored, TOWN_REVIEWED_FIELDS)
        if changed and not town_edit_allowed(town=town, by=by):
            raise PermissionDenied(
                f"{stored.name} has published control changes, so its {', '.join(changed)} show on the public "
                "map; only a reviewer can change them. Ask a reviewer."
            )
    _audit(town, by=by, reason="saved")
    return town_save(town=town)
