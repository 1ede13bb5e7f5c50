"""Writes to the control log and the records it cites. The admin, the API, imports and the seed call these.

Every write names who acts (``by`` / ``entered_by``, required) and checks that user's permissions (see
``events.permissions``), so each interface enforces the same roles. A trusted system caller (the seed
loader, a management command run by the operator) passes a named ``SystemActor`` (``permissions.SEED``,
``SystemActor("import_changes")``), which skips the check and is named in the audit trail; ``None`` is a
TypeError.

- ``lifecycle``: one control change: create, update, publish / reject / retract (one transition), delete
- ``bulk``: many control changes at once (the CSV import)
- ``factions``, ``sources``: check, save, save many
- ``coalitions``: a faction's coalition in one theatre (``faction_role_set``)
- ``towns``: a town edit with the reviewer rule, over geodata's town write
- ``confirmations``: "still held by F" on a date: check, create, publish / reject / retract
- ``disputes``: disputed claims: opened on publication or by hand, decided by a reviewer
- ``drawn_areas``: control drawn as polygons: the import's check and write, publish / reject / retract
- ``drawn_towns``: the changes a drawing implies for the towns inside it, proposed as drafts
"""

from ..permissions import (  # noqa: F401  (re-exported: callers used to read these from services)
    PERM_ADD,
    PERM_CHANGE,
    PERM_DELETE,
    PERM_PUBLISH,
    PERM_RETRACT,
    SOURCE_REVIEWED_FIELDS,
    TOWN_REVIEWED_FIELDS,
    SystemActor,
    User,
    source_edit_allowed,
    town_edit_allowed,
    user_require,
)
from .bulk import NewChange, control_changes_clashing, control_changes_create_allowed, control_changes_create_many
from .confirmations import (
    confirmation_check,
    confirmation_create,
    confirmation_publish,
    confirmation_reject,
    confirmation_retract,
)
from .disputes import dispute_decide, dispute_open, dispute_open_check
from .factions import faction_check, faction_save, factions_save_many
from .lifecycle import (
    EDITABLE_FIELDS,
    ONE_PER_DAY_PART_MESSAGE,
    RELATION_FIELDS,
    Transition,
    control_change_check,
    control_change_create,
    control_change_delete,
    control_change_publish,
    control_change_reject,
    control_change_retract,
    control_change_source_warnings,
    control_change_transition,
    control_change_update,
    control_changes_check,
)
from .sources import source_check, source_save, sources_save_many
from .towns import town_edit, town_edit_check

__all__ = [
    "confirmation_check",
    "confirmation_create",
    "confirmation_publish",
    "confirmation_reject",
    "confirmation_retract",
    "EDITABLE_FIELDS", "ONE_PER_DAY_PART_MESSAGE", "RELATION_FIELDS", "NewChange", "Transition",
    "control_change_check", "control_change_create", "control_change_delete", "control_change_publish",
    "control_change_reject", "control_change_retract", "control_change_source_warnings", "control_change_transition",
    "control_change_update",
    "control_changes_check",
    "control_changes_clashing", "control_changes_create_allowed", "control_changes_create_many",
    "dispute_decide", "dispute_open", "dispute_open_check",
    "faction_check", "faction_save", "factions_save_many",
    "source_check", "source_save", "sources_save_many",
    "town_edit", "town_edit_check",
    "PERM_ADD", "PERM_CHANGE", "PERM_DELETE", "PERM_PUBLISH", "PERM_RETRACT",
    "SOURCE_REVIEWED_FIELDS", "SystemActor", "TOWN_REVIEWED_FIELDS", "User", "source_edit_allowed", "town_edit_allowed",
    "user_require",
]
