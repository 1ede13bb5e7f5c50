"""Step charts of a value per faction over time (x by day number), drawn as SVG by a template.

Server-rendered so the factions page needs no chart library and works offline. This module only
computes coordinates; templates/partials/step_chart.html draws them, escaping every name.

Time runs to scale, except across long stretches with no change (a year or more each, when together
they would take over three quarters of the width, e.g. the seed's "since 2014" before changes that
cluster in 2017): each is drawn short, marked on the axis and named in a note under the chart, so
the width goes to the dates where control changed.
"""

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 520, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 40
LONG_GAP_DAYS = 365  # stretches without change this long are drawn short ...
LONG_GAP_SHARE = 3 / 4  # ... when to scale they would take more than this share of the time axis
BREAK_WIDTH = 24  # px a shortened stretch takes


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
class AxisBreak:
    """A stretch with no change drawn short: where (x of its middle), the mark's path, and what it hides."""

    at: float
    mark: str  # SVG path: two slanted strokes across the axis
    start: dt.date
    end: dt.date

    @property
    def note(self) -> str:
        days = (self.end - self.start).days
        length = f"{days / 365.25:.0f} years" if days >= 730 else f"{days // 30} months"
        return f"{self.start.isoformat()} to {self.end.isoformat()} (no change for {length})"


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
    breaks: tuple[AxisBreak, ...] = ()


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
    """First and last date always; then up to MAX_TICKS - 2 more, evenly spread along the axis, none overlapping."""
    if not days:
        return []

    def at(day: int) -> float:
        # Centred labels: keep the outermost inside the drawing (the plot has a tail after the last date).
        return min(max(x(day), LABEL_WIDTH / 2), WIDTH - LABEL_WIDTH / 2)

    placed = [(at(days[0]), labels[0])]
    if len(days) > 1 and at(days[-1]) - at(days[0]) >= LABEL_WIDTH:
        placed.append((at(days[-1]), labels[-1]))
    for k in range(1, MAX_TICKS - 1):
        # The change date nearest each evenly spaced point of the axis, if there is room for its label.
        target = x(days[0]) + (x(days[-1]) - x(days[0])) * k / (MAX_TICKS - 1)
        i = min(range(len(days)), key=lambda j: abs(x(days[j]) - target))
        where = at(days[i])
        if all(abs(where - other) >= LABEL_WIDTH for other, _ in placed):
            placed.append((where, labels[i]))
    return [Tick(where, label) for where, label in sorted(placed)]


def _long_gaps(days: list[int]) -> set[int]:
    """The gaps (index i: days[i] to days[i + 1]) to draw short: every one of LONG_GAP_DAYS or more, when
    together they would take over LONG_GAP_SHARE of the time axis and some time with changes remains."""
    gaps = [later - earlier for earlier, later in zip(days, days[1:], strict=False)]
    long = {i for i, gap in enumerate(gaps) if gap >= LONG_GAP_DAYS}
    hidden, span = sum(gaps[i] for i in long), sum(gaps)
    return long if LONG_GAP_SHARE * span < hidden < span else set()


def _time_axis(days: list[int], plot_w: float):
    """x(day) and the tail after the last date: to scale, except the long gaps, BREAK_WIDTH px each."""
    short = _long_gaps(days)
    scaled_span = sum(days[i + 1] - days[i] for i in range(len(days) - 1) if i not in short)
    tail = max(1, round(scaled_span * 0.04))  # the last value's stretch
    per_day = (plot_w - BREAK_WIDTH * len(short)) / (scaled_span + tail)
    starts, rates, lefts, at = [], [], [], float(LEFT)
    for i, day in enumerate(days):
        gap = days[i + 1] - day if i + 1 < len(days) else tail
        rate = BREAK_WIDTH / gap if i in short else per_day
        starts.append(day)
        rates.append(rate)
        lefts.append(at)
        at += gap * rate

    def x(day: float) -> float:
        if not starts:
            return float(LEFT)
        i = max(0, bisect.bisect_right(starts, day) - 1)
        return round(lefts[i] + (day - starts[i]) * rates[i], 1)

    return x, tail, sorted(short)


def _axis_break(days: list[int], i: int, x, axis_y: float) -> AxisBreak:
    middle = round((x(days[i]) + x(days[i + 1])) / 2, 1)
    mark = " ".join(f"M{middle + dx - 3},{axis_y + 5} l6,-10" for dx in (-3, 3))
    return AxisBreak(middle, mark, dt.date.fromordinal(days[i]), dt.date.fromordinal(days[i + 1]))


def step_chart(*, title: str, unit: str, dates: list[dt.date], series: list[dict[str, Any]]) -> StepChart:
    """``dates``: the change dates, in order; ``series``: dicts with key, name, colour, values (one per date).

    x follows time (day number): a value holds from its date until the next one, and the last one
    for a short stretch after the last date, so a three-month gap looks three months long. A long
    stretch with no change is drawn short instead (see the module's docstring) and listed in ``breaks``.
    """
    if any(len(s["values"]) != len(dates) for s in series):
        raise ValueError("Every series needs one value per date.")
    if list(dates) != sorted(dates):
        raise ValueError("Dates must be in order.")
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((v for s in series for v in s["values"]), default=0))
    days = [d.toordinal() for d in dates]
    x, tail, short = _time_axis(days, plot_w)

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
        breaks=tuple(_axis_break(days, i, x, TOP + plot_h) for i in short),
    )
