"""Town edits from the control side: geodata places and saves a town; events adds who may change it."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from geodata.models import Town
from geodata.services import town_check, town_save

from ..permissions import (
    TOWN_ADD,
    TOWN_CHANGE,
    TOWN_REVIEWED_FIELDS,
    Actor,
    changed_fields,
    town_edit_allowed,
    user_require_save,
)
from ._audit import audit


def _town_edit_permitted(*, town: Town, by: Actor) -> None:
    """The permission rule: add/change town, and a reviewer for what the public map shows of a public town."""
    user_require_save(user=by, instance=town, add=TOWN_ADD, change=TOWN_CHANGE)
    if town.pk is None:
        return
    stored = Town.objects.get(pk=town.pk)
    changed = changed_fields(town, stored, TOWN_REVIEWED_FIELDS)
    if changed and not town_edit_allowed(town=town, by=by):
        raise PermissionDenied(
            f"{stored.name} has published control changes, so its {', '.join(changed)} show on the public "
            "map; only a reviewer can change them. Ask a reviewer."
        )


def town_edit_check(*, town: Town, by: Actor) -> None:
    """Every rule an edit of ``town`` by ``by`` must meet; raises PermissionDenied or ValidationError,
    writes nothing (the admin form calls this)."""
    _town_edit_permitted(town=town, by=by)
    town_check(town=town)


@transaction.atomic
def town_edit(*, town: Town, by: Actor) -> Town:
    """Add or edit a town: the permission rule, then geodata's one town write (which checks and places it)."""
    if town.pk is not None:
        Town.objects.select_for_update().filter(pk=town.pk).exists()  # lock it until saved
    _town_edit_permitted(town=town, by=by)
    audit(town, by=by, reason="saved")
    return town_save(town=town)
