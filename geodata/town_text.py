"""The text of a town file's values, decoded one value at a time. No I/O.

A value is UTF-8, or UTF-8 cut off inside its last letter (OCHA's gazetteers keep names in 50-byte
DBF fields and cut longer ones at byte 50, whatever letter that splits), or text in a code page. The
three are told apart so that the advice fits: a cut value is UTF-8 and a code page would garble it
(cp1256 reads the UTF-8 bytes of معارة as ظ…ط¹ط§ط±ط©), so a code page is named only for a value that
is not UTF-8, with what the value reads as in it.
"""

import codecs
import math

# Code pages a town file that is not UTF-8 is usually in: Arabic and Western European Windows.
SUGGESTED_CODE_PAGES = ("cp1256", "cp1252")
ENCODING_HINT = "if the file is in another encoding, give --encoding (e.g. cp1256 or latin-1)"


class ValueDecoder:
    """Decodes values: UTF-8; a letter cut at the end dropped if asked; else the code page given."""

    def __init__(self, encoding: str | None, *, drop_cut_letters: bool = False):
        if encoding:
            codecs.lookup(encoding)  # LookupError for an unknown name: the caller says so
        self.encoding = encoding
        self.drop_cut_letters = drop_cut_letters

    def text(self, value, where: str, column: str, errors: list[str], notes: list[str], cuts: list[str]) -> str:
        """``value`` as text. A problem is added to ``errors`` (and the value read as well as it can be,
        so that the row's other checks still run); a value read another way is noted in ``notes``
        (a code page) or ``cuts`` (a cut letter dropped)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # an id or count stored as a real number
        text = str(value)
        if text.isascii():
            return text
        raw = text.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc
        cut = cut_at(raw)
        at = f"{where}, {column}"
        # Letters of two or more bytes read well before the cut: UTF-8 beyond doubt, whatever --encoding says.
        if cut is not None and not raw[:cut].isascii():
            kept = raw[:cut].decode("utf-8")
            if self.drop_cut_letters:
                cuts.append(f"{at}: cut off mid-letter at byte {len(raw)}; kept '{kept}'")
            else:
                errors.append(
                    f"{at}: UTF-8 cut off mid-letter at byte {len(raw)} (a field-length limit?): '{kept}' is "
                    f"followed by {_part(raw, cut)}; --drop-cut-letters keeps the value without it"
                )
            return kept
        if self.encoding:
            try:
                decoded = raw.decode(self.encoding)
            except UnicodeDecodeError:
                pass
            else:
                notes.append(f"{at}: not UTF-8, read as {self.encoding}")
                return decoded
        if cut is not None and self.drop_cut_letters:  # ASCII, then a lone lead byte: taken as cut, said so
            kept = raw[:cut].decode("utf-8")
            cuts.append(f"{at}: cut off mid-letter at byte {len(raw)}; kept '{kept}'")
            return kept
        also = f"; or, if it is UTF-8 cut off mid-letter, --drop-cut-letters drops {_part(raw, cut)}" if cut else ""
        errors.append(
            f"{at}: byte 0x{raw[bad.start]:02x} (position {bad.start}) is not "
            f"{'UTF-8 or ' + self.encoding if self.encoding else 'UTF-8'}; {_advice(raw)}{also}"
        )
        return raw.decode("utf-8", "replace")


def garbled_from(text: str, proper: str) -> str | None:
    """The code page in which ``text`` is ``proper``'s UTF-8 misread (perhaps cut mid-letter, as the old
    advice had OCHA's cut names read), else None: "ظ…ط¹ط§ط±ط©" is معارة read as cp1256."""
    for encoding in (*SUGGESTED_CODE_PAGES, "latin-1"):
        try:
            raw = text.encode(encoding)
        except UnicodeEncodeError:
            continue
        if raw.isascii():
            return None
        cut = cut_at(raw)
        try:
            meant = raw.decode("utf-8") if cut is None else raw[:cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if meant == proper:
            return encoding
    return None


def cut_at(raw: bytes) -> int | None:
    """Where the incomplete letter starts, if ``raw`` is valid UTF-8 but for a letter cut at its very end."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Python reports the first problem: "unexpected end of data" reaching the end means all before is good.
        if exc.end == len(raw) and exc.reason == "unexpected end of data":
            return exc.start
    return None


def _part(raw: bytes, cut: int) -> str:
    lead = raw[cut]
    size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return f"{len(raw) - cut} of the {size} bytes of a letter (0x{raw[cut:].hex()})"


def _advice(raw: bytes) -> str:
    """What a value that is not UTF-8 reads as in the usual code pages, and the option that reads it so."""
    readings = []
    for encoding in SUGGESTED_CODE_PAGES:
        try:
            readings.append(f"{encoding} '{raw.decode(encoding)}'")
        except UnicodeDecodeError:
            continue
    if not readings:
        return ENCODING_HINT
    return f"it reads as {' or as '.join(readings)}; give --encoding with the file's encoding"
