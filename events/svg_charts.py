"""Charts of a value per faction at each step (a change date, or the last of its month or year), drawn
as SVG by a template: one stacked column per step.

Server-rendered so the pages need no chart library and work offline. This module only computes
coordinates; templates/partials/step_chart.html draws them, escaping every name.

One column per step, all as wide, in date order, each split by its step's values (shares of the
towns with a record on an area's page; towns, km² or people on the factions page). So every step's
numbers are drawn, the same numbers as the table beside the chart, however long the step lasted:

- not lines, because the values add up to a whole and two lines at one value hide each other (the
  government's 40 % vanished under the opposition's 40 % on Hama's chart);
- not time to scale, because a one-day step was a pixel wide and a three-year one (drawn short on a
  broken axis) sat under its own date label while the next step's value filled the width after it,
  so Hama's "2014-01-01" read as 40 % opposition when its row says 100 % Islamic State.

The rule is said under every chart (``StepChart.note``); the dates are under their columns.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 520, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 40
COLUMN_GAP = 2  # px of white between two columns, so each step reads as its own ...
MIN_GAPPED = 4 * COLUMN_GAP  # ... when columns are at least this wide (hundreds of steps: no gap)
LABEL_WIDTH = 66  # px a "2017-09-01" label takes at the chart's font size, with a gap

COLUMNS_RULE = "One column per date, in order and all as wide (not to time scale); each is split by that date's"


@dataclass(frozen=True)
class Series:
    """A class drawn in every column (a faction, or contested), for the key: its value at the last step."""

    key: str
    name: str
    colour: str
    last: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str
    sub: str = ""  # a second line under a date: what that column's shares are of


@dataclass(frozen=True)
class Segment:
    """One class's part of a column: its ``value``, drawn from ``y`` down ``height`` px."""

    key: str
    name: str
    colour: str
    value: float
    shown: str  # the value as the page writes it ("40%", "1,264")
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    """One step: a row of the table beside the chart."""

    date: dt.date
    x: float
    width: float
    segments: tuple[Segment, ...]
    caption: str  # said on hover: the date and each value


@dataclass(frozen=True)
class Part:
    """A class's parts of every column, drawn as one SVG path of rectangles (a rect each would be
    five times the page at hundreds of steps)."""

    key: str
    colour: str
    d: str


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
    columns: tuple[Column, ...]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    note: str  # the rule the drawing follows, said under it

    @property
    def parts(self) -> list[Part]:
        """One path per class, in the key's order: "M x,y h width v height h -width z" per column."""
        d: dict[str, list[str]] = {s.key: [] for s in self.series}
        for c in self.columns:
            for g in c.segments:
                d[g.key].append(f"M{c.x:g},{g.y:g}h{c.width:g}v{g.height:g}h-{c.width:g}z")
        return [Part(s.key, s.colour, "".join(d[s.key])) for s in self.series if d[s.key]]

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top

    @property
    def hover(self) -> tuple[Column, ...]:
        """The columns that get a caption on hover: all of them, when they are wide enough to point at."""
        return self.columns if self.columns and self.columns[0].width >= MIN_GAPPED - COLUMN_GAP else ()

    @property
    def drawn_dates(self) -> str:
        return " ".join(c.date.isoformat() for c in self.columns)

    @property
    def drawn_xs(self) -> str:
        return " ".join(f"{c.x:g}" for c in self.columns)


def _nice_max(value: float) -> float:
    """The axis's top: four times a round quarter (ticks at 6k, 12k, 18k, 24k; not 18.75k)."""
    if value <= 0:
        return 1.0
    quarter = value / 4
    magnitude = 10 ** math.floor(math.log10(quarter))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if quarter <= step * magnitude * (1 + 1e-9):
            return round(4 * step * magnitude, 9)
    return 40 * magnitude


def _compact(value: float) -> str:
    """Axis labels short enough for the margin: 2.5M, 150k, 20."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.1f}"


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _check(dates: list[dt.date], series: list[dict[str, Any]]) -> None:
    if any(len(s["values"]) != len(dates) for s in series):
        raise ValueError("Every series needs one value per date.")
    if list(dates) != sorted(dates):
        raise ValueError("Dates must be in order.")


def _columns(dates: list[dt.date], series: list[dict[str, Any]], top_value: float, shown, of: list[str], empty: str):
    """The stacked columns: each class's part from the running total, so the parts tile exactly."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h
    pitch = plot_w / max(1, len(dates))
    gap = COLUMN_GAP if pitch >= MIN_GAPPED else 0
    columns = []
    for i, date in enumerate(dates):
        segments, below = [], 0.0
        for s in series:
            value = float(s["values"][i])
            if value <= 0:
                continue
            # Drawn from the axis up, in series order (the key's order), so a class keeps its place.
            base = round(bottom - below / top_value * plot_h, 1)
            top = round(bottom - (below + value) / top_value * plot_h, 1)
            segments.append(Segment(s["key"], s["name"], s["colour"], value, shown(value), top, round(base - top, 1)))
            below += value
        parts = "; ".join(f"{g.name} {g.shown}" for g in segments) or empty
        columns.append(
            Column(
                date,
                round(LEFT + i * pitch + gap / 2, 1),
                round(pitch - gap, 1),
                tuple(segments),
                f"From {date.isoformat()}: {parts}{of[i]}",
            )
        )
    return columns


def _ticks(columns: list[Column], subs: list[str]) -> list[Tick]:
    """Each column's date under its middle: the first and last always, others where they fit."""
    if not columns:
        return []

    def at(column: Column) -> float:
        return min(max(round(column.x + column.width / 2, 1), LABEL_WIDTH / 2), WIDTH - LABEL_WIDTH / 2)

    placed = [(at(columns[0]), 0)]
    if len(columns) > 1 and at(columns[-1]) - placed[0][0] >= LABEL_WIDTH:
        placed.append((at(columns[-1]), len(columns) - 1))
    for i in range(1, len(columns) - 1):
        if all(abs(at(columns[i]) - other) >= LABEL_WIDTH for other, _ in placed):
            placed.append((at(columns[i]), i))
    return [Tick(where, columns[i].date.isoformat(), subs[i]) for where, i in sorted(placed)]


def _chart(*, title, unit, dates, series, top_value, shown, of, subs, y_ticks, note, empty) -> StepChart:
    """``empty``: a column's caption when it has no part (shares: no town had a record; amounts: none)."""
    columns = _columns(dates, series, top_value, shown, of, empty)
    keyed = [Series(s["key"], s["name"], s["colour"], shown(float(s["values"][-1])) if dates else "") for s in series]
    return StepChart(
        title=title,
        unit=unit,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        series=keyed,
        columns=tuple(columns),
        x_ticks=_ticks(columns, subs),
        y_ticks=y_ticks,
        note=note,
    )


def step_chart(*, title: str, unit: str, dates: list[dt.date], series: list[dict[str, Any]]) -> StepChart:
    """Amounts per step, stacked. ``dates``: the steps' dates, in order; ``series``: dicts with key,
    name, colour and values (one per date, 0 or more), stacked from the axis in this order."""
    _check(dates, series)
    totals = [sum(float(s["values"][i]) for s in series) for i in range(len(dates))]
    top_value = _nice_max(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    y_ticks = [Tick(round(TOP + plot_h - plot_h * k / 4, 1), _compact(top_value * k / 4)) for k in range(5)]
    return _chart(
        title=title,
        unit=unit,
        dates=dates,
        series=series,
        top_value=top_value,
        shown=_fmt,
        of=[""] * len(dates),
        subs=[""] * len(dates),
        y_ticks=y_ticks,
        note=f"{COLUMNS_RULE} {unit}: a part per faction, and one for contested towns.",
        empty="none",
    )


def share_chart(
    *,
    title: str,
    unit: str,
    dates: list[dt.date],
    series: list[dict[str, Any]],
    counted: list[tuple[int, int]] | None = None,
) -> StepChart:
    """Shares per step (0..1 each, adding up to 1 or, with nothing recorded, 0), stacked to the full
    height. ``counted``: per date, (towns with a record, towns in all): what the shares are of, said
    under each labelled date and in each column's caption."""
    _check(dates, series)
    if counted is not None and len(counted) != len(dates):
        raise ValueError("counted needs one entry per date.")
    plot_h = HEIGHT - TOP - BOTTOM
    y_ticks = [Tick(round(TOP + plot_h - plot_h * k / 4, 1), f"{25 * k}%") for k in range(5)]
    counted = counted or []
    of = [f" (shares of the {known} of {every} towns with a record)" for known, every in counted] or [""] * len(dates)
    subs = [f"{known} of {every}" for known, every in counted] or [""] * len(dates)
    said = "; under each date, how many of the towns here had a record then (the shares are of those)"
    said = said if counted else ""
    return _chart(
        title=title,
        unit=unit,
        dates=dates,
        series=series,
        top_value=1.0,
        shown=_percent,
        of=of,
        subs=subs,
        y_ticks=y_ticks,
        note=f"{COLUMNS_RULE} shares{said}.",
        empty="no town with a record",
    )
