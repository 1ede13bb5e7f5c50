"""Sources that changes cite: one check, one write, one bulk write (imports), with the same rules."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from conflictmap.text_checks import clean_refusing_nul
from geodata.services.revision import revision_bumping

from ..models import Source
from ..permissions import (
    SOURCE_ADD,
    SOURCE_CHANGE,
    SOURCE_REVIEWED_FIELDS,
    Actor,
    changed_fields,
    source_edit_allowed,
    user_require_save,
)
from ._audit import acting_user, audit, audit_reason


def source_check(*, source: Source, by: Actor) -> None:
    """Every rule a source save must meet; raises PermissionDenied or ValidationError, writes nothing.

    A source already on the public pages (a published change cites it) needs a reviewer to change
    what the public sees of it (see ``permissions.SOURCE_REVIEWED_FIELDS``).
    """
    user_require_save(user=by, instance=source, add=SOURCE_ADD, change=SOURCE_CHANGE)
    if source.pk is not None:
        stored = Source.objects.get(pk=source.pk)
        changed = changed_fields(source, stored, SOURCE_REVIEWED_FIELDS)
        if changed and not source_edit_allowed(source=source, by=by):
            raise PermissionDenied(
                f"This source is cited by a published control change, so its {', '.join(changed)} show on the "
                "public map; only a reviewer can change them. Ask a reviewer, or add a new source."
            )
    clean_refusing_nul(source)


@transaction.atomic
def source_save(*, source: Source, by: Actor) -> Source:
    """Add or edit a source that changes cite (after ``source_check``)."""
    if source.pk is not None:
        Source.objects.select_for_update().filter(pk=source.pk).exists()  # lock it until saved
    source_check(source=source, by=by)
    audit(source, by=by, reason="saved")
    source.save()
    return source


@revision_bumping(batch="sources")
@transaction.atomic
def sources_save_many(*, sources: Sequence[Source], by: Actor, reason: str = "saved") -> list[Source]:
    """Add (or edit) many sources in a few queries; every one passes ``source_check`` or none is written."""
    problems = []
    for source in sources:
        try:
            source_check(source=source, by=by)
        except ValidationError as exc:
            problems.append(f"{source}: {'; '.join(exc.messages)}")
    if problems:
        raise ValidationError(problems)
    new = [s for s in sources if s.pk is None]
    stored = [s for s in sources if s.pk is not None]
    actor, why = acting_user(by), audit_reason(reason, by=by)
    if new:
        bulk_create_with_history(new, Source, batch_size=1000, default_user=actor, default_change_reason=why)
    if stored:
        fields = [f.name for f in Source._meta.concrete_fields if not f.primary_key]
        bulk_update_with_history(stored, Source, fields, batch_size=1000, default_user=actor,
                                 default_change_reason=why)
    return list(sources)
