"""What simple-history records with each write: who did it and why."""

from geodata.services.revision import revision_bump, theatres_of

from ..permissions import Actor, SystemActor, User, actor_check

REASON_LENGTH = 100  # simple-history's history_change_reason


def acting_user(by: Actor) -> User | None:
    """The user to record on a row or a history entry: no account for the system or an anonymous caller."""
    actor_check(by)
    return None if isinstance(by, SystemActor) or not by.is_authenticated else by


def audit_reason(reason: str, *, by: Actor) -> str:
    """The reason a history row keeps; a system write names the system actor, as a user's names the user."""
    if isinstance(by, SystemActor):
        tail = f" [{by}]"
        return reason[: REASON_LENGTH - len(tail)] + tail
    return reason[:REASON_LENGTH]


def audit(instance, *, by: Actor, reason: str, public: bool = True) -> None:
    """Name the user and the reason on the historical row the next save() of ``instance`` writes.

    Every single write of the events services calls this inside its transaction, so it also bumps
    the data revision there when the write changes what the public sees (``public``): a draft's
    entry, edit, rejection or deletion does not, so the public maps' caches outlive an editor's work
    (an editor's preview is keyed by the drafts too: ``selectors.data_version``). The bulk writes
    bump it themselves. A change or a town moves its theatre's revision; a faction or a source, the shared one.
    """
    if public:
        revision_bump(theatres=theatres_of([instance]))
    instance._history_user = acting_user(by)
    instance._change_reason = audit_reason(reason, by=by)
