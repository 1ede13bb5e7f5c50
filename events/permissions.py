"""Who may do what: every permission name events uses, and the rules that combine one with a read.

Services, the API and the admin all read permission names from here, so a role means the same
thing through every door. The system itself (the seed loader, a management command run by the
operator, the bench) acts as a named ``SystemActor`` and passes every check; ``None`` is refused with
a TypeError, so a view that forgets to pass its user fails loudly instead of acting as a superuser.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from geodata.models import Town

from . import selectors
from .models import Source

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class SystemActor:
    """The system acting on the operator's behalf, by name: passes every check, no account is recorded,
    and the audit trail names it (``str()``: "system: seed")."""

    name: str

    def __post_init__(self):
        if not self.name.strip():
            raise ValueError("A system actor needs a name (what is acting: 'seed', 'import_changes' ...).")

    def __str__(self) -> str:
        return f"system: {self.name}"


# The actors the project's own code uses; a script may name its own SystemActor("...").
SEED = SystemActor("seed")
BENCH = SystemActor("bench")

Actor = User | SystemActor


def actor_check(actor: object) -> None:
    """Refuse what is neither a user nor a SystemActor: ``None`` above all, a forgotten ``by=``."""
    if isinstance(actor, SystemActor) or hasattr(actor, "is_authenticated"):
        return
    raise TypeError(
        f"The acting user is {actor!r}: pass the user who acts (request.user), or a permissions.SystemActor "
        "for the system itself; None is not the system."
    )


# Control changes: editors add, edit and delete drafts; reviewers publish, reject and retract.
PERM_ADD = "events.add_controlchange"
PERM_CHANGE = "events.change_controlchange"
PERM_DELETE = "events.delete_controlchange"
PERM_PUBLISH = "events.publish_controlchange"
PERM_RETRACT = "events.retract_controlchange"
# Who counts as an editor (sees drafts in the API).
EDITOR_PERMS = (PERM_ADD, PERM_CHANGE)

# The other records, as (permission, what the user was trying to do) for a new and an existing row.
FACTION_ADD = ("events.add_faction", "add factions")
FACTION_CHANGE = ("events.change_faction", "edit factions")
SOURCE_ADD = ("events.add_source", "add sources")
SOURCE_CHANGE = ("events.change_source", "edit sources")
TOWN_ADD = ("geodata.add_town", "add towns")
TOWN_CHANGE = ("geodata.change_town", "edit towns")

# Everything of a source the public pages and API show. Once a published change cites the source,
# editing these changes what the public sees, so it takes a reviewer, as publishing does.
SOURCE_REVIEWED_FIELDS = ("publisher", "title", "url", "published", "language", "summary")
# What of a town the public map, its links and its population figures show, and the theatre whose map
# shows it (the GeoNames and other external ids are reference data editors keep up).
TOWN_REVIEWED_FIELDS = ("name", "slug", "alt_names", "latitude", "longitude", "population", "theatre",
                        "coarse_location")


def user_require(*, user: Actor, perm: str, action: str) -> None:
    """Raise PermissionDenied unless ``user`` may do ``action``; a SystemActor may do anything."""
    actor_check(user)
    if isinstance(user, SystemActor):
        return
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(f"Sign in to {action}.")
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {action}.")


def user_require_save(*, user: Actor, instance, add: tuple[str, str], change: tuple[str, str]) -> None:
    """``user_require`` with the add permission for a new row, the change permission for a stored one."""
    perm, action = add if instance.pk is None else change
    user_require(user=user, perm=perm, action=action)


def is_editor(user) -> bool:
    """Whether ``user`` edits the record: sees drafts in the API, and published changes at once (no
    publication delay) and towns at full resolution everywhere."""
    return bool(user.is_authenticated and any(user.has_perm(p) for p in EDITOR_PERMS))


def is_reviewer(user: Actor) -> bool:
    actor_check(user)
    return isinstance(user, SystemActor) or user.has_perm(PERM_PUBLISH)


def draft_delete_allowed(*, change, by: Actor) -> bool:
    """Whether ``by`` may delete this draft: an editor only the drafts they entered, a reviewer any."""
    if isinstance(by, SystemActor) or is_reviewer(by):
        return True
    return by.is_authenticated and change.entered_by_id is not None and change.entered_by_id == by.pk


def draft_delete_require(*, change, by: Actor) -> None:
    """Raise PermissionDenied unless ``by`` may delete this draft (see ``draft_delete_allowed``)."""
    user_require(user=by, perm=PERM_DELETE, action="delete control changes")
    if not draft_delete_allowed(change=change, by=by):
        raise PermissionDenied(
            "You can delete only drafts you entered; ask a reviewer to delete another editor's draft.")


def source_edit_allowed(*, source: Source, by: Actor) -> bool:
    """Whether ``by`` may edit what the public sees of this source (see SOURCE_REVIEWED_FIELDS)."""
    return is_reviewer(by) or not selectors.source_is_public(source=source)


def town_edit_allowed(*, town: Town, by: Actor) -> bool:
    """Whether ``by`` may edit what the public sees of this town (see TOWN_REVIEWED_FIELDS)."""
    return is_reviewer(by) or not selectors.town_is_public(town=town)


def changed_fields(instance, stored, names: Sequence[str]) -> list[str]:
    """Which of ``names`` differ between an edited row and the row as stored."""
    return [name for name in names if getattr(instance, name) != getattr(stored, name)]
