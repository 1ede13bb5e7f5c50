"""An area's chart of shares draws the table beside it: for every row, a column whose parts are that row's
shares (of the towns with a record), read back from the SVG the page serves. The factions page's charts
draw, per step, the numbers its territory over time holds.

The bug this holds: Hama's 2014 row (Islamic State 100 %, 1 of 5 towns with a record) was drawn as
a 24 px stretch of lines on a broken axis, and the width right of its "2014-01-01" label was the
2017-01-01 step (40 % opposition); lines at one value hid each other (the government's 40 %)."""

import datetime as dt

import pytest
import shapely

from events import territory
from events.models import ControlChange, Faction
from tests.factories import AdminAreaFactory, ControlChangeFactory, FactionFactory, TownFactory
from tests.web.chartread import DrawnColumns, shares_table

pytestmark = pytest.mark.django_db

# The table rounds to whole percents; a drawn part is within half a percent of it (and 0.1 px).
TOLERANCE = 0.005 + 0.001


def _drawn_against_table(html: str, slug_names: dict[str, str]) -> list[tuple[str, int, int]]:
    """Assert every row of the shares table is drawn as its column; return (date, with, without) per row."""
    names, rows = shares_table(html)
    chart = DrawnColumns()
    chart.feed(html)  # the page's one chart
    drawn = chart.shares()
    assert [d for d, _ in drawn] == [date for date, *_ in rows], "one column per row, in the table's order"
    widths = {round(r["width"], 1) for c in chart.columns for r in c["rects"]}
    assert len(widths) <= 1, "every step as wide as the others"
    for (date, percents, known, _), (_, shares) in zip(rows, drawn, strict=True):
        by_name = {slug_names[k]: v for k, v in shares.items()}
        for name, percent in zip(names, percents, strict=True):
            assert by_name.get(name, 0) == pytest.approx(percent / 100, abs=TOLERANCE), (date, name)
        # Nothing drawn that the table does not have; a step with a record fills the column.
        assert set(by_name) <= {n for n, p in zip(names, percents, strict=True) if p}
        assert sum(shares.values()) == pytest.approx(1.0 if known else 0.0, abs=0.002), date
    return [(date, known, unknown) for date, _, known, unknown in rows]


def test_hamas_chart_draws_every_row_of_its_table(client, seeded):
    html = client.get("/areas/hama/?date=2014-01-01").content.decode()
    names = dict(Faction.objects.values_list("slug", "name"))
    counts = _drawn_against_table(html, names)
    assert counts[0] == ("2014-01-01", 1, 4)
    # The 2014 column is Islamic State's alone, and its date and count are under it.
    chart = DrawnColumns()
    chart.feed(html)
    assert chart.shares()[0] == ("2014-01-01", pytest.approx({"islamic-state": 1.0}, abs=0.002))
    assert chart.labels[:2] == ["2014-01-01", "2017-01-01"]
    assert "1 of 5" in html.split('class="tick-sub"')[1][:80]


def test_a_synthetic_area_with_unrecorded_and_contested_towns_draws_its_table(client):
    area = AdminAreaFactory(
        name="Testshire", code="SYT1", slug="testshire", geometry=shapely.geometry.mapping(shapely.box(37, 35, 38, 36))
    )
    red = FactionFactory(name="Red side", slug="red", colour="#aa0000")
    blue = FactionFactory(name="Blue side", slug="blue", colour="#0000aa")
    towns = [TownFactory(admin_area=area, name=f"T{i}", slug=f"t{i}") for i in range(4)]
    ControlChangeFactory(town=towns[0], faction=red, effective_date=dt.date(2017, 1, 1))
    ControlChangeFactory(town=towns[1], faction=blue, effective_date=dt.date(2017, 1, 1))
    # Contested: counted for the side holding it, as the table counts it.
    ControlChangeFactory(
        town=towns[2],
        faction=blue,
        effective_date=dt.date(2017, 1, 2),
        status=ControlChange.Status.CONTESTED,
        contested_by=red,
    )
    ControlChangeFactory(town=towns[0], faction=blue, effective_date=dt.date(2017, 1, 3))
    # towns[3] never has a record: counted beside the shares, never in them.
    html = client.get("/areas/testshire/?date=2017-01-03").content.decode()
    counts = _drawn_against_table(html, {"red": "Red side", "blue": "Blue side"})
    assert counts == [("2017-01-01", 2, 2), ("2017-01-02", 3, 1), ("2017-01-03", 3, 1)]
    names, rows = shares_table(html)
    assert dict(zip(names, rows[1][1], strict=True)) == {"Blue side": 67, "Red side": 33}
    assert dict(zip(names, rows[2][1], strict=True)) == {"Blue side": 100, "Red side": 0}


def test_the_factions_charts_draw_territory_over_time_per_step(client, seeded):
    response = client.get("/factions/")
    html = response.content.decode()
    over = territory.territory_over_time()
    figures = html.split('<figure class="chart-figure">')[1:]
    assert len(figures) == 3
    for figure, column in zip(figures, ("towns", "area_km2", "population"), strict=True):
        chart = DrawnColumns()
        chart.feed(figure)
        # The value at the plot's top, as its axis labels it (2.5M, 24k, 32).
        top_label = chart.y_labels[-1]
        top_tick = float(top_label.rstrip("kM")) * {"k": 1e3, "M": 1e6}.get(top_label[-1], 1)
        drawn = chart.shares()
        assert [d for d, _ in drawn] == [d.isoformat() for d in over.dates]
        for date, heights in drawn:
            rows = over.frame[over.frame["date"] == dt.date.fromisoformat(date)].set_index("klass")[column]
            expected = {k: float(v) / top_tick for k, v in rows.items() if float(v) > 0}
            assert heights == pytest.approx(expected, abs=0.002), (column, date)


def test_an_area_without_towns_is_a_page_not_a_500(client, seeded):
    # The seed's Azaz district has no town: its page has no rows, no chart, and says so.
    response = client.get("/areas/azaz/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No towns in this area." in html and "No towns here." in html
    assert '<svg class="chart"' not in html
