"""The one write path for theatres: a check, a save."""

from django.db import transaction

from ..models import Theatre
from ..presets import Preset
from ..theatres import theatre_default
from .revision import revision_bump

# The theatre made when areas or towns are stored with none named and none exists (a loader names its
# theatre, and a migrated database starts with one); its name says to rename it, not a country.
FALLBACK_THEATRE = ("default", "Default theatre")


def theatre_check(*, theatre: Theatre) -> None:
    """Raise ValidationError (by field) unless ``theatre`` may be saved as it is; write nothing."""
    theatre.full_clean()


@transaction.atomic
def theatre_save(*, theatre: Theatre) -> Theatre:
    theatre_check(theatre=theatre)
    theatre.save()
    # Its own revision (a new theatre has an id only now) and the every-theatre one (/api/theatres/): another
    # theatre's caches stay.
    revision_bump(theatres=[theatre.pk])
    return theatre


def theatre_create(*, slug: str, name: str, **fields) -> Theatre:
    """A new theatre; ValidationError (by field) when a value is bad or taken."""
    return theatre_save(theatre=Theatre(slug=slug, name=name, **fields))


def theatre_first() -> Theatre:
    """The default theatre (``geodata.theatres.theatre_default``), made when there is none: where areas and
    towns made without a theatre go."""
    found = theatre_default()
    if found is not None:
        return found
    slug, name = FALLBACK_THEATRE
    return Theatre.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def theatre_credit_from_preset(*, theatre: Theatre, preset: Preset, commit: bool) -> str | None:
    """Give ``theatre`` the preset's credit line (and source and licence) where its own is blank; the line
    a command reports, or None when the theatre has a credit of its own (left as it is)."""
    if preset.kind == "boundaries":
        if theatre.boundaries_credit.strip():
            return None
        theatre.boundaries_credit = preset.credit_for(theatre_name=theatre.name)
        theatre.boundaries_url = theatre.boundaries_url or preset.source_url
        theatre.boundaries_licence_url = theatre.boundaries_licence_url or preset.licence_url
        credit, what = theatre.boundaries_credit, "boundaries"
    else:
        if theatre.gazetteer_credit.strip():
            return None
        theatre.gazetteer_credit = credit = preset.credit_for(theatre_name=theatre.name)
        what = "towns' gazetteer"
    if not commit:
        return f"theatre {theatre.slug}: the {what} credit would be set from preset '{preset.name}': {credit}"
    theatre_save(theatre=theatre)
    return (
        f"theatre {theatre.slug}: {what} credit set from preset '{preset.name}': {credit} "
        f"(licence: {preset.licence}; edit it in the admin)"
    )
