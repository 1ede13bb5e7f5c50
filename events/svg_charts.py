"""Step charts of a value per faction over time (x by day number), drawn as SVG by a template.

Server-rendered so the factions page needs no chart library and works offline. This module only
computes coordinates; templates/partials/step_chart.html draws them, escaping every name.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 520, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 40


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline>
    last: str  # the last value, formatted


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class StepChart:
    title: str
    unit: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _compact(value: float) -> str:
    """Axis labels short enough for the margin: 2.5M, 150k, 20."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.1f}"


LABEL_WIDTH = 66  # px a "2017-09-01" label takes at the chart's font size, with a gap
MAX_TICKS = 5


def _x_ticks(days: list[int], x, labels: list[str]) -> list[Tick]:
    """First and last date always; then up to MAX_TICKS - 2 more, evenly spread in time, none overlapping."""
    if not days:
        return []

    def at(day: int) -> float:
        # Centred labels: keep the outermost inside the drawing (the plot has a tail after the last date).
        return min(max(x(day), LABEL_WIDTH / 2), WIDTH - LABEL_WIDTH / 2)

    placed = [(at(days[0]), labels[0])]
    if len(days) > 1 and at(days[-1]) - at(days[0]) >= LABEL_WIDTH:
        placed.append((at(days[-1]), labels[-1]))
    for k in range(1, MAX_TICKS - 1):
        # The change date nearest each evenly spaced instant, if there is room for its label.
        target = days[0] + (days[-1] - days[0]) * k / (MAX_TICKS - 1)
        i = min(range(len(days)), key=lambda j: abs(days[j] - target))
        where = at(days[i])
        if all(abs(where - other) >= LABEL_WIDTH for other, _ in placed):
            placed.append((where, labels[i]))
    return [Tick(where, label) for where, label in sorted(placed)]


def step_chart(*, title: str, unit: str, dates: list[dt.date], series: list[dict[str, Any]]) -> StepChart:
    """``dates``: the change dates, in order; ``series``: dicts with key, name, colour, values (one per date).

    x is proportional to time (day number): a value holds from its date until the next one, and the
    last one for a short stretch after the last date, so a three-year gap looks three years long.
    """
    if any(len(s["values"]) != len(dates) for s in series):
        raise ValueError("Every series needs one value per date.")
    if list(dates) != sorted(dates):
        raise ValueError("Dates must be in order.")
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((v for s in series for v in s["values"]), default=0))
    days = [d.toordinal() for d in dates]
    first = days[0] if days else 0
    span = (days[-1] - first) if days else 0
    tail = max(1, round(span * 0.04))  # the last value's stretch
    per_day = plot_w / (span + tail)

    def x(day: float) -> float:
        return round(LEFT + (day - first) * per_day, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - (v / top_value) * plot_h, 1)

    ends = [*days[1:], (days[-1] + tail) if days else 0]
    drawn = []
    for s in series:
        coords = []
        for start, end, v in zip(days, ends, s["values"], strict=True):
            coords += [f"{x(start)},{y(v)}", f"{x(end)},{y(v)}"]
        last = s["values"][-1] if s["values"] else 0
        drawn.append(Series(s["key"], s["name"], s["colour"], " ".join(coords), _fmt(last)))

    x_ticks = _x_ticks(days, x, [d.isoformat() for d in dates])
    y_ticks = [Tick(y(top_value * k / 4), _compact(top_value * k / 4)) for k in range(5)]
    return StepChart(
        title=title, unit=unit, width=WIDTH, height=HEIGHT, plot_left=LEFT, plot_right=WIDTH - RIGHT,
        plot_top=TOP, plot_bottom=TOP + plot_h, series=drawn, x_ticks=x_ticks, y_ticks=y_ticks,
    )
