"""In Chromium, at 1366 and 360 px: Hama's chart draws each row of its shares table (the heights the
browser lays out, against the table's cells), and a town's history reads on a phone without a
sideways scroll or screen-tall rows."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1366": {"width": 1366, "height": 900}, "360": {"width": 360, "height": 740}}

# Per column of the chart: its date, and which class the browser finds at each point down its middle
# (elementsFromPoint, every half pixel from the plot's top to its axis), as shares of the plot's height.
_DRAWN = """() => {
    const svg = document.querySelector('svg.chart');
    const grid = [...svg.querySelectorAll('line.grid')].map(l => l.getBoundingClientRect().top);
    const top = Math.min(...grid), axis = svg.querySelector('line.axis').getBoundingClientRect().top;
    const dates = svg.querySelector('g.columns').dataset.dates.split(' ');
    return [...svg.querySelectorAll('rect.hover')].map((hover, i) => {
        const box = hover.getBoundingClientRect(), x = box.left + box.width / 2, parts = {};
        let samples = 0;
        for (let y = top + 0.25; y < axis; y += 0.5, samples++) {
            const part = document.elementsFromPoint(x, y).find(e => e.classList.contains('part'));
            if (part) parts[part.dataset.key] = (parts[part.dataset.key] || 0) + 1;
        }
        for (const k in parts) parts[k] /= samples;
        return {date: dates[i], parts, width: box.width};
    });
}"""

_TABLE = """() => {
    const table = document.querySelector('table.shares-table');
    const names = [...table.querySelectorAll('thead th')].slice(1, -2).map(th => th.textContent.trim());
    return [...table.querySelectorAll('tbody tr')].map(tr => {
        const cells = [...tr.querySelectorAll('td')].map(td => td.textContent.trim());
        return {date: cells[0], shares: Object.fromEntries(names.map((n, i) => [n, parseInt(cells[i + 1])]))};
    });
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_hamas_chart_draws_each_row_of_its_table_in_the_browser(live_server, seeded, open_page, artifacts, width):
    from events.models import Faction

    names = dict(Faction.objects.values_list("slug", "name"))
    page, watch = open_page(viewport=WIDTHS[width])
    page.goto(f"{live_server.url}/areas/hama/")
    # elementsFromPoint sees what is on the screen: the whole chart in view first.
    page.evaluate("() => document.querySelector('svg.chart').scrollIntoView({block: 'center'})")
    drawn, table = page.evaluate(_DRAWN), page.evaluate(_TABLE)
    assert [c["date"] for c in drawn] == [r["date"] for r in table]
    for column, row in zip(drawn, table, strict=True):
        by_name = {names[k]: v for k, v in column["parts"].items()}
        for name, percent in row["shares"].items():
            # Whole percents in the table; a laid-out pixel at 360 px is under 1 % of the plot.
            assert by_name.get(name, 0) == pytest.approx(percent / 100, abs=0.015), (width, row["date"], name)
        assert column["width"] > 20, "every step visible, however short it lasted"
    assert drawn[0]["parts"] == pytest.approx({"islamic-state": 1.0}, abs=0.015)  # 2014: IS alone
    page.locator(".chart-figure").screenshot(path=str(artifacts / f"area-hama-chart-{width}.png"))
    assert watch.page_errors == []


def test_a_towns_history_reads_at_360_px(live_server, seeded, open_page, artifacts):
    page, watch = open_page(viewport=WIDTHS["360"])
    page.goto(f"{live_server.url}/towns/uqayribat/")
    table = page.locator("table.history-table")
    # No sideways scroll: every cell, the sources too, within the screen's width.
    assert page.evaluate("() => document.querySelector('.history-table').parentElement.scrollWidth") <= 360
    for box in (cell.bounding_box() for cell in table.locator("tbody td").all()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360 + 0.5
    # Each cell says its column (the header is for screen readers only at this width).
    labels = page.evaluate("""() => [...document.querySelectorAll('.history-table tbody tr:first-child td')]
        .map(td => getComputedStyle(td, '::before').content)""")
    assert labels == ['"From"', '"Controller"', '"Status"', '"Confidence"', '"Sources"']
    # The sources, the longest cell, take the screen's width rather than a squeezed column's.
    for cell in table.locator("tbody td.sources-cell").all():
        assert cell.bounding_box()["width"] >= 0.8 * 330
    table.screenshot(path=str(artifacts / "town-uqayribat-history-360.png"))
    assert watch.page_errors == []
