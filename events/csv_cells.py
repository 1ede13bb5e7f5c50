"""Text cells a spreadsheet would run as a formula: quoted by the CSV export, unquoted by the import.

A leading apostrophe is the spreadsheet's own mark for "this is text" (OWASP's advice against CSV
injection). The pair is exact: the export quotes a cell that starts with a formula sign (below), or
with apostrophes before one, so the import gives back every text unchanged (``'=x`` → ``''=x`` →
``'=x``); a text with an apostrophe before anything else is never touched.
"""

import re

# = + - @ TAB CR, and their look-alikes: every character Unicode folds to = + - or @ (NFKC: the
# full-width ＝ ＋ － ＠ an East Asian keyboard types, which spreadsheets in those locales read as
# formula signs, the small and the super- and subscript forms) and the minus sign U+2212.
# tests/events/test_csv_cells.py derives the NFKC list from unicodedata, so none can be missed.
FORMULA_SIGNS = (
    "=+\\-@\t\r"
    "\uff1d\uff0b\uff0d\uff20"  # ＝ ＋ － ＠ full width
    "\ufe66\ufe62\ufe63\ufe6b"  # ﹦ ﹢ ﹣ ﹫ small
    "\u207c\u207a\u208c\u208a"  # ⁼ ⁺ ₌ ₊ superscript and subscript
    "\ufb29"  # ﬩ Hebrew alternative plus
    "\u2212"  # − minus sign
)
FORMULA_START = re.compile(f"'*[{FORMULA_SIGNS}]")
# The first characters of every text ``cell_quote`` changes: a writer may skip the pattern for the rest.
QUOTE_STARTS = frozenset("'" + FORMULA_SIGNS.replace("\\-", "-"))


def cell_quote(text: str) -> str:
    """The text as the CSV export writes it: a formula-like start gets a leading apostrophe."""
    return f"'{text}" if FORMULA_START.match(text) else text


def cell_unquote(text: str) -> str:
    """The text a quoted cell stands for (the inverse of ``cell_quote``)."""
    return text[1:] if text.startswith("'") and FORMULA_START.match(text) else text
