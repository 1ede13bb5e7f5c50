"""The project's CSV row files (the import, the seed's factions and sources): decoding, the header, the rows.

Every problem is a row error naming its line and column; a row's cells are kept once per distinct
value, so a 100,000-row file costs a fraction of its rows' dictionaries.
"""

import codecs
import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from conflictmap.text_checks import NUL_MESSAGE

from .csv_cells import cell_unquote


@dataclass(frozen=True)
class RowError:
    """A bad row of a CSV file (the import's or a seed file): line, column, reason and, for the seed, file."""

    line: int
    column: str
    reason: str
    file: str = ""

    def __str__(self) -> str:
        if self.line == 0:  # the whole file, not a row
            return f"{self.file}: {self.reason}" if self.file else self.reason
        where = f"{self.file}, " if self.file else ""
        return f"{where}line {self.line}, column {self.column}: {self.reason}"


def csv_decode(*, data: bytes, file: str = "") -> tuple[str, list[RowError]]:
    """The text of a file's bytes (UTF-8, with or without a BOM), or the error naming the line and byte that is not."""
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line_start = body.rfind(b"\n", 0, exc.start) + 1
        reason = (f"the file is not UTF-8 text: byte {exc.start - line_start + 1} of this line "
                  f"(0x{body[exc.start]:02x}) cannot be read; save the file as UTF-8")
        return "", [RowError(body.count(b"\n", 0, exc.start) + 1, "-", reason, file)]


def _long_field_column(text: str, after_line: int, header: list[str]) -> str:
    """The column of the first field over the csv module's size limit in the record after ``after_line``."""
    limit, column, length, quoted = csv.field_size_limit(), 0, 0, False
    for char in itertools.chain.from_iterable(itertools.islice(io.StringIO(text), after_line, None)):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            column, length = column + 1, 0
        elif char in "\r\n" and not quoted:
            break
        else:
            length += 1
            if length > limit:
                return header[column] if column < len(header) else "-"
    return "-"


def csv_rows(
    *, text: str, required: list[str], optional: list[str] = (), file: str = "", columns_text: str = ""
) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The rows of a CSV text as (line, Cells {column: stripped value}), or the errors of its header and rows.

    The one CSV reader of the project's row files (the import, the seed's factions and sources):
    a missing or unknown column names itself and lists the columns; a row with too many or too few
    fields is named by its line. A cell quoted against spreadsheet formulas (``csv_cells``) is read as
    the text it stands for.
    """
    columns = [*required, *optional]
    reader = csv.reader(_lines(text))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        return [], [RowError(1, "-", f"the header cannot be read ({exc})", file)]
    if any("\x00" in h for h in header):
        return [], [RowError(1, "-", f"the header: {NUL_MESSAGE}", file)]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in columns]
    errors = []
    if missing:
        errors.append(RowError(1, ",".join(missing), "missing column(s)", file))
    if unknown:
        errors.append(RowError(1, ",".join(unknown), f"unknown column(s); the columns are "
                                                     f"{columns_text or ', '.join(columns)}", file))
    if errors:
        return [], errors
    at = {name: i for i, name in enumerate(header)}  # a column named twice: its last cell (as csv.DictReader)
    cells_of = [(c, at[c]) for c in columns if c in at]
    may_hold_nul = "\x00" in text
    kept: dict[str, str] = {}  # a value repeated down the file (a date, a faction) is kept once
    rows = []
    while True:
        before = reader.line_num
        try:
            cells = next(reader, None)
        except csv.Error as exc:  # a field over the csv module's limit (128 KiB): reading stops there
            too_long = "larger than field limit" in str(exc)
            reason = f"a field is longer than {csv.field_size_limit():,} characters" if too_long else str(exc)
            column = _long_field_column(text, before, header) if too_long else "-"
            errors.append(RowError(before + 1, column, f"{reason}; the rows after it were not read", file))
            break
        if cells is None:
            break
        if not cells:  # a blank line
            continue
        if len(cells) != len(header):
            errors.append(RowError(reader.line_num, "-", f"expected {len(header)} fields", file))
            continue
        nul = [c for c, i in at.items() if "\x00" in cells[i]] if may_hold_nul else []
        errors += [RowError(reader.line_num, c, NUL_MESSAGE, file) for c in nul]
        if not nul:
            rows.append((reader.line_num, Cells({c: kept.setdefault(v := _cell(cells[i]), v) for c, i in cells_of})))
    if not rows and not errors:
        errors.append(RowError(2, "-", "the file has no rows", file))
    return rows, errors


def _lines(text: str) -> Iterator[str]:
    """The text's lines as ``io.StringIO(text)`` gives them, without its copy of the text (4 bytes a character)."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


class Cells(dict):
    """A row's cells by column; a column the file does not have reads as empty (and takes no memory)."""

    def __missing__(self, column: str) -> str:
        return ""


def _cell(text: str) -> str:
    text = text.strip()
    return cell_unquote(text) if text.startswith("'") else text
