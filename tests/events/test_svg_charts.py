"""Step chart geometry: x proportional to time, readable date labels."""

import datetime as dt

import pytest

from events import svg_charts

D = dt.date


def _xs(points: str) -> list[float]:
    return [float(p.split(",")[0]) for p in points.split()]


def test_steps_are_as_wide_as_the_time_they_last():
    dates = [D(2014, 1, 1), D(2017, 1, 1), D(2017, 9, 1), D(2017, 9, 2)]
    chart = svg_charts.step_chart(
        title="t", unit="u", dates=dates,
        series=[{"key": "a", "name": "A", "colour": "#000000", "values": [1, 2, 3, 4]}],
    )
    xs = _xs(chart.series[0].points)
    widths = [xs[i + 1] - xs[i] for i in range(0, len(xs), 2)]
    per_day = widths[0] / (dates[1] - dates[0]).days
    assert widths[1] == pytest.approx(per_day * (dates[2] - dates[1]).days, abs=0.2)
    assert widths[2] == pytest.approx(per_day, abs=0.2)  # one day, not a quarter of the chart
    assert widths[0] > 100 * widths[2]
    assert xs[0] == chart.plot_left and xs[-1] == pytest.approx(chart.plot_right, abs=0.2)


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
