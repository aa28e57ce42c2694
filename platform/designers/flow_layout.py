"""A deterministic layered layout of a workflow, for a server-side SVG diagram.

States go in columns by their distance (fewest transitions) from the initial state;
states the initial one does not reach get a column of their own after the others.
Within a column states keep the file's order. Arrows are cubic curves: forward ones
from a box's right side to a later box's left side, arrows within a column bulge
to its right, arrows back bend below the boxes, a transition to its own state loops above the box.
The template draws the shapes with attributes and CSS classes only (the
Content-Security-Policy forbids inline styles); coordinates are in the ``viewBox``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trellis.platform.designers.flow_graph import Edge, FlowGraph

PAD = 24
BOX_W = 150
BOX_H = 48
COL_W = BOX_W + 96
ROW_H = BOX_H + 56
#: Room above the boxes for arrows that loop back to their own state.
TOP_ROOM = 52
#: Parallel arrows between the same two boxes spread out up to this many steps.
MAX_SPREAD = 4
MAX_TEXT = 20


def _short(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.1f}"


Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Box:
    """One state's box: its place, its text and what the diagram flags on it."""

    state: str
    text: str
    full_text: str
    layer: int
    row: int
    x: int
    y: int
    initial: bool
    unreachable: bool
    dead_end: bool
    final: bool

    @property
    def cx(self) -> int:
        """The centre's x."""
        return self.x + BOX_W // 2

    @property
    def cy(self) -> int:
        """The centre's y."""
        return self.y + BOX_H // 2


@dataclass(frozen=True, slots=True)
class Arrow:
    """One transition arrow: an SVG path and where its label goes."""

    name: str
    source: str
    target: str
    text: str
    path: str
    label_x: str
    label_y: str
    kind: str  # forward, back, side, loop


@dataclass(frozen=True, slots=True)
class Diagram:
    """The whole drawing: size of the ``viewBox``, boxes and arrows."""

    width: int
    height: int
    box_w: int
    box_h: int
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]

    def box(self, state: str) -> Box:
        """The box of ``state``."""
        return next(b for b in self.boxes if b.state == state)


def layers(graph: FlowGraph) -> dict[str, int]:
    """Each state's column: its distance from the initial state, unreachable ones last."""
    out: dict[str, list[str]] = {}
    for e in graph.edges:
        out.setdefault(e.source, []).append(e.target)
    found: dict[str, int] = {}
    if graph.initial in graph.states:
        found[graph.initial] = 0
        frontier = [graph.initial]
        while frontier:
            following: list[str] = []
            for state in frontier:
                for target in out.get(state, ()):
                    if target not in found:
                        found[target] = found[state] + 1
                        following.append(target)
            frontier = following
    last = max(found.values(), default=-1) + 1
    return {s: found.get(s, last) for s in graph.states}


def _mid(
    p0: Point,
    p1: Point,
    p2: Point,
    p3: Point,
) -> Point:
    """The point half-way along a cubic curve."""
    return (
        (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8,
        (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8,
    )


def _curve(
    p0: Point,
    p1: Point,
    p2: Point,
    p3: Point,
) -> str:
    return "M {} {} C {} {}, {} {}, {} {}".format(*(_n(v) for p in (p0, p1, p2, p3) for v in p))


def _arrow(edge: Edge, text: str, source: Box, target: Box, nth: int) -> tuple[Arrow, float, float]:
    """The arrow of ``edge``, its lowest and rightmost points; parallel arrows spread out."""
    spread = min(nth, MAX_SPREAD) * 10
    shift = (0, 8, -8, 14, -14)[min(nth, MAX_SPREAD)]
    p0: Point
    p1: Point
    p2: Point
    p3: Point
    if source.state == target.state:
        x, y = source.cx, source.y
        p0, p3 = (x - 18 - spread, y), (x + 18 + spread, y)
        p1, p2 = (x - 34 - spread, y - 34 - spread), (x + 34 + spread, y - 34 - spread)
        kind = "loop"
    elif target.layer > source.layer:
        p0 = (source.x + BOX_W, source.cy - 6 + shift)
        p3 = (target.x, target.cy - 6 + shift)
        bend = (p3[0] - p0[0]) / 2
        p1, p2 = (p0[0] + bend, p0[1]), (p3[0] - bend, p3[1])
        kind = "forward"
    elif target.layer == source.layer:
        side = source.x + BOX_W
        bulge = 36 + 24 * (abs(source.row - target.row) - 1) + spread
        p0, p3 = (side, source.cy + 6 + shift), (side, target.cy + 6 + shift)
        p1, p2 = (side + bulge, p0[1]), (side + bulge, p3[1])
        kind = "side"
    else:
        depth = BOX_H // 2 + 24 + 12 * abs(source.layer - target.layer) + spread
        p0 = (source.cx + 20 + spread, source.y + BOX_H)
        p3 = (target.cx - 20 - spread, target.y + BOX_H)
        low = max(p0[1], p3[1]) + depth
        p1, p2 = (p0[0], low), (p3[0], low)
        kind = "back"
    mx, my = _mid(p0, p1, p2, p3)
    path = _curve(p0, p1, p2, p3)
    arrow = Arrow(edge.name, edge.source, edge.target, _short(text), path, _n(mx), _n(my - 4), kind)
    return arrow, max(p0[1], p1[1], p2[1], p3[1]), max(p0[0], p1[0], p2[0], p3[0])


def layout(
    graph: FlowGraph,
    state_texts: Mapping[str, str] | None = None,
    arrow_texts: Mapping[str, str] | None = None,
) -> Diagram:
    """Place every state of ``graph`` and draw every arrow (same input, same drawing)."""
    state_texts = state_texts or {}
    arrow_texts = arrow_texts or {}
    columns = layers(graph)
    top = PAD + (TOP_ROOM if any(e.source == e.target for e in graph.edges) else 0)
    rows: dict[int, int] = {}
    unreachable = set(graph.unreachable())
    dead = set(graph.dead_ends())
    final = set(graph.final())
    boxes: list[Box] = []
    for state in graph.states:
        layer = columns[state]
        row = rows.get(layer, 0)
        rows[layer] = row + 1
        text = state_texts.get(state) or state
        boxes.append(
            Box(
                state,
                _short(text),
                text,
                layer,
                row,
                PAD + layer * COL_W,
                top + row * ROW_H,
                state == graph.initial,
                state in unreachable,
                state in dead,
                state in final,
            )
        )
    by_state = {b.state: b for b in boxes}
    seen: dict[tuple[str, str], int] = {}
    arrows: list[Arrow] = []
    lowest = rightmost = 0.0
    for edge in graph.edges:
        pair = (edge.source, edge.target)
        nth = seen.get(pair, 0)
        seen[pair] = nth + 1
        text = arrow_texts.get(edge.name) or edge.name
        arrow, low, right = _arrow(edge, text, by_state[edge.source], by_state[edge.target], nth)
        arrows.append(arrow)
        lowest, rightmost = max(lowest, low), max(rightmost, right)
    width = PAD * 2 + max((b.layer for b in boxes), default=0) * COL_W + BOX_W
    width = max(width, int(rightmost) + PAD)
    bottom = max((b.y + BOX_H for b in boxes), default=top + BOX_H)
    height = max(bottom, int(lowest)) + PAD
    return Diagram(width, height, BOX_W, BOX_H, tuple(boxes), tuple(arrows))


__all__ = ["BOX_H", "BOX_W", "Arrow", "Box", "Diagram", "layers", "layout"]
