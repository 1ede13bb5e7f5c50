"""Step chart geometry: x proportional to time, readable date labels."""

import datetime as dt

import pytest
from django.template.loader import render_to_string

from events import svg_charts

D = dt.date


def _xs(points: str) -> list[float]:
    return [float(p.split(",")[0]) for p in points.split()]


def _chart(dates):
    return svg_charts.step_chart(
        title="t", unit="u", dates=dates,
        series=[{"key": "a", "name": "A", "colour": "#000000", "values": list(range(len(dates)))}],
    )


def _widths(chart) -> list[float]:
    xs = _xs(chart.series[0].points)
    return [xs[i + 1] - xs[i] for i in range(0, len(xs), 2)]


def test_steps_are_as_wide_as_the_time_they_last():
    dates = [D(2017, 1, 1), D(2017, 5, 10), D(2017, 9, 1), D(2017, 9, 2)]
    chart = _chart(dates)
    widths = _widths(chart)
    per_day = widths[0] / (dates[1] - dates[0]).days
    assert widths[1] == pytest.approx(per_day * (dates[2] - dates[1]).days, abs=0.2)
    assert widths[2] == pytest.approx(per_day, abs=0.2)  # one day, not a quarter of the chart
    assert chart.breaks == ()
    xs = _xs(chart.series[0].points)
    assert xs[0] == chart.plot_left and xs[-1] == pytest.approx(chart.plot_right, abs=0.2)


def test_years_without_a_change_are_drawn_short_and_said_so_when_changes_cluster():
    # The seed's shape: "held since 2014", then every change in 2017.
    dates = [D(2014, 1, 1), D(2017, 1, 1), D(2017, 5, 10), D(2017, 9, 1), D(2017, 9, 2)]
    chart = _chart(dates)
    widths = _widths(chart)
    assert widths[0] == pytest.approx(svg_charts.BREAK_WIDTH, abs=0.2)
    # 2017 gets the width, still to scale within itself: most of the plot, not 3 %.
    plot = chart.plot_right - chart.plot_left
    assert sum(widths[1:]) > 0.9 * plot
    per_day = widths[1] / (dates[2] - dates[1]).days
    assert widths[2] == pytest.approx(per_day * (dates[3] - dates[2]).days, abs=0.2)
    assert widths[3] == pytest.approx(per_day, abs=0.2)
    [gap] = chart.breaks
    assert (gap.start, gap.end) == (dates[0], dates[1])
    assert gap.note == "2014-01-01 to 2017-01-01 (no change for 3 years)"
    assert chart.plot_left < gap.at < chart.plot_left + svg_charts.BREAK_WIDTH
    xs = _xs(chart.series[0].points)
    assert xs[0] == chart.plot_left and xs[-1] == pytest.approx(chart.plot_right, abs=0.2)


@pytest.mark.parametrize("dates", [
    [D(2012, 1, 1), D(2014, 1, 1), D(2016, 1, 1), D(2018, 1, 1)],  # evenly spread: no width is wasted
    [D(2014, 1, 1), D(2015, 6, 1), D(2016, 1, 1), D(2017, 1, 1), D(2017, 6, 1)],  # long gaps, but changes between
    [D(2014, 1, 1), D(2017, 1, 1)],  # nothing but the gap: shortening it would leave nothing to scale
])
def test_time_stays_to_scale_when_no_long_gap_takes_most_of_the_width(dates):
    chart = _chart(dates)
    widths = _widths(chart)
    per_day = widths[0] / (dates[1] - dates[0]).days
    for (start, end), width in zip(zip(dates, dates[1:], strict=False), widths, strict=False):
        assert width == pytest.approx(per_day * (end - start).days, abs=0.3)
    assert chart.breaks == ()


def test_the_chart_template_marks_and_names_a_shortened_stretch():
    chart = _chart([D(2014, 1, 1), D(2017, 9, 1), D(2017, 9, 3)])
    html = render_to_string("partials/step_chart.html", {"chart": chart})
    assert html.count('class="axis-break"') == 1
    assert "The time axis is shortened (marked <svg" in html
    assert "the mark drawn on the axis) where nothing changed:" in html
    assert "2014-01-01 to 2017-09-01 (no change for 4 years)." in html
    assert "shortened" not in render_to_string("partials/step_chart.html", {"chart": _chart([D(2017, 9, 1)])})


@pytest.mark.parametrize("dates", [
    [D(2014, 1, 1), D(2017, 1, 1), D(2017, 9, 1), D(2017, 9, 2), D(2017, 9, 3)],
    [D(2017, 1, 1) + dt.timedelta(days=i) for i in range(365)],
    [D(2017, 9, 1)],
    [D(2017, 9, 1), D(2017, 9, 2)],
])
def test_date_labels_name_the_first_and_last_date_and_never_overlap(dates):
    chart = svg_charts.step_chart(
        title="t", unit="u", dates=dates,
        series=[{"key": "a", "name": "A", "colour": "#000000", "values": [1] * len(dates)}],
    )
    labels = [t.label for t in chart.x_ticks]
    assert labels[0] == dates[0].isoformat()
    if (dates[-1] - dates[0]).days > 30:
        assert labels[-1] == dates[-1].isoformat()
    assert len(labels) <= svg_charts.MAX_TICKS
    ats = [t.at for t in chart.x_ticks]
    assert all(b - a >= svg_charts.LABEL_WIDTH for a, b in zip(ats, ats[1:], strict=False))
    assert all(svg_charts.LABEL_WIDTH / 2 <= a <= chart.width - svg_charts.LABEL_WIDTH / 2 for a in ats)


def test_dates_must_match_values_and_be_in_order():
    with pytest.raises(ValueError, match="one value per date"):
        svg_charts.step_chart(title="t", unit="u", dates=[D(2017, 1, 1)], series=[
            {"key": "a", "name": "A", "colour": "#000000", "values": [1, 2]}])
    with pytest.raises(ValueError, match="in order"):
        svg_charts.step_chart(title="t", unit="u", dates=[D(2017, 1, 2), D(2017, 1, 1)], series=[])
