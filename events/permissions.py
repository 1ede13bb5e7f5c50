"""Who may do what: every permission name events uses, and the rules that combine one with a read.

Services, the API and the admin all read permission names from here, so a role means the same
thing through every door. ``None`` as a user is the system itself (the seed loader, a management
command run by the operator) and passes every check.
"""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from geodata.models import Town

from . import selectors
from .models import Source

User = AbstractBaseUser | AnonymousUser

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
# What of a town the public map, its links and its population figures show (the GeoNames and other
# external ids are reference data editors keep up).
TOWN_REVIEWED_FIELDS = ("name", "slug", "alt_names", "latitude", "longitude", "population")


def user_require(*, user: User | None, perm: str, action: str) -> None:
    """Raise PermissionDenied unless ``user`` may do ``action``; ``None`` is the system itself."""
    if user is None:
        return
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(f"Sign in to {action}.")
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {action}.")


def user_require_save(*, user: User | None, instance, add: tuple[str, str], change: tuple[str, str]) -> None:
    """``user_require`` with the add permission for a new row, the change permission for a stored one."""
    perm, action = add if instance.pk is None else change
    user_require(user=user, perm=perm, action=action)


def is_reviewer(user: User | None) -> bool:
    return user is None or user.has_perm(PERM_PUBLISH)


def source_edit_allowed(*, source: Source, by: User | None) -> bool:
    """Whether ``by`` may edit what the public sees of this source (see SOURCE_REVIEWED_FIELDS)."""
    return is_reviewer(by) or not selectors.source_is_public(source=source)


def town_edit_allowed(*, town: Town, by: User | None) -> bool:
    """Whether ``by`` may edit what the public sees of this town (see TOWN_REVIEWED_FIELDS)."""
    return is_reviewer(by) or not selectors.town_is_public(town=town)


def changed_fields(instance, stored, names: Sequence[str]) -> list[str]:
    """Which of ``names`` differ between an edited row and the row as stored."""
    return [name for name in names if getattr(instance, name) != getattr(stored, name)]
