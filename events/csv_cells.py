"""Text cells a spreadsheet would run as a formula: quoted by the CSV export, unquoted by the import.

A leading apostrophe is the spreadsheet's own mark for "this is text" (OWASP's advice against CSV
injection). The pair is exact: the export quotes a cell that starts with = + - @ TAB CR, or with
apostrophes before one of them, so the import gives back every text unchanged (``'=x`` → ``''=x``
→ ``'=x``); a text with an apostrophe before anything else is never touched.
"""

import re

FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def cell_quote(text: str) -> str:
    """The text as the CSV export writes it: a formula-like start gets a leading apostrophe."""
    return f"'{text}" if FORMULA_START.match(text) else text


def cell_unquote(text: str) -> str:
    """The text a quoted cell stands for (the inverse of ``cell_quote``)."""
    return text[1:] if text.startswith("'") and FORMULA_START.match(text) else text
