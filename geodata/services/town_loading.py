"""Load a town file: match its rows to each other and to the stored towns, check them all, create and merge."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from ..boundaries import normalise_name
from ..models import AdminArea, Theatre, Town, default_theatre_id
from ..town_files import TownFields, TownFileError, TownRecord, town_file_read
from ..town_matching import NameMatcher, dedupe_records, names_of
from ..town_text import garbled_from
from .records import RecordsInvalid
from .towns import towns_problems, towns_save_many

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
    cut_letters: list[str] = field(default_factory=list)  # fields whose letter cut at the end was dropped
    duplicates: list[str] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)  # every bad row: nothing is written while there is one
    outside: int = 0  # towns refused for lying outside every loaded area (``allow_outside`` takes them)


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
    """Add to ``town`` the ids and alternate names of ``record`` it lacks; what was added, described.

    A stored alternate name that is one of the record's names garbled (its UTF-8 read in a code
    page, as ``--encoding cp1256`` once read OCHA's names cut mid-letter) is replaced by it.
    """
    added = []
    known = names_of(town)
    for name in [record.name, *record.alt_names]:
        if not name.strip() or normalise_name(name) in known:
            continue
        garbled = next(((i, cp) for i, old in enumerate(town.alt_names) if (cp := garbled_from(old, name))), None)
        if garbled is not None:
            i, encoding = garbled
            added.append(f"alternate name {name} in place of {town.alt_names[i]} (its UTF-8 read as {encoding})")
            town.alt_names = [*town.alt_names[:i], name, *town.alt_names[i + 1:]]
        else:
            town.alt_names = [*town.alt_names, name]
            added.append(f"alternate name {name}")
        known.add(normalise_name(name))
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
    drop_cut_letters: bool = False, progress: Progress | None = None, theatre: Theatre | None = None,
) -> TownLoadReport:
    """Read a town file; match, check and list every row; create the new towns and merge the matched ones.

    Rows are matched to each other and to stored towns by external id (an OCHA P-code) or GeoNames
    id, then by name (any of their names, ignoring case and diacritics) within 5 km, unless both
    carry ids of one kind that differ. A matched stored town takes the ids and alternate names it
    lacks (a merge). A row may give the town's slug; it must then be free, or be the slug of the
    stored town it matches. Raises TownFileError with every bad row of every kind (a value not
    decoded, a town outside the loaded boundaries unless ``allow_outside``, ...) and the report of
    the rest of the file; nothing is written then. A row with a bad value is still matched and placed,
    so that one run names all its problems. Creates and merges are written in one transaction
    through ``towns_save_many``. ``drop_cut_letters``: see ``town_file_read``. ``theatre``: the theatre the
    towns belong to (default: the first); rows are matched to its towns only and placed in its areas, and a
    town inside another theatre's area is refused.
    """
    def step(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    step("reading", 0, 1)
    read = town_file_read(path, file_format, fields=fields, encoding=encoding, layer=layer,
                          drop_cut_letters=drop_cut_letters)
    records = read.records
    unique, duplicates, near_in_file = dedupe_records(records)
    report = TownLoadReport(committed=False, skipped=read.skipped, duplicates=duplicates, near_misses=near_in_file)
    report.decoded = [note for r in records for note in r.decoded]
    report.cut_letters = [note for r in records for note in r.cut_letters]
    errors: list[str] = list(read.errors)
    new_records: list[TownRecord] = []
    theatre = theatre if theatre is not None else Theatre.objects.get(pk=default_theatre_id())
    matcher = NameMatcher(Town.objects.filter(theatre=theatre).only(*_MATCH_FIELDS))
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
            errors.append(f"{record.label}, slug: the file says '{record.slug}', but {record.name} is stored as "
                          f"{match.place.name} with the slug '{match.place.slug}'")
        else:
            matched.append((record, match.place))
            merges.setdefault(match.place.pk, []).append(record)
    step("matching", len(unique), len(unique))

    # The stored towns that take something: read whole (the bulk update writes every field).
    full = Town.objects.select_related("theatre").in_bulk(list(merges))
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
            theatre=theatre, name=r.name, alt_names=r.alt_names, latitude=r.latitude, longitude=r.longitude,
            population=r.population, geonames_id=r.geonames_id, outside_boundaries=False, slug=slug,
            external_ids=r.external_ids,
        )
        for r, slug in zip(new_records, slugs, strict=True)
    ]
    report.created = [f"{r.label} at {t.latitude}, {t.longitude}" for r, t in zip(new_records, towns, strict=True)]
    batch = [*towns, *updated]
    labels = [r.label for r in new_records] + [f"stored town {t.name} ({t.slug})" for t in updated]
    step("checking" if not commit else "checking and writing", 0, 1)
    area_ids, refused = None, []
    if commit and not errors:
        try:
            towns_save_many(towns=batch, allow_outside=allow_outside)
            report.committed = True
            area_ids = [t.admin_area_id for t in towns]
        except RecordsInvalid as exc:  # checked again below, for where each town falls as well
            refused = exc.describe(labels)
    if area_ids is None:  # a dry run, or a row already wrong: check the rest all the same, write nothing
        placements, problems = towns_problems(towns=batch, allow_outside=allow_outside)
        errors += RecordsInvalid(problems, labels).describe(labels) if problems else refused
        report.outside = sum(
            1 for i, p in enumerate(placements)
            if p is not None and p.how == "outside" and "latitude" in problems.get(i, {})
        )
        area_ids = [p.area_id if p is not None else None for p in placements[:len(towns)]]
    step("checking" if not commit else "checking and writing", 1, 1)
    areas = {a.pk: a for a in AdminArea.objects.filter(theatre=theatre).only("code", "name", "level", "parent_id")}
    placed = list(zip(new_records, area_ids, strict=True)) + [(r, p.admin_area_id) for r, p in matched]
    report.admin_mismatches = [
        m for r, area_id in placed if (m := _admin_mismatch(r, areas.get(area_id), areas)) is not None
    ]
    if errors:
        report.problems = errors
        raise TownFileError(errors, report=report)
    return report

