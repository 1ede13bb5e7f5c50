"""Charts per step: one stacked column per date, all as wide, each drawing its date's values exactly,
read back from the rendered SVG as a browser would draw it."""

import datetime as dt

import pytest
from django.template.loader import render_to_string

from events import svg_charts
from tests.web.chartread import DrawnColumns

D = dt.date
SEED_DATES = [D(2014, 1, 1), D(2017, 1, 1), D(2017, 9, 1), D(2017, 9, 2), D(2017, 9, 3)]


def drawn(chart) -> DrawnColumns:
    parser = DrawnColumns()
    parser.feed(render_to_string("partials/step_chart.html", {"chart": chart}))
    return parser


def _shares(values_by_key: dict[str, list[float]], dates, counted=None):
    return svg_charts.share_chart(
        title="t",
        unit="u",
        dates=dates,
        counted=counted,
        series=[{"key": k, "name": k.title(), "colour": "#000000", "values": v} for k, v in values_by_key.items()],
    )


def test_every_step_is_drawn_with_its_own_shares_however_long_it_lasted():
    # Hama's shape: 2014 (1 town known, Islamic State), three years without change, then 2017.
    values = {"is": [1.0, 0.2, 0.0, 0.2, 0.0], "gov": [0.0, 0.4, 0.6, 0.4, 0.6], "opp": [0.0, 0.4, 0.4, 0.4, 0.4]}
    chart = _shares(values, SEED_DATES, counted=[(1, 5), (5, 5), (5, 5), (5, 5), (5, 5)])
    seen = drawn(chart)
    assert [d for d, _ in seen.shares()] == [d.isoformat() for d in SEED_DATES]
    for i, (_, shares) in enumerate(seen.shares()):
        expected = {k: v[i] for k, v in values.items() if v[i]}
        assert shares == pytest.approx(expected, abs=0.002), SEED_DATES[i]
    # 2014's column is Islamic State's alone, full height (the bug: the width after 2014's label was 2017's 40 %).
    assert seen.shares()[0][1] == pytest.approx({"is": 1.0}, abs=0.002)
    # A one-day step is as wide as the three-year one, and the columns tile the plot in order.
    widths = {c["rects"][0]["width"] for c in seen.columns}
    assert len(widths) == 1 and widths.pop() > 80
    xs = [c["rects"][0]["x"] for c in seen.columns]
    assert xs == sorted(xs) and all(b - a > 80 for a, b in zip(xs, xs[1:], strict=False))
    # Each column's date is under it, with what its shares are of.
    assert seen.labels == [d.isoformat() for d in SEED_DATES]
    assert [t.sub for t in chart.x_ticks] == ["1 of 5", "5 of 5", "5 of 5", "5 of 5", "5 of 5"]
    assert chart.columns[0].caption == "From 2014-01-01: Is 100% (shares of the 1 of 5 towns with a record)"
    assert "not to time scale" in chart.note


def test_parts_of_a_column_stack_without_overlap_or_gap_to_the_full_height():
    # Thirds do not round evenly: the parts still tile the column from the axis to the top.
    chart = _shares({"a": [1 / 3], "b": [1 / 3], "c": [1 / 3]}, [D(2017, 9, 1)])
    [column] = drawn(chart).columns
    rects = sorted(column["rects"], key=lambda r: -r["y"])
    assert rects[0]["y"] + rects[0]["height"] == pytest.approx(chart.plot_bottom)
    for lower, upper in zip(rects, rects[1:], strict=False):
        assert upper["y"] + upper["height"] == pytest.approx(lower["y"])
    assert rects[-1]["y"] == pytest.approx(chart.plot_top)


def test_a_step_with_no_town_recorded_is_an_empty_column_said_so():
    chart = _shares({"a": [0.0, 1.0]}, [D(2017, 1, 1), D(2017, 9, 1)], counted=[(0, 3), (1, 3)])
    seen = drawn(chart)
    assert seen.shares() == [("2017-01-01", {}), ("2017-09-01", pytest.approx({"a": 1.0}, abs=0.002))]
    assert "no town with a record (shares of the 0 of 3 towns with a record)" in chart.columns[0].caption


def test_amounts_stack_to_their_total_on_a_scale_the_axis_labels():
    dates = [D(2014, 1, 1), D(2017, 1, 1)]
    chart = svg_charts.step_chart(
        title="Towns held",
        unit="towns",
        dates=dates,
        series=[
            {"key": "a", "name": "A", "colour": "#111111", "values": [1, 20]},
            {"key": "b", "name": "B", "colour": "#222222", "values": [1, 9]},
        ],
    )
    assert [t.label for t in chart.y_ticks] == ["0", "8", "16", "24", "32"]
    full = chart.plot_bottom - chart.plot_top  # 32 towns
    seen = drawn(chart).shares()
    assert seen[0][1] == pytest.approx({"a": 1 / 32, "b": 1 / 32}, abs=0.002)
    assert seen[1][1] == pytest.approx({"a": 20 / 32, "b": 9 / 32}, abs=0.002)
    assert chart.columns[1].segments[1].y == pytest.approx(chart.plot_bottom - 29 / 32 * full, abs=0.1)
    assert [s.last for s in chart.series] == ["20", "9"]
    assert chart.columns[1].caption == "From 2017-01-01: A 20; B 9"


@pytest.mark.parametrize(
    "dates",
    [
        SEED_DATES,
        [D(2017, 1, 1) + dt.timedelta(days=i) for i in range(365)],
        [D(2017, 9, 1)],
        [D(2017, 9, 1), D(2017, 9, 2)],
    ],
)
def test_date_labels_name_the_first_and_last_column_and_never_overlap(dates):
    chart = svg_charts.step_chart(
        title="t",
        unit="u",
        dates=dates,
        series=[{"key": "a", "name": "A", "colour": "#000000", "values": [1] * len(dates)}],
    )
    assert len(chart.columns) == len(dates)
    labels = [t.label for t in chart.x_ticks]
    assert labels[0] == dates[0].isoformat() and labels[-1] == dates[-1].isoformat()
    ats = [t.at for t in chart.x_ticks]
    assert all(b - a >= svg_charts.LABEL_WIDTH for a, b in zip(ats, ats[1:], strict=False))
    assert all(svg_charts.LABEL_WIDTH / 2 <= a <= chart.width - svg_charts.LABEL_WIDTH / 2 for a in ats)
    # Columns never overlap and stay inside the plot, even at a pixel each.
    edges = [(c.x, c.x + c.width) for c in chart.columns]
    assert edges[0][0] >= chart.plot_left and edges[-1][1] <= chart.plot_right + 0.1
    assert all(a[1] <= b[0] + 0.05 for a, b in zip(edges, edges[1:], strict=False))


def test_dates_must_match_values_and_be_in_order():
    with pytest.raises(ValueError, match="one value per date"):
        svg_charts.step_chart(
            title="t",
            unit="u",
            dates=[D(2017, 1, 1)],
            series=[{"key": "a", "name": "A", "colour": "#000000", "values": [1, 2]}],
        )
    with pytest.raises(ValueError, match="in order"):
        svg_charts.share_chart(title="t", unit="u", dates=[D(2017, 1, 2), D(2017, 1, 1)], series=[])
    with pytest.raises(ValueError, match="one entry per date"):
        svg_charts.share_chart(title="t", unit="u", dates=[D(2017, 1, 1)], series=[], counted=[])


def test_names_in_the_chart_are_escaped():
    chart = _shares({"<b>x</b>": [1.0]}, [D(2017, 9, 1)])
    html = render_to_string("partials/step_chart.html", {"chart": chart})
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_hundreds_of_steps_stay_a_light_page():
    # territory.MAX_POINTS steps of seven classes: one path per class, no caption per pixel-wide column.
    dates = [D(2016, 1, 1) + dt.timedelta(days=i) for i in range(400)]
    series = [
        {
            "key": f"faction-{k}",
            "name": f"Faction {k}",
            "colour": "#aabbcc",
            "values": [1 + (i * k) % 97 for i in range(400)],
        }
        for k in range(7)
    ]
    chart = svg_charts.step_chart(title="t", unit="u", dates=dates, series=series)
    html = render_to_string("partials/step_chart.html", {"chart": chart})
    assert len(html) < 100_000  # a rect per part was 400 kB
    assert html.count('class="part"') == 7 and chart.hover == ()
    assert len(drawn(chart).columns) == 400 and all(len(c["rects"]) == 7 for c in drawn(chart).columns)
