"""CSV import of control changes: check every row first, then write all of them in one transaction.

The check reads the database a fixed number of times (towns, factions, sources, clashing changes,
superseded changes, the towns' current controllers), never once per row, so 10,000 rows take
seconds. Every bad row is reported with its line, column and reason, and nothing is written.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone

from geodata.models import Theatre, Town

from . import names as name_index
from . import selectors, services
from .csv_files import RowError, csv_decode, csv_rows
from .models import ControlChange, Source
from .params import ParameterError, parse_date

REQUIRED = ["town", "faction", "date"]
# A row cites up to MAX_SOURCES sources: source_url, source_title, source_publisher for the first,
# then the same three columns ending in _2, _3 ... for the others (a spreadsheet's extra columns).
MAX_SOURCES = 5
SOURCE_GROUPS = [
    tuple(f"source_{part}{'' if n == 1 else f'_{n}'}" for part in ("url", "title", "publisher"))
    for n in range(1, MAX_SOURCES + 1)
]
OPTIONAL = [
    "precision", "day_part", "status", "contested_by", "confidence",
    *(column for group in SOURCE_GROUPS for column in group), "note", "supersedes",
]
COLUMNS = REQUIRED + OPTIONAL
# Read by the import, not written by the changes.csv export (its rows are the slice's, which holds no
# publication time): when an older record's changes were first published.
IMPORT_ONLY = ["published_at"]
# Written by the changes.csv export for readers and GIS tools, read and ignored here, so an exported
# file imports as it is (the ids are the exporting database's; the label and from_faction follow).
EXPORT_ONLY = ["change_id", "date_label", "from_faction", "town_id", "longitude", "latitude"]
COLUMNS_TEXT = (
    "town, faction, date, precision, day_part, status, contested_by, confidence, source_url, source_title, "
    f"source_publisher (and source_url_2 ... source_publisher_{MAX_SOURCES} for more sources), note, supersedes, "
    "published_at (when it was first published, for an import that publishes); "
    f"the export's {', '.join(EXPORT_ONLY)} are ignored"
)
# Model field -> CSV column, so a model's error names the column the editor typed into.
FIELD_COLUMNS = {
    "effective_date": "date", "date_precision": "precision", "day_part": "day_part", "status": "status",
    "contested_by": "contested_by", "confidence": "confidence", "note": "note", "supersedes": "supersedes",
    "faction": "faction", "town": "town", "sources": "source_url", "reviewed_at": "published_at", "__all__": "-",
}


@dataclass(slots=True)
class PlannedRow:
    line: int
    new: services.NewChange
    effect: str


@dataclass
class ImportPlan:
    """What an import would do: a row per change, or the reasons it cannot."""

    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    publish: bool = False
    present: list[int] = field(default_factory=list)  # lines already stored (with skip_present)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def new_sources(self) -> int:
        return len({id(s) for r in self.rows for s in r.new.sources if s.pk is None})


class ImportRejected(ValueError):
    """Raised when asked to write a plan that has bad rows, or whose rows clash with a write made meanwhile."""

    def __init__(self, message: str, errors: list[RowError] = ()):
        super().__init__(message)
        self.errors = list(errors)


# Control change ids are 64-bit integers; a longer number is no id (and would overflow the query).
MAX_ID = 2**63 - 1


class SourceIndex:
    """Existing sources by URL or by publisher and title; new ones are made once per file."""

    def __init__(self):
        self.by_url, self.by_name = {}, {}
        for source in Source.objects.all():
            self.add(source)

    def add(self, source: Source) -> None:
        if source.url:
            self.by_url.setdefault(source.url, source)
        self.by_name.setdefault((source.publisher.casefold(), source.title.casefold()), source)

    def find(self, url: str, title: str, publisher: str) -> Source | None:
        if url and url in self.by_url:
            return self.by_url[url]
        return self.by_name.get((publisher.casefold(), title.casefold()))

    def get(self, url: str, title: str, publisher: str) -> Source:
        source = self.find(url, title, publisher)
        if source is None:
            source = Source(url=url, title=title, publisher=publisher)
            source.full_clean()
            self.add(source)
        return source


def csv_date(value: str, *, field: str = "effective_date") -> dt.date | None:
    """The one reading of a date in a CSV cell: the API's YYYY-MM-DD, where fromisoformat would also
    take 20170903 or 2017-W35-7. Raises ValidationError on ``field``; empty is None."""
    try:
        return parse_date(value, parameter="date")
    except ParameterError as exc:
        raise ValidationError({field: exc.message}) from None


def _row_sources(v: dict[str, str], sources: SourceIndex, fail) -> list[Source]:
    """The sources a row cites, one per filled group of source columns; each problem names its column."""
    found: list[Source] = []
    for url_column, title_column, publisher_column in SOURCE_GROUPS:
        url, title, publisher = v[url_column], v[title_column], v[publisher_column]
        if not (url or title or publisher):
            continue
        if url and not (title and publisher) and url not in sources.by_url:
            fail(title_column, "a new source needs a title and a publisher")
        elif not url and not (title and publisher):
            fail(title_column if not title else publisher_column, "a source needs a URL, or a title and a publisher")
        else:
            try:
                source = sources.get(url, title, publisher)
            except ValidationError as exc:
                names = {"url": url_column, "title": title_column, "publisher": publisher_column}
                for name, messages in exc.message_dict.items():
                    fail(names.get(name, name), " ".join(messages))
                continue
            if all(s is not source for s in found):  # the same source twice is cited once
                found.append(source)
    return found


def changes_import_check(
    *, text: str | bytes, publish: bool = False, skip_present: bool = False, progress=None,
    theatre: Theatre | None = None,
) -> ImportPlan:
    """Check every row of a CSV text (or a file's bytes) and say what each would do; writes nothing.

    With ``skip_present``, a row whose town, date and part of day already have a stored change (in
    any state: it was loaded before, and may since have been corrected) is listed in ``present``
    instead of refused as a clash; loading a file again then changes nothing. ``progress(stage, done,
    total)``, if given, hears how far the check is (a command's progress bar). With ``theatre``, towns are
    looked up among its towns only, and a row naming a town of another theatre is refused, naming both.
    """
    plan = ImportPlan(publish=publish)
    if isinstance(text, bytes):
        text, plan.errors = csv_decode(data=text)
        if plan.errors:
            return plan
    rows, plan.errors = csv_rows(text=text, required=REQUIRED, optional=OPTIONAL + IMPORT_ONLY + EXPORT_ONLY,
                                 columns_text=COLUMNS_TEXT)
    if not rows:
        return plan
    towns, factions, sources = name_index.town_index(theatre=theatre), name_index.faction_index(), SourceIndex()
    elsewhere: list[name_index.NameIndex] = []  # the other theatres' towns, read at the first town not found
    wanted = {_change_id(v["supersedes"]) for _, v in rows} - {None}
    superseded = {c.pk: c for c in ControlChange.objects.filter(pk__in=wanted)}
    state = ControlChange.State.PUBLISHED if publish else ControlChange.State.DRAFT
    dates, day_parts = {}, {}  # each distinct cell read once
    read: list[tuple[int, list[RowError], services.NewChange | None]] = []
    total = len(rows)
    rows.reverse()  # taken from the end, so each row's cells are dropped once read
    while rows:
        line, v = rows.pop()
        if progress is not None and len(read) % 1000 == 0:
            progress("checking", len(read), total)
        errors: list[RowError] = []

        def fail(column: str, reason: str, errors=errors, line=line) -> None:
            errors.append(RowError(line, column, reason))

        town, reason = towns.find(v["town"])
        if town is None and theatre is not None and v["town"].strip():
            elsewhere = elsewhere or [name_index.town_index(theatre=theatre, elsewhere=True)]
            other, _ = elsewhere[0].find(v["town"])
            if other is not None:
                reason = (f"'{v['town'].strip()}' is a town of the theatre {other.theatre.name} "
                          f"({other.theatre.slug}), not of {theatre.name} ({theatre.slug}) imported into")
        if reason:
            fail("town", reason)
        faction, reason = factions.find(v["faction"])
        if reason:
            fail("faction", reason)
        contested_by = None
        if v["contested_by"]:
            contested_by, reason = factions.find(v["contested_by"])
            if reason:
                fail("contested_by", reason)
        if v["day_part"] not in day_parts:
            day_parts[v["day_part"]] = ControlChange.DayPart.from_text(v["day_part"])
        day_part = day_parts[v["day_part"]]
        if day_part is None:
            parts = ControlChange.DayPart
            names = ", ".join(label.casefold() for label in parts.labels)
            fail("day_part", f"'{v['day_part']}' is not a part of day ({names}, or {min(parts)}-{max(parts)})")
        supersedes = None
        if v["supersedes"]:
            supersedes = superseded.get(_change_id(v["supersedes"]))
            if supersedes is None:
                fail("supersedes", f"no control change has id '{v['supersedes']}'")
            elif supersedes.state not in (ControlChange.State.DRAFT, ControlChange.State.PUBLISHED):
                fail("supersedes", f"change {supersedes.pk} is {supersedes.state}; only a draft or "
                                   "published change can be superseded")
        row_sources = _row_sources(v, sources, fail)
        change = ControlChange(
            town=town, faction=faction, contested_by=contested_by, supersedes=supersedes,
            status=v["status"] or ControlChange.Status.CONTROLLED,
            date_precision=v["precision"] or ControlChange.Precision.DAY,
            confidence=v["confidence"] or ControlChange.Confidence.REPORTED,
            day_part=day_part or 0, note=v["note"], state=state,
        )
        if not v["date"]:
            fail("date", "a date is required")
        elif v["date"] not in dates:
            dates[v["date"]] = _date_or_error(v["date"])
        on = dates.get(v["date"])
        if isinstance(on, ValidationError):  # a date that cannot be read: the change is not checked
            _fail_columns(fail, errors, on)
            read.append((line, errors, None))
        else:
            change.effective_date = on
            if v["published_at"] and on is not None:
                change.reviewed_at = _published_at(v["published_at"], on=on, publish=publish, fail=fail)
            read.append((line, errors, services.NewChange(change, row_sources)))
    if progress is not None:
        progress("checking", total, total)

    # The change's own rules, for every row at once (the same check as one change's).
    checked = [(line, errors, new) for line, errors, new in read if new is not None]
    problems = services.control_changes_check(new=[(new.change, new.sources) for _, _, new in checked])
    for i, exc in problems.items():
        line, errors, _ = checked[i]
        _fail_columns(lambda column, reason, errors=errors, line=line: errors.append(RowError(line, column, reason)),
                      errors, exc)
    for line, errors, new in read:
        if errors:
            plan.errors.extend(errors)
        else:
            plan.rows.append(PlannedRow(line, new, ""))
    del read, checked

    if skip_present:
        _set_aside_present(plan)
    plan.errors += _clash_errors(plan.rows)
    plan.errors.sort(key=lambda e: e.line)
    if plan.rows and not plan.errors:
        _describe(plan)
    return plan


def _published_at(text: str, *, on: dt.date, publish: bool, fail) -> dt.datetime | None:
    """``published_at``: when a change loaded from an older record was first published (what "as published"
    reads); an ISO 8601 timestamp, in the site's time zone when it names none. Neither in the future nor
    before the day the change reports; only for an import that publishes."""
    if not publish:
        fail("published_at", "only an import that publishes can say when a change was published")
        return None
    try:
        written = dt.datetime.fromisoformat(text.strip()) if "T" in text else None
        moment = None if written is None else (
            timezone.make_aware(written) if timezone.is_naive(written) else written).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        written = moment = None
    if written is None or moment is None:
        fail("published_at", f"'{text}' is not a timestamp such as 2017-09-03T12:00:00+03:00")
    elif moment > timezone.now():
        fail("published_at", f"{text} is in the future")
    elif written.date() < on:  # the day where it was written (its own offset)
        fail("published_at", f"{text} is before the day the change reports ({on})")
    else:
        return moment
    return None


def _date_or_error(text: str) -> dt.date | ValidationError:
    try:
        return csv_date(text)
    except ValidationError as exc:
        return exc


def _fail_columns(fail, errors: list[RowError], exc: ValidationError) -> None:
    """A row error per field of ``exc``, named by its CSV column; one reason per column is enough."""
    for name, messages in exc.message_dict.items():
        column = FIELD_COLUMNS.get(name, name)
        if not any(e.column == column for e in errors):
            fail(column, " ".join(messages))


def _change_id(text: str) -> int | None:
    """The control change id a supersedes cell gives, or None when it is no possible id."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def _clash_errors(rows: list[PlannedRow]) -> list[RowError]:
    """A row error for each row that would be a second change for its town, date and part of day."""
    by_change = {id(r.new.change): r.line for r in rows}
    return [
        RowError(by_change[id(change)], "date",
                 f"{services.ONE_PER_DAY_PART_MESSAGE} To correct it, give its id in the supersedes column.")
        for change in services.control_changes_clashing(changes=[r.new.change for r in rows])
    ]


def _set_aside_present(plan: ImportPlan) -> None:
    """Move the rows already stored (same town, date and part of day, any state) to ``plan.present``."""
    changes = [r.new.change for r in plan.rows]
    if not changes:
        return
    stored = set(
        ControlChange.objects.filter(
            town_id__in={c.town_id for c in changes}, effective_date__in={c.effective_date for c in changes},
        ).values_list("town_id", "effective_date", "day_part")
    )
    kept = []
    for row in plan.rows:
        change = row.new.change
        if (change.town_id, change.effective_date, change.day_part) in stored:
            plan.present.append(row.line)
        else:
            kept.append(row)
    plan.rows = kept


def _describe(plan: ImportPlan) -> None:
    """Say what each row does to the public map: who held the town before, who holds it after.

    A row only needs its town's log from the file's first date on, and the change in force the day
    before (one slice of the file's towns), not the whole log: a town's changes of earlier years
    cannot be in force after that one.
    """
    town_ids = {r.new.change.town_id for r in plan.rows}
    first = min(r.new.change.effective_date for r in plan.rows)
    towns = Town.objects.filter(pk__in=town_ids)
    before = selectors.control_as_of(on=first - dt.timedelta(days=1), towns=towns).changes
    timelines = {town_id: [row] for town_id, row in before.items()}
    for town_id, later in selectors.town_timelines(town_ids=town_ids, since=first).items():
        timelines.setdefault(town_id, []).extend(later)
    factions = selectors.faction_rows()
    for row in plan.rows:
        change = row.new.change
        previous = selectors.in_force(timelines.get(change.town_id, []), change.effective_date, change.day_part)
        before = factions[previous.faction_id].short_name if previous else "nothing recorded"
        held = f"{change.faction}" + (f", contested by {change.contested_by}" if change.contested_by else "")
        what = "publish" if plan.publish else "draft"
        fix = f" correcting change {change.supersedes_id}" if change.supersedes_id else ""
        row.effect = (f"{what}{fix}: {change.town} from {change.effective_date:%Y-%m-%d}: "
                      f"{before} → {held}")


def changes_import_commit(*, plan: ImportPlan, by, progress=None) -> list[ControlChange]:
    """Write a checked plan in one transaction (all rows or none); ``progress`` hears how many are written.

    Another write may store a clashing change between the check and this write (two imports at once):
    then nothing is written and ImportRejected names each clashing row, as the check would have.
    """
    if not plan.ok:
        raise ImportRejected("The import has bad rows; nothing was written.", plan.errors)
    try:
        return services.control_changes_create_many(new=[r.new for r in plan.rows], by=by, publish=plan.publish,
                                                     progress=progress)
    except ValidationError as exc:
        errors = _clash_errors(plan.rows) or [RowError(0, "-", " ".join(exc.messages))]
        raise ImportRejected("Rows changed meanwhile; nothing was written.", errors) from exc
