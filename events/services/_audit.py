"""What simple-history records with each write: who did it and why."""

from geodata.services.revision import revision_bump

from ..permissions import User


def acting_user(by: User | None) -> User | None:
    """The user to record on a row or a history entry: nobody for the system or an anonymous caller."""
    return by if by is not None and by.is_authenticated else None


def audit(instance, *, by: User | None, reason: str, public: bool = True) -> None:
    """Name the user and the reason on the historical row the next save() of ``instance`` writes.

    Every single write of the events services calls this inside its transaction, so it also bumps
    the data revision there when the write changes what the public sees (``public``): a draft's
    entry, edit, rejection or deletion does not, so the public maps' caches outlive an editor's work
    (an editor's preview is keyed by the drafts too: ``selectors.data_version``). The bulk writes
    bump it themselves.
    """
    if public:
        revision_bump()
    instance._history_user = acting_user(by)
    instance._change_reason = reason[:100]
