"""changes.csv: the changes layer in the CSV import's format, so an exported file imports as it is.

Every column of the import, and the export-only ones the import ignores (``imports.EXPORT_ONLY``),
in a log's reading order: id, date and label first. The rows are the changes in force (the changes
layer), so ``supersedes`` stays empty: a correction travels, the change it corrected does not, and an
id would name a row of this database only. Factions are written by slug and towns by name, or by
slug when the name also names another town, so every row resolves to the same place in a database
with the same places.

The rows are written straight from the layer's light rows (``export_rows.change_events``), one list
per row in the header's order: at 10,000 towns x 1,000,000 changes a month's 5,000 rows cost 0.4 s
when each went through the GeoJSON feature and a dict per row, against the 0.1 s the rows' own queries
take.
"""

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Callable, Iterator
from itertools import chain, islice
from typing import Any, NamedTuple

from django.db import connection
from django.utils import translation

from geodata.models import Theatre, Town

from . import export_rows, imports, names, selectors
from .csv_cells import QUOTE_STARTS, cell_quote
from .geojson import kept_date_label
from .models import ControlChange
from .selectors import FactionRow, TownRow, faction_rows

# The import's columns between the faction and the sources, which the row below writes in this order.
MIDDLE = ["precision", "day_part", "status", "contested_by", "confidence"]
assert imports.COLUMNS[imports.COLUMNS.index("precision"): imports.COLUMNS.index("source_url")] == MIDDLE


class _NamedTown(NamedTuple):
    """What the import's town index reads of a town (``names.town_index``), without a model."""

    pk: int
    slug: str
    name: str
    alt_names: list[str]


class _TownCells:
    """The town column by town id: the name where the import reads it as this town, else the slug.

    The cells are a function of every town's id, slug, name and other names alone (the import's
    index, ``names.town_index``), and working them out is most of their cost (the index, 25 ms at
    10,000 towns, and a lookup per town, against 5 ms to read the towns): the last ones worked out
    are kept with the rows they come from, and reused while a read of the towns gives the very same rows.
    """

    def __init__(self, rows: list[tuple]):
        self.rows = rows
        self.index = names.town_index(_NamedTown(pk, slug, name, _names(alt)) for pk, slug, name, alt in rows)
        self.cells: dict[int, str] = {}

    def __call__(self, town: TownRow) -> str:
        cell = self.cells.get(town.id)
        if cell is None:
            named: Any = self.index.rows.get(town.id, town)  # a town added since the rows were read: its own row
            found, _ = self.index.find(named.name)
            cell = self.cells[town.id] = cell_quote(named.name if found is not None and found.pk == town.id
                                                    else named.slug)
        return cell


# The last cells worked out, per theatre (None: every town).
_last_cells: dict[int | None, _TownCells] = {}


def _town_cells(theatre: Theatre | None = None) -> _TownCells:
    """The town cells of the towns as they are now (``_TownCells``); of ``theatre``'s towns only when given.

    A theatre's file is imported back with ``--theatre``, which looks its town names up among that theatre's
    towns alone (``imports``), so its names are resolved among them: another theatre's towns are not read
    (at 1,000 towns beside 10,000, reading them all was a third of the file's time), and a town of another
    theatre with the same name does not turn a name into a slug.
    """
    where, params = ("", []) if theatre is None else ("WHERE theatre_id = %s", [theatre.pk])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, slug, name, alt_names FROM {Town._meta.db_table} {where} ORDER BY id", params)
        rows = cursor.fetchall()
    key = None if theatre is None else theatre.pk
    last = _last_cells.get(key)
    if last is None or last.rows != rows:
        last = _last_cells[key] = _TownCells(rows)
    return last


def _names(alt_names) -> list[str]:
    """A town's other names as the database returns them: JSON text (SQLite; Django's PostgreSQL
    loader) or already a list."""
    if isinstance(alt_names, str | bytes):
        return json.loads(alt_names) if alt_names != "[]" else []
    return alt_names or []


def _source_columns(count: int) -> list[tuple[str, str, str]]:
    """The import's source groups, and the same pattern beyond them for a change citing more."""
    extra = [
        tuple(f"source_{part}_{n}" for part in ("url", "title", "publisher"))
        for n in range(imports.MAX_SOURCES + 1, count + 1)
    ]
    return [*imports.SOURCE_GROUPS, *extra]


def header(most_sources: int) -> list[str]:
    """The file's first row: a column group for each source the most cited row cites."""
    source_columns = [column for group in _source_columns(most_sources) for column in group]
    # A log's reading order, id and date first as this file always began (the import reads columns by
    # name, in any order); then the import's columns, sources between confidence and note as there.
    return ["change_id", "date", "date_label", "town", "faction", *MIDDLE,
            *source_columns, "note", "supersedes", "from_faction", "town_id", "longitude", "latitude"]


def changes_csv(*, start: dt.date, end: dt.date, faction_ids: set[int] | None = None,
                most_sources: int | None = None, theatre: Theatre | None = None) -> Iterator[bytes]:
    """The CSV bytes of the changes layer (the rows of ``geojson.changes_features``), a batch at a time.

    The header, written first, has a column group for each source of the most cited row: ``most_sources``
    (``export_rows.most_sources``), or, when None, worked out here: from the rows' own sources when the
    file is one batch (no query: it was a fifth of a month's file of a small theatre), else asked.
    """
    towns, batches = export_rows.change_events(start=start, end=end, faction_ids=faction_ids, theatre=theatre)
    return _csv_chunks(towns, batches, theatre, most_sources if most_sources is not None else lambda: (
        export_rows.most_sources(start=start, end=end, faction_ids=faction_ids, beyond=imports.MAX_SOURCES,
                                 theatre=theatre)))


def _csv_chunks(towns: dict[int, TownRow], batches: Iterator[list[export_rows.ChangeEvent]],
                theatre: Theatre | None, most_sources: int | Callable[[], int]) -> Iterator[bytes]:
    def sourced(events: list[export_rows.ChangeEvent]) -> tuple[list, dict]:
        return events, export_rows.source_texts_by_change(change_ids=[event.change.id for event in events])

    ahead = [sourced(events) for events in islice(batches, 2)]
    if not callable(most_sources):
        most = most_sources
    elif len(ahead) < 2:  # every row is here: the most any cites, past the import's groups (as most_sources)
        cited = max((len(texts) for _, sources in ahead for texts in sources.values()), default=0)
        most = cited if cited > imports.MAX_SOURCES else 0
    else:
        most = most_sources()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(most))
    yield _taken(out)
    write_row = _row_writer(towns, faction_rows(), len(_source_columns(most)), theatre)
    for events, sources in chain(ahead, map(sourced, batches)):
        writer.writerows(write_row(event, sources[event.change.id]) for event in events)
        yield _taken(out)


def _taken(out: io.StringIO) -> bytes:
    """The text written to ``out`` since the last call, encoded; ``out`` is emptied for the next batch."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()




def _text(value: str | None) -> str | None:
    """A free-text cell: quoted when a spreadsheet would run it (``cell_quote``)."""
    return cell_quote(value) if value and value[0] in QUOTE_STARTS else value  # the rest skip the pattern


def _row_writer(towns: dict[int, TownRow], factions: dict[int, FactionRow], groups: int,
                theatre: Theatre | None = None) -> Callable:
    """A function of a change event and its sources giving its row, in ``header``'s order.

    Texts drawn from a few values (slugs, labels, choices) are quoted once each; a town's cell once
    per town.
    """
    town_cell = _town_cells(theatre)
    # The public's rows name a coarse town by its district (selectors.coarse): its own cell would name it.
    coarse = selectors.coarse_town_ids() if not selectors.editor_reads() else set()
    vocabulary = functools.cache(lambda value: cell_quote(value) if value is not None else "")
    language = translation.get_language()
    label = functools.cache(lambda on, precision, part: cell_quote(kept_date_label(on, precision, part, language)))
    day_parts: dict[int | None, str] = {part.value: cell_quote(part.label.lower()) for part in ControlChange.DayPart}
    day_parts.update({0: "", None: ""})
    slugs = {pk: cell_quote(faction.slug) for pk, faction in factions.items()}
    empty = ("", "", "")

    def row(event: export_rows.ChangeEvent, sources: list[tuple[str, str, str]]) -> list:
        change, previous, note = event
        town = towns[change.town_id]
        cited = [_text(text) for source in sources for text in source]
        cited += empty * (groups - len(sources))
        return [
            change.id, change.effective_date.isoformat(),
            label(change.effective_date, change.date_precision, change.day_part),
            (cell_quote(town.slug) if town.id in coarse else town_cell(town)), vocabulary(change.faction_slug),
            vocabulary(change.date_precision), day_parts[change.day_part], vocabulary(change.status),
            slugs[change.contested_by_id] if change.contested_by_id else "", vocabulary(change.confidence),
            *cited, _text(note), "", vocabulary(previous.faction_slug) if previous else "",
            town.id, town.longitude, town.latitude,
        ]

    return row
