"""Load a town file: match its rows to each other and to the stored towns, check them all, create the new ones."""

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from ..models import Town
from ..town_files import NameMatcher, TownFileError, TownRecord, dedupe_records, read_towns
from .records import RecordsInvalid
from .towns import towns_check_many, towns_save_many


@dataclass
class TownLoadReport:
    committed: bool
    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    skipped: int = 0


def _unique_slug(name: str, fallback: str, taken: set[str]) -> str:
    base = slugify(name) or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _slugs(records: list[TownRecord], taken: set[str]) -> list[str]:
    """The file's own slug where it gives one (the check says if it is taken), else one made from the name."""
    taken = taken | {r.slug for r in records if r.slug}
    return [r.slug or _unique_slug(r.name, f"town-{r.geonames_id or r.line}", taken) for r in records]


def towns_load(
    *, path: Path | str, file_format: str | None = None, commit: bool = False, allow_outside: bool = False
) -> TownLoadReport:
    """Read a GeoNames dump, CSV or GeoJSON of towns; check every row; create the new ones in one go.

    Rows are matched to each other and to existing towns by GeoNames id, then by name (any of
    their names, ignoring case and diacritics) within 2 km. A row may give the town's slug (the
    name other files use for it); it must then be free, or be the slug of the stored town it
    matches. Raises TownFileError with every bad row (including towns outside the loaded
    boundaries unless ``allow_outside``); nothing is written then.
    """
    records, skipped = read_towns(path, file_format)
    unique, duplicates = dedupe_records(records)
    report = TownLoadReport(committed=False, skipped=skipped, duplicates=duplicates)
    errors: list[str] = []
    new_records: list[TownRecord] = []
    matcher = NameMatcher(Town.objects.only("name", "alt_names", "latitude", "longitude", "geonames_id", "slug"))
    for record in unique:
        match = matcher.find(record)
        if match is None:
            new_records.append(record)
        elif record.slug and record.slug != match.slug:
            errors.append(f"{record.where}, slug: the file says '{record.slug}', but {record.name} is stored as "
                          f"{match.name} with the slug '{match.slug}'")
        else:
            report.present.append(f"{record.where}: {record.name} = {match.name}")

    slugs = _slugs(new_records, set(Town.objects.values_list("slug", flat=True)))
    towns = [
        Town(
            name=r.name, alt_names=r.alt_names, latitude=r.latitude, longitude=r.longitude,
            population=r.population, geonames_id=r.geonames_id, outside_boundaries=False, slug=slug,
        )
        for r, slug in zip(new_records, slugs, strict=True)
    ]
    report.created = [f"{t.name} ({t.latitude}, {t.longitude})" for t in towns]
    try:
        if commit and not errors:
            towns_save_many(towns=towns, allow_outside=allow_outside)
            report.committed = True
        else:  # a dry run, or a row already wrong: check the rest all the same, write nothing
            towns_check_many(towns=towns, allow_outside=allow_outside)
    except RecordsInvalid as exc:
        errors += exc.describe([r.where for r in new_records])
    if errors:
        raise TownFileError(errors)
    return report
