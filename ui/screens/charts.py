"""Server-side SVG charts: the geometry of bar, line, pie and funnel charts.

Templates draw these shapes with SVG presentation attributes and CSS classes only
(the Content-Security-Policy has no ``'unsafe-inline'``); colours come from the
``chart-s<n>`` classes of the stylesheet. Coordinates are in a fixed ``viewBox`` and
the SVG scales to its container.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from trellis.platform.dashboards import Group

#: Colour classes the stylesheet defines (``chart-s0`` …).
SERIES_COLOURS = 8
WIDTH = 480
BAR_ROW = 30
BAR_LABEL_WIDTH = 150
BAR_VALUE_WIDTH = 80
LINE_HEIGHT = 220
LINE_MARGIN = (16, 16, 40, 56)  # top, right, bottom, left
PIE_SIZE = 220
FUNNEL_ROW = 40
MAX_LABEL = 22
#: A generous width of one character of chart text (12 px sans-serif), for fitting labels.
CHAR_WIDTH = 7.5


def short(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


@dataclass(frozen=True, slots=True)
class Bar:
    """One horizontal bar with its row label and value text."""

    label: str
    full_label: str
    value_text: str
    y: str
    width: str
    text_y: str
    value_x: str
    colour: int


@dataclass(frozen=True, slots=True)
class BarChart:
    """A horizontal bar chart."""

    height: int
    bar_x: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(groups: Sequence[Group], texts: Sequence[str]) -> BarChart:
    """Bars scaled to the largest value; ``texts`` are the formatted values."""
    top = max((float(g.value) for g in groups), default=0.0)
    scale = nice_ceiling(top)
    room = WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_WIDTH
    bars = []
    for i, (group, text) in enumerate(zip(groups, texts, strict=True)):
        width = max(float(group.value), 0.0) / scale * room
        y = i * BAR_ROW + 4
        bars.append(
            Bar(
                label=short(group.label),
                full_label=group.label,
                value_text=text,
                y=_f(y),
                width=_f(width),
                text_y=_f(y + BAR_ROW / 2),
                value_x=_f(BAR_LABEL_WIDTH + width + 6),
                colour=i % SERIES_COLOURS,
            )
        )
    return BarChart(len(groups) * BAR_ROW + 8, BAR_LABEL_WIDTH, BAR_ROW - 8, tuple(bars))


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a line chart."""

    x: str
    y: str
    label: str
    value_text: str


@dataclass(frozen=True, slots=True)
class Tick:
    """An axis label at a position."""

    position: str
    text: str


@dataclass(frozen=True, slots=True)
class LineChart:
    """A line chart with its path, points, horizontal grid lines and x labels."""

    height: int
    path: str
    area: str
    points: tuple[Point, ...]
    grid: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    left: int
    right: int
    baseline: str
    #: A compared second series (same x positions), drawn without an area.
    second_path: str = ""
    second_points: tuple[Point, ...] = ()


def line_chart(
    groups: Sequence[Group],
    texts: Sequence[str],
    scale_text: list[str],
    peak: float | None = None,
) -> LineChart:
    """Points over time, left to right; ``scale_text`` labels the grid at 0, ½ and the top
    (``peak``, by default the groups' largest value rounded up)."""
    top, right, bottom, left = LINE_MARGIN
    inner_w, inner_h = WIDTH - left - right, LINE_HEIGHT - top - bottom
    if peak is None:
        peak = nice_ceiling(max((float(g.value) for g in groups), default=0.0))
    count = len(groups)
    points = []
    for i, (group, text) in enumerate(zip(groups, texts, strict=True)):
        x = left + (inner_w * i / (count - 1) if count > 1 else inner_w / 2)
        y = top + inner_h - max(float(group.value), 0.0) / peak * inner_h
        points.append(Point(_f(x), _f(y), group.label, text))
    path = " ".join(("M" if i == 0 else "L") + f"{p.x},{p.y}" for i, p in enumerate(points))
    base = _f(top + inner_h)
    area = f"{path} L{points[-1].x},{base} L{points[0].x},{base} Z" if points else ""
    grid = tuple(
        Tick(_f(top + inner_h - inner_h * share), text)
        for share, text in zip((0.0, 0.5, 1.0), scale_text, strict=True)
    )
    step = max(1, math.ceil(count / 6))
    x_ticks = tuple(
        Tick(p.x, short(p.label.removeprefix("Week of "), 14))
        for i, p in enumerate(points)
        if i % step == 0 or i == count - 1
    )
    return LineChart(
        LINE_HEIGHT, path, area, tuple(points), grid, x_ticks, left, WIDTH - right, base
    )


def compare_chart(
    first: Sequence[Group],
    second: Sequence[Group],
    texts: tuple[Sequence[str], Sequence[str]],
    scale_text: list[str],
) -> LineChart:
    """Two series over the same buckets on one scale (the first with its area)."""
    peak = nice_ceiling(max((float(g.value) for g in (*first, *second)), default=0.0))
    main = line_chart(first, texts[0], scale_text, peak)
    other = line_chart(second, texts[1], scale_text, peak)
    return replace(main, second_path=other.path, second_points=other.points)


def line_scale(groups: Sequence[Group]) -> tuple[Decimal, Decimal, Decimal]:
    """The values the grid lines of :func:`line_chart` stand for: 0, half, top."""
    peak = nice_ceiling(max((float(g.value) for g in groups), default=0.0))
    top = Decimal(str(peak))
    return Decimal(0), top / 2, top


@dataclass(frozen=True, slots=True)
class Slice:
    """One slice of a pie: an SVG path (or a full circle) and its share."""

    path: str
    full: bool
    label: str
    value_text: str
    percent: str
    colour: int


@dataclass(frozen=True, slots=True)
class PieChart:
    """A pie chart; ``size`` is the width and height of its square viewBox."""

    size: int
    centre: str
    radius: str
    slices: tuple[Slice, ...]


def pie_chart(groups: Sequence[Group], texts: Sequence[str]) -> PieChart:
    """Slices clockwise from twelve o'clock; groups of zero or less are left out."""
    c = r = PIE_SIZE / 2
    r -= 4
    total = sum(float(g.value) for g in groups if g.value > 0)
    slices: list[Slice] = []
    angle = -math.pi / 2
    for i, (group, text) in enumerate(zip(groups, texts, strict=True)):
        value = float(group.value)
        if value <= 0 or total <= 0:
            continue
        share = value / total
        sweep = share * 2 * math.pi
        x0, y0 = c + r * math.cos(angle), c + r * math.sin(angle)
        angle += sweep
        x1, y1 = c + r * math.cos(angle), c + r * math.sin(angle)
        large = 1 if sweep > math.pi else 0
        path = (
            f"M{_f(c)},{_f(c)} L{_f(x0)},{_f(y0)} A{_f(r)},{_f(r)} 0 {large} 1 {_f(x1)},{_f(y1)} Z"
        )
        slices.append(
            Slice(
                path,
                share > 0.9999,
                group.label,
                text,
                f"{share * 100:.0f} %",
                i % SERIES_COLOURS,
            )
        )
    return PieChart(PIE_SIZE, _f(c), _f(r), tuple(slices))


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a funnel: a centred band whose width follows its value."""

    x: str
    y: str
    width: str
    text_y: str
    label: str
    value_text: str
    share: str
    colour: int
    #: Whether the label fits on the band (else it is drawn in text colour over the row).
    inside: bool = True


@dataclass(frozen=True, slots=True)
class Funnel:
    """A funnel: steps from the first group down, centred on the chart."""

    height: int
    centre: str
    band: int
    steps: tuple[Step, ...]


def funnel_chart(groups: Sequence[Group], texts: Sequence[str]) -> Funnel:
    """Steps in the groups' order; ``share`` is each value against the first step's."""
    peak = max((float(g.value) for g in groups), default=0.0) or 1.0
    first = float(groups[0].value) if groups else 0.0
    steps = []
    for i, (group, text) in enumerate(zip(groups, texts, strict=True)):
        value = max(float(group.value), 0.0)
        width = max(value / peak * WIDTH, 2.0) if value > 0 else 0.0
        y = i * FUNNEL_ROW + 2
        share = f"{value / first * 100:.0f} %" if first > 0 else ""
        steps.append(
            Step(
                _f((WIDTH - width) / 2),
                _f(y),
                _f(width),
                _f(y + FUNNEL_ROW / 2),
                group.label,
                text,
                share,
                i % SERIES_COLOURS,
                width >= (len(group.label) + len(text) + 3) * CHAR_WIDTH + 12,
            )
        )
    return Funnel(len(groups) * FUNNEL_ROW + 4, _f(WIDTH / 2), FUNNEL_ROW - 6, tuple(steps))


__all__ = [
    "BarChart",
    "Funnel",
    "LineChart",
    "PieChart",
    "bar_chart",
    "compare_chart",
    "funnel_chart",
    "line_chart",
    "line_scale",
    "nice_ceiling",
    "pie_chart",
    "short",
]
