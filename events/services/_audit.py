"""What simple-history records with each write: who did it and why."""

from geodata.services.revision import revision_bump

from ..permissions import User


def acting_user(by: User | None) -> User | None:
    """The user to record on a row or a history entry: nobody for the system or an anonymous caller."""
    return by if by is not None and by.is_authenticated else None


def audit(instance, *, by: User | None, reason: str) -> None:
    """Name the user and the reason on the historical row the next save() of ``instance`` writes.

    Every single write of the events services calls this inside its transaction, so it also bumps
    the data revision there (the bulk writes are decorated with ``revision_bumping`` instead).
    """
    revision_bump()
    instance._history_user = acting_user(by)
    instance._change_reason = reason[:100]
