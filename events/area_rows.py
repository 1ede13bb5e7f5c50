"""An area page's two long lists as HTML rows, escaped and joined here, as the what-changed page's are
(``changes_page``): up to 200 towns and 400 points of shares. As template loops they were most of the page's
render (~17 of ~19 ms at Ruritania's 250-town governorate, a cost that does not shrink with the theatre:
the second theatre's cold area page missed its floor by it, issue 21 item 7). The markup is the template's."""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from geodata.models import Theatre

from .changes_page import town_url

_TOWN = '<tr data-town="{}">\n      <td><a href="{}">{}</a></td>\n      {}\n    </tr>'
_HELD = (
    '<td><span class="swatch" style="background: {}"></span>{}</td>\n'
    "        <td>{}{}</td>\n"
    '        <td><time datetime="{:%Y-%m-%d}">{}</time></td>\n'
    "        <td>{}</td>"
)
_UNRECORDED = '<td colspan="4">No control recorded yet</td>'
_POINT = '<tr><td>{:%Y-%m-%d}</td>{}<td class="num">{}</td><td class="num">{}</td></tr>'


def town_rows(rows: list[dict], theatre: Theatre | None = None) -> SafeString:
    """The towns table's rows, joined, from ``page_data``'s row dicts (town, and with a change: faction, status,
    contested_by, date, date_label, confidence); each link keeps ``theatre``."""
    url = town_url(theatre)
    out = []
    for row in rows:
        town = row["town"]
        held = _UNRECORDED
        if row.get("change") is not None:
            by = row["contested_by"]
            held = _HELD.format(
                escape(row["faction"].colour),
                escape(row["faction"].name),
                escape(str(row["status"])),
                f" by {escape(by.name)}" if by is not None else "",
                row["date"],
                escape(row["date_label"]),
                escape(str(row["confidence"])),
            )
        out.append(_TOWN.format(escape(town.slug), escape(url(town.slug)), escape(town.name), held))
    return mark_safe("\n    ".join(out))  # noqa: S308 (every value escaped)


def percent_cells(percents: list[int]) -> str:
    """A shares row's cells (whole numbers: nothing to escape)."""
    return "".join(f'<td class="num">{int(p)}%</td>' for p in percents)


def point_rows(table: list[dict]) -> SafeString:
    """The shares table's rows, joined, from ``page_data``'s (date, cells: a percent per faction, recorded and
    unrecorded towns)."""
    return mark_safe(
        "\n  ".join(  # noqa: S308 (dates and numbers only)
            _POINT.format(r["date"], percent_cells(r["cells"]), int(r["recorded"]), int(r["unrecorded"])) for r in table
        )
    )
