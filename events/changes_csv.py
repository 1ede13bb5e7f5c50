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

from . import imports, names
from .csv_cells import cell_quote


def _town_cells(features: list[dict]) -> dict[int, str]:
    """The town column by town id: the name where the import reads it as this town, else the slug."""
    index = names.town_index()
    cells = {}
    for feature in features:
        town_id = feature["properties"]["town_id"]
        if town_id not in cells:
            found, _ = index.find(feature["properties"]["town"])
            cells[town_id] = feature["properties"]["town"] if found is not None and found.pk == town_id \
                else index.rows[town_id].slug
    return cells


def _source_columns(count: int) -> list[tuple[str, str, str]]:
    """The import's source groups, and the same pattern beyond them for a change citing more."""
    extra = [
        tuple(f"source_{part}_{n}" for part in ("url", "title", "publisher"))
        for n in range(imports.MAX_SOURCES + 1, count + 1)
    ]
    return [*imports.SOURCE_GROUPS, *extra]


def changes_csv_bytes(collection: dict) -> bytes:
    """The CSV bytes of a changes feature collection (``geojson.changes_feature_collection``)."""
    features = collection["features"]
    groups = _source_columns(max((len(f["properties"]["sources"]) for f in features), default=0))
    source_columns = [column for group in groups for column in group]
    # A log's reading order, id and date first as this file always began (the import reads columns by
    # name, in any order); then the import's columns, sources between confidence and note as there.
    header = ["change_id", "date", "date_label", "town", "faction",
              *imports.COLUMNS[imports.COLUMNS.index("precision"): imports.COLUMNS.index("source_url")],
              *source_columns, "note", "supersedes", "from_faction", "town_id", "longitude", "latitude"]
    towns = _town_cells(features)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for feature in features:
        props = feature["properties"]
        longitude, latitude = feature["geometry"]["coordinates"]
        row = {
            "town": towns[props["town_id"]],
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
        writer.writerow({k: cell_quote(v) if isinstance(v, str) else v for k, v in row.items()})
    return out.getvalue().encode()
