"""CSV import of control changes: check every row first, then write all of them in one transaction.

The check reads the database a fixed number of times (towns, factions, sources, clashing changes,
superseded changes, the towns' current controllers), never once per row, so 10,000 rows take
seconds. Every bad row is reported with its line, column and reason, and nothing is written.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from . import selectors, services
from .models import ControlChange, Source
from .params import ParameterError, parse_date

REQUIRED = ["town", "faction", "date"]
OPTIONAL = [
    "precision", "day_part", "status", "contested_by", "confidence",
    "source_url", "source_title", "source_publisher", "note", "supersedes",
]
COLUMNS = REQUIRED + OPTIONAL
# Model field -> CSV column, so a model's error names the column the editor typed into.
FIELD_COLUMNS = {
    "effective_date": "date", "date_precision": "precision", "day_part": "day_part", "status": "status",
    "contested_by": "contested_by", "confidence": "confidence", "note": "note", "supersedes": "supersedes",
    "faction": "faction", "town": "town", "sources": "source_url",
    "url": "source_url", "title": "source_title", "publisher": "source_publisher", "__all__": "-",
}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass
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

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def new_sources(self) -> int:
        return len({id(s) for r in self.rows for s in r.new.sources if s.pk is None})


class ImportRejected(ValueError):
    """Raised when asked to write a plan that has bad rows."""


def _read(text: str, plan: ImportPlan) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing:
        plan.errors.append(RowError(1, ",".join(missing), "missing column(s)"))
    if unknown:
        plan.errors.append(RowError(1, ",".join(unknown), f"unknown column(s); the columns are {', '.join(COLUMNS)}"))
    if missing or unknown:
        return []
    rows = []
    for values in reader:
        if None in values or any(v is None for v in values.values()):
            plan.errors.append(RowError(reader.line_num, "-", f"expected {len(header)} fields"))
            continue
        rows.append((reader.line_num, {c: (values.get(c) or "").strip() for c in COLUMNS}))
    if not rows and not plan.errors:
        plan.errors.append(RowError(2, "-", "the file has no rows"))
    return rows


class _Sources:
    """Existing sources by URL or by publisher and title; new ones are made once per file."""

    def __init__(self):
        self.by_url, self.by_name = {}, {}
        for source in Source.objects.all():
            if source.url:
                self.by_url.setdefault(source.url, source)
            self.by_name.setdefault((source.publisher.casefold(), source.title.casefold()), source)

    def get(self, url: str, title: str, publisher: str) -> Source:
        if url and url in self.by_url:
            return self.by_url[url]
        key = (publisher.casefold(), title.casefold())
        if key in self.by_name:
            return self.by_name[key]
        source = Source(url=url, title=title, publisher=publisher)
        source.full_clean()
        if url:
            self.by_url[url] = source
        self.by_name[key] = source
        return source


def _date(value: str) -> dt.date:
    # The API's parser: YYYY-MM-DD only, where fromisoformat would also take 20170903 or 2017-W35-7.
    try:
        return parse_date(value, parameter="date")
    except ParameterError as exc:
        raise ValidationError({"effective_date": exc.message}) from None


def changes_import_check(*, text: str, publish: bool = False) -> ImportPlan:
    """Check every row of a CSV text and say what each would do; writes nothing."""
    plan = ImportPlan(publish=publish)
    rows = _read(text, plan)
    if not rows:
        return plan
    towns, factions, sources = selectors.town_index(), selectors.faction_index(), _Sources()
    wanted = {v["supersedes"] for _, v in rows if v["supersedes"].isdigit()}
    superseded = {str(c.pk): c for c in ControlChange.objects.filter(pk__in=[int(i) for i in wanted])}

    for line, v in rows:
        errors: list[RowError] = []

        def fail(column: str, reason: str, errors=errors, line=line) -> None:
            errors.append(RowError(line, column, reason))

        town, reason = towns.find(v["town"])
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
        day_part = ControlChange.DayPart.from_text(v["day_part"])
        if day_part is None:
            parts = ControlChange.DayPart
            names = ", ".join(label.casefold() for label in parts.labels)
            fail("day_part", f"'{v['day_part']}' is not a part of day ({names}, or {min(parts)}-{max(parts)})")
        supersedes = None
        if v["supersedes"]:
            supersedes = superseded.get(v["supersedes"])
            if supersedes is None:
                fail("supersedes", f"no control change has id '{v['supersedes']}'")
            elif supersedes.state not in (ControlChange.State.DRAFT, ControlChange.State.PUBLISHED):
                fail("supersedes", f"change {supersedes.pk} is {supersedes.state}; only a draft or "
                                   "published change can be superseded")
        row_sources = []
        if v["source_url"] or v["source_title"] or v["source_publisher"]:
            if v["source_url"] and not (v["source_title"] and v["source_publisher"]) and \
                    v["source_url"] not in sources.by_url:
                fail("source_title", "a new source needs a title and a publisher")
            elif not v["source_url"] and not (v["source_title"] and v["source_publisher"]):
                fail("source_title" if not v["source_title"] else "source_publisher",
                     "a source needs a URL, or a title and a publisher")
            else:
                try:
                    row_sources.append(sources.get(v["source_url"], v["source_title"], v["source_publisher"]))
                except ValidationError as exc:
                    for name, messages in exc.message_dict.items():
                        fail(FIELD_COLUMNS.get(name, name), " ".join(messages))
        change = ControlChange(
            town=town, faction=faction, contested_by=contested_by, supersedes=supersedes,
            status=v["status"] or ControlChange.Status.CONTROLLED,
            date_precision=v["precision"] or ControlChange.Precision.DAY,
            confidence=v["confidence"] or ControlChange.Confidence.REPORTED,
            day_part=day_part or 0, note=v["note"],
            state=ControlChange.State.PUBLISHED if publish else ControlChange.State.DRAFT,
        )
        if not v["date"]:
            fail("date", "a date is required")
        try:
            change.effective_date = _date(v["date"]) if v["date"] else None
            services.control_change_check(change=change, sources=row_sources, database=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = FIELD_COLUMNS.get(name, name)
                if not any(e.column == column for e in errors):  # one reason per column is enough
                    fail(column, " ".join(messages))
        if errors:
            plan.errors.extend(errors)
        else:
            plan.rows.append(PlannedRow(line, services.NewChange(change, row_sources), ""))

    for planned in services.control_changes_clashing(changes=[r.new.change for r in plan.rows]):
        line = next(r.line for r in plan.rows if r.new.change is planned)
        plan.errors.append(RowError(line, "date", services.ONE_PER_DAY_PART_MESSAGE
                                    + " To correct it, give its id in the supersedes column."))
    plan.errors.sort(key=lambda e: e.line)
    if not plan.errors:
        _describe(plan)
    return plan


def _describe(plan: ImportPlan) -> None:
    """Say what each row does to the public map: who held the town before, who holds it after."""
    timelines = selectors.town_timelines(town_ids={r.new.change.town_id for r in plan.rows})
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


def changes_import_commit(*, plan: ImportPlan, by) -> list[ControlChange]:
    """Write a checked plan in one transaction (all rows or none)."""
    if not plan.ok:
        raise ImportRejected("The import has bad rows; nothing was written.")
    return services.control_changes_create_many(
        new=[r.new for r in plan.rows], by=by, publish=plan.publish
    )
