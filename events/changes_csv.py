"""changes.csv: the changes layer in the CSV import's format, so an exported file imports as it is.

Every column of the import, and the export-only ones the import ignores (``imports.EXPORT_ONLY``),
in a log's reading order: id, date and label first. The rows are the changes in force (the changes
layer), so ``supersedes`` stays empty: a correction travels, the change it corrected does not, and an
id would name a row of this database only. Factions are written by slug and towns by name, or by
slug when the name also names another town, so every row resolves to the same place in a database
with the same places.
"""

import csv
import io
from collections.abc import Iterator

from . import imports, names
from .csv_cells import cell_quote


class _TownCells:
    """The town column by town id: the name where the import reads it as this town, else the slug.

    Kept across batches, so each town is looked up once however many rows name it.
    """

    def __init__(self):
        self.index, self.cells = names.town_index(), {}

    def __call__(self, town_id: int, name: str) -> str:
        if town_id not in self.cells:
            found, _ = self.index.find(name)
            self.cells[town_id] = name if found is not None and found.pk == town_id else self.index.rows[town_id].slug
        return self.cells[town_id]


def _source_columns(count: int) -> list[tuple[str, str, str]]:
    """The import's source groups, and the same pattern beyond them for a change citing more."""
    extra = [
        tuple(f"source_{part}_{n}" for part in ("url", "title", "publisher"))
        for n in range(imports.MAX_SOURCES + 1, count + 1)
    ]
    return [*imports.SOURCE_GROUPS, *extra]


def changes_csv(batches: Iterator[list[dict]], *, most_sources: int) -> Iterator[bytes]:
    """The CSV bytes of the changes layer's features (``geojson.changes_features``), a batch at a time.

    ``most_sources`` is the most sources a row cites (``export_rows.most_sources``): the header,
    written first, has a column group for each.
    """
    groups = _source_columns(most_sources)
    source_columns = [column for group in groups for column in group]
    # A log's reading order, id and date first as this file always began (the import reads columns by
    # name, in any order); then the import's columns, sources between confidence and note as there.
    header = ["change_id", "date", "date_label", "town", "faction",
              *imports.COLUMNS[imports.COLUMNS.index("precision"): imports.COLUMNS.index("source_url")],
              *source_columns, "note", "supersedes", "from_faction", "town_id", "longitude", "latitude"]
    return _csv_chunks(header, groups, batches, _TownCells())


def _csv_chunks(header: list[str], groups: list[tuple[str, str, str]], batches: Iterator[list[dict]],
                town_cell: _TownCells) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    yield _taken(out)
    for features in batches:
        writer.writerows(_row(feature, groups, town_cell) for feature in features)
        yield _taken(out)


def _taken(out: io.StringIO) -> bytes:
    """The text written to ``out`` since the last call, encoded; ``out`` is emptied for the next batch."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


def _row(feature: dict, groups: list[tuple[str, str, str]], town_cell: _TownCells) -> dict:
    props = feature["properties"]
    longitude, latitude = feature["geometry"]["coordinates"]
    row = {
        "town": town_cell(props["town_id"], props["town"]),
        "faction": props["to_faction"],
        "date": props["date"].isoformat(),
        "precision": props["precision"],
        "day_part": props["day_part"] or "",
        "status": props["status"],
        "contested_by": props["contested_by"] or "",
        "confidence": props["confidence"],
        "note": props["note"],
        "supersedes": "",
        "change_id": feature["id"],
        "date_label": props["date_label"],
        "from_faction": props["from_faction"] or "",
        "town_id": props["town_id"],
        "longitude": longitude,
        "latitude": latitude,
    }
    for (url, title, publisher), source in zip(groups, props["sources"], strict=False):
        row.update({url: source["url"], title: source["title"], publisher: source["publisher"]})
    return {k: cell_quote(v) if isinstance(v, str) else v for k, v in row.items()}
