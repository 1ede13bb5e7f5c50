"""Step charts of a value per faction over the change dates, drawn as SVG by a template.

Server-rendered so the factions page needs no chart library and works offline. This module only
computes coordinates; templates/partials/step_chart.html draws them, escaping every name.
"""

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


def step_chart(*, title: str, unit: str, labels: list[str], series: list[dict[str, Any]]) -> StepChart:
    """``labels``: one per step (a change date); ``series``: dicts with key, name, colour, values.

    The x axis is one slot per change date, not proportional time: most changes fall in a few
    months, and readers want to see each step.
    """
    if any(len(s["values"]) != len(labels) for s in series):
        raise ValueError("Every series needs one value per label.")
    n = len(labels)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((v for s in series for v in s["values"]), default=0))
    slot = plot_w / max(n, 1)

    def x(i: float) -> float:
        return round(LEFT + i * slot, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - (v / top_value) * plot_h, 1)

    drawn = []
    for s in series:
        coords = []
        for i, v in enumerate(s["values"]):
            coords += [f"{x(i)},{y(v)}", f"{x(i + 1)},{y(v)}"]
        last = s["values"][-1] if s["values"] else 0
        drawn.append(Series(s["key"], s["name"], s["colour"], " ".join(coords), _fmt(last)))

    every = max(1, n // 6)
    x_ticks = [Tick(x(i + 0.5), labels[i]) for i in range(0, n, every)]
    y_ticks = [Tick(y(top_value * k / 4), _compact(top_value * k / 4)) for k in range(5)]
    return StepChart(
        title=title, unit=unit, width=WIDTH, height=HEIGHT, plot_left=LEFT, plot_right=WIDTH - RIGHT,
        plot_top=TOP, plot_bottom=TOP + plot_h, series=drawn, x_ticks=x_ticks, y_ticks=y_ticks,
    )
