"""The CSV export's formula guard covers the look-alikes of = + - @, and the import undoes it exactly."""

import sys
import unicodedata

import pytest

from events.csv_cells import FORMULA_SIGNS, cell_quote, cell_unquote

LOOK_ALIKES = [c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.normalize("NFKC", c) in "=+-@"]


def test_every_character_unicode_folds_to_a_formula_sign_is_guarded():
    assert "\uff1d" in LOOK_ALIKES and "\ufe6b" in LOOK_ALIKES  # the derivation finds the full-width ones
    assert [c for c in LOOK_ALIKES if c not in FORMULA_SIGNS] == []


@pytest.mark.parametrize(
    "text",
    [
        "＝SUM(A1)",
        "＋1",
        "－x",
        "＠x",
        "﹦1+1",
        "⁺1",
        "−1",
        "'＝x",
        "''＋x",
        "＝",
        "a＝b",
    ],
)
def test_full_width_and_other_look_alike_signs_are_quoted_and_round_trip(text):
    quoted = cell_quote(text)
    assert cell_unquote(quoted) == text
    if not text.startswith("a"):
        assert quoted == f"'{text}"
    assert unicodedata.normalize("NFKC", quoted)[0] not in "=+-@"


def test_a_full_width_formula_in_a_note_leaves_the_export_quoted(client, seeded):
    from events.models import ControlChange

    change = ControlChange.objects.filter(state="published").order_by("pk").first()
    ControlChange.objects.filter(pk=change.pk).update(note='＝HYPERLINK("http://x")')
    body = b"".join(client.get("/api/changes.csv?from=1900-01-01").streaming_content).decode()
    assert "'＝HYPERLINK" in body
    assert ",＝HYPERLINK" not in body and "\n＝HYPERLINK" not in body


def test_every_text_cell_quote_changes_starts_with_a_quote_start():
    # The CSV writer skips the pattern for texts whose first character is not in QUOTE_STARTS.
    from events.csv_cells import FORMULA_SIGNS, QUOTE_STARTS, cell_quote

    for first in {chr(c) for c in range(0x10000)} - set(QUOTE_STARTS):
        assert cell_quote(first + "x") == first + "x"
    for sign in FORMULA_SIGNS.replace("\\-", "-"):
        assert sign in QUOTE_STARTS and cell_quote(sign + "x") == "'" + sign + "x"
