"""Load a town file: match its rows to each other and to the stored towns, check them all, create and merge."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from ..boundaries import normalise_name
from ..models import AdminArea, Town
from ..town_files import TownFields, TownFileError, TownRecord, read_towns
from ..town_matching import NameMatcher, dedupe_records, names_of
from .records import RecordsInvalid
from .towns import towns_check_many, towns_save_many

# progress(stage, done, total): what the loader is doing, for a progress bar; called often, cheap.
Progress = Callable[[str, int, int], None]
_MATCH_FIELDS = ("name", "alt_names", "latitude", "longitude", "geonames_id", "slug", "external_ids", "admin_area")


@dataclass
class TownLoadReport:
    committed: bool
    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # stored towns that take the file's ids and names
    near_misses: list[str] = field(default_factory=list)  # for review: not matched, perhaps the same
    admin_mismatches: list[str] = field(default_factory=list)  # the file's admin codes against the point's area
    decoded: list[str] = field(default_factory=list)  # fields read in the fallback encoding
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


def _merge(town: Town, record: TownRecord) -> list[str]:
    """Add to ``town`` the ids and alternate names of ``record`` it lacks; what was added, described."""
    added = []
    known = names_of(town)
    for name in [record.name, *record.alt_names]:
        if name.strip() and normalise_name(name) not in known:
            town.alt_names = [*town.alt_names, name]
            known.add(normalise_name(name))
            added.append(f"alternate name {name}")
    for scheme, value in record.external_ids.items():
        if scheme not in (town.external_ids or {}):
            town.external_ids = {**(town.external_ids or {}), scheme: value}
            added.append(f"{scheme} {value}")
    if record.geonames_id and not town.geonames_id:
        town.geonames_id = record.geonames_id
        added.append(f"GeoNames id {record.geonames_id}")
    return added


def _admin_mismatch(record: TownRecord, area: AdminArea | None, areas: dict[int, AdminArea]) -> str | None:
    """Where the file's admin codes disagree with the area the point falls in (and that area's parent)."""
    if not record.admin_codes or not areas:
        return None
    if area is None:
        return f"{record.label}: the file puts it in {record.admin_codes.get(1) or '?'}; the point is in no loaded area"
    wrong = []
    while area is not None:
        given = record.admin_codes.get(area.level)
        if given and given != area.code:
            wrong.append(f"{record.admin_fields[area.level]} {given}, but the point is in {area.code} ({area.name})")
        area = areas.get(area.parent_id)
    return f"{record.label}: the file says {'; '.join(wrong)}" if wrong else None


def towns_load(
    *, path: Path | str, file_format: str | None = None, commit: bool = False, allow_outside: bool = False,
    fields: TownFields | None = None, encoding: str | None = None, layer: str | None = None,
    progress: Progress | None = None,
) -> TownLoadReport:
    """Read a town file; match, check and list every row; create the new towns and merge the matched ones.

    Rows are matched to each other and to stored towns by external id (an OCHA P-code) or GeoNames
    id, then by name (any of their names, ignoring case and diacritics) within 5 km, unless both
    carry ids of one kind that differ. A matched stored town takes the ids and alternate names it
    lacks (a merge). A row may give the town's slug; it must then be free, or be the slug of the
    stored town it matches. Raises TownFileError with every bad row (including towns outside the
    loaded boundaries unless ``allow_outside``); nothing is written then. Creates and merges are
    written in one transaction through ``towns_save_many``.
    """
    def step(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    step("reading", 0, 1)
    records, skipped = read_towns(path, file_format, fields=fields, encoding=encoding, layer=layer)
    unique, duplicates, near_in_file = dedupe_records(records)
    report = TownLoadReport(committed=False, skipped=skipped, duplicates=duplicates, near_misses=near_in_file)
    report.decoded = [note for r in records for note in r.decoded]
    errors: list[str] = []
    new_records: list[TownRecord] = []
    matcher = NameMatcher(Town.objects.only(*_MATCH_FIELDS))
    merges: dict[int, list[TownRecord]] = {}
    matched: list[tuple[TownRecord, Town]] = []
    for n, record in enumerate(unique):
        if n % 250 == 0:
            step("matching", n, len(unique))
        match = matcher.find(record)
        if match is None:
            new_records.append(record)
            report.near_misses += [
                f"{record.label} and stored {m.place.name} ({m.place.slug}): {m.reason}; not merged"
                for m in matcher.near_misses(record)
            ]
        elif record.slug and record.slug != match.place.slug:
            errors.append(f"{record.where}, slug: the file says '{record.slug}', but {record.name} is stored as "
                          f"{match.place.name} with the slug '{match.place.slug}'")
        else:
            matched.append((record, match.place))
            merges.setdefault(match.place.pk, []).append(record)
    step("matching", len(unique), len(unique))

    # The stored towns that take something: read whole (the bulk update writes every field).
    full = Town.objects.in_bulk(list(merges))
    updated: list[Town] = []
    for record, place in matched:
        town = full.get(place.pk)
        added = _merge(town, record) if town is not None else []
        if added:
            if town not in updated:
                updated.append(town)
            report.merged.append(f"{record.label} = {town.name} ({town.slug}): adds {', '.join(added)}")
        else:
            report.present.append(f"{record.where}: {record.name} = {place.name}")

    slugs = _slugs(new_records, set(Town.objects.values_list("slug", flat=True)))
    towns = [
        Town(
            name=r.name, alt_names=r.alt_names, latitude=r.latitude, longitude=r.longitude,
            population=r.population, geonames_id=r.geonames_id, outside_boundaries=False, slug=slug,
            external_ids=r.external_ids,
        )
        for r, slug in zip(new_records, slugs, strict=True)
    ]
    report.created = [f"{t.name} ({t.latitude}, {t.longitude})" for t in towns]
    batch, labels = [*towns, *updated], [r.where for r in new_records] + [f"stored town {t.slug}" for t in updated]
    step("checking" if not commit else "checking and writing", 0, 1)
    try:
        if commit and not errors:
            towns_save_many(towns=batch, allow_outside=allow_outside)
            report.committed = True
            area_ids = [t.admin_area_id for t in towns]
        else:  # a dry run, or a row already wrong: check the rest all the same, write nothing
            area_ids = [p.area_id for p in towns_check_many(towns=batch, allow_outside=allow_outside)][:len(towns)]
    except RecordsInvalid as exc:
        errors += exc.describe(labels)
        area_ids = []
    step("checking" if not commit else "checking and writing", 1, 1)
    if errors:
        raise TownFileError(errors)
    areas = {a.pk: a for a in AdminArea.objects.only("code", "name", "level", "parent_id")}
    placed = list(zip(new_records, area_ids, strict=True)) + [(r, p.admin_area_id) for r, p in matched]
    report.admin_mismatches = [
        m for r, area_id in placed if (m := _admin_mismatch(r, areas.get(area_id), areas)) is not None
    ]
    return report

