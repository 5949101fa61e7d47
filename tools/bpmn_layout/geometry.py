"""Sizes in pixels, boxes, and the small geometric helpers the layout is made of."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from .model import text_of

# Geometry, in pixels (bpmn-js defaults for the shapes).
TASK_SIZE = (100.0, 80.0)
EVENT_SIZE = (36.0, 36.0)
GATEWAY_SIZE = (50.0, 50.0)
DATA_OBJECT_SIZE = (36.0, 50.0)
COLUMN_WIDTH = 160.0
COLUMN_PAD = 60.0  # horizontal room kept around a node wider than a task
ROW_HEIGHT = 120.0
ROW_PAD = 40.0
LANE_MIN_HEIGHT = 150.0
LANE_PAD = 30.0
LABEL_AREA = 30.0  # vertical title strip of a participant or a lane
SUBPROCESS_TOP = 20.0  # room for the title of an expanded sub-process
SUBPROCESS_BOTTOM = 20.0  # room for loops, away from the events on the border
ORIGIN = (150.0, 80.0)
POOL_GAP = 50.0
MIN_CONTENT_WIDTH = 300.0
DECORATION_GAP = 10.0
BOUNDARY_LABEL_ROOM = 30.0
CHANNEL_STEP = 5.0
LABEL_LINE = 14.0
CHAR_WIDTH = 6.0

Point = tuple[float, float]


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def moved(self, dx: float, dy: float) -> Bounds:
        return Bounds(self.x + dx, self.y + dy, self.w, self.h)

    def overlaps(self, other: Bounds) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def hit_by(self, a: Point, b: Point) -> bool:
        """Whether the axis-parallel segment a-b crosses the inside of the box (1px margin)."""
        x1, x2 = sorted((a[0], b[0]))
        y1, y2 = sorted((a[1], b[1]))
        return x2 > self.x + 1 and x1 < self.right - 1 and y2 > self.y + 1 and y1 < self.bottom - 1


def label_box(text: str, max_width: float) -> tuple[float, float]:
    per_line = max(1, int(max_width // CHAR_WIDTH))
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines += max(1, math.ceil(len(paragraph) / per_line))
    width = min(max_width, max(len(line) for line in text.splitlines() or [""]) * CHAR_WIDTH + 4)
    return max(width, 20.0), lines * LABEL_LINE


def label_below(element: etree._Element, bounds: Bounds) -> Bounds | None:
    name = (element.get("name") or "").strip()
    if not name:
        return None
    w, h = label_box(name, 90.0)
    return Bounds(bounds.cx - w / 2, bounds.bottom + 5, w, h)


def annotation_size(annotation: etree._Element) -> tuple[float, float]:
    _, h = label_box(text_of(annotation), 92.0)
    return 100.0, min(max(30.0, h + 10), 80.0)


def spread(host: Bounds, count: int) -> list[float]:
    """Centres of the events on the bottom border of a host, apart enough not to touch."""
    if not count:
        return []
    step = max(host.w / (count + 1), EVENT_SIZE[0] + 4)
    if count > 1 and step * (count - 1) > host.w:
        step = host.w / (count - 1)
    first = host.cx - step * (count - 1) / 2
    return [round(first + i * step, 2) for i in range(count)]


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 0.01


def simplify(points: list[Point]) -> list[Point]:
    """Drop repeated and collinear middle points (bpmn-js would keep them as bends)."""
    out: list[Point] = []
    for p in points:
        if out and _same(out[-1][0], p[0]) and _same(out[-1][1], p[1]):
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (_same(x0, x1) and _same(x1, p[0])) or (_same(y0, y1) and _same(y1, p[1])):
                out[-1] = p
                continue
        out.append(p)
    return out


def link(a: Bounds, b: Bounds) -> list[Point]:
    """A straight line between the facing sides of two boxes, for dotted associations."""
    if a.bottom <= b.y:
        return [(a.cx, a.bottom), (b.cx, b.y)]
    if b.bottom <= a.y:
        return [(a.cx, a.y), (b.cx, b.bottom)]
    if a.right <= b.x:
        return [(a.right, a.cy), (b.x, b.cy)]
    return [(a.x, a.cy), (b.right, b.cy)]
