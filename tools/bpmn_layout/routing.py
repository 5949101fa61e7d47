"""Orthogonal routes of the sequence flows of a scope, in relative coordinates.

Forward flows go right, around the boxes in their way; loops (back edges) and flows that
must skip over their own row go down into a channel under the row, then back up.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from .geometry import CHANNEL_STEP, Point, simplify

if TYPE_CHECKING:
    from .scope import Scope

#: A vertical stretch already drawn: x, low y, high y, source and target of its flow.
Vertical = tuple[float, float, float, str, str]


class Router:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.grid = scope.grid
        self.used: dict[float, int] = {}  # channels under a row, by their y
        self.verticals: list[Vertical] = []

    def routes(self) -> list[list[Point]]:
        return [self._separate(index, self._route(index)) for index in range(len(self.scope.flows))]

    # --- one flow ----------------------------------------------------------------------------

    def _route(self, index: int) -> list[Point]:
        _, src, tgt = self.scope.flows[index]
        if index in self.scope.back:
            return self._loop(src, tgt)
        if src in self.scope.host:
            return self._from_boundary(src, tgt)
        return self._forward(src, tgt)

    def _ignored(self, src: str, tgt: str) -> set[str]:
        """The boxes a flow may touch: its ends, their hosts and their boundary events."""
        s = self.scope
        ignore = {src, tgt, s.eff(src), s.eff(tgt)}
        return ignore | set(s.attached.get(s.eff(src), [])) | set(s.attached.get(tgt, []))

    def _loop(self, src: str, tgt: str) -> list[Point]:
        s, g = self.scope, self.grid
        sb, tb = g.rel[src], g.rel[tgt]
        y = self._channel(max(g.row_bottom_of(src), g.row_bottom_of(tgt)))
        sx, tx = self._free_x(src, first=True), self._free_x(tgt, first=False)
        if s.eff(src) == tgt and src not in s.host:
            sx, tx = sb.cx + sb.w / 4, sb.cx - sb.w / 4
        return [(sx, sb.bottom), (sx, y), (tx, y), (tx, tb.bottom)]

    def _from_boundary(self, src: str, tgt: str) -> list[Point]:
        g = self.grid
        sb, tb = g.rel[src], g.rel[tgt]
        end = (tb.x, tb.cy)
        before_target = g.col_x[self.scope.col[tgt]]
        start = (sb.cx, sb.bottom)
        if tb.cy > sb.bottom + 1:
            points = [start, (sb.cx, tb.cy), end]
            if self._clear(points, self._ignored(src, tgt)):
                return points
        y = self._channel(g.row_bottom_of(src))
        return [start, (sb.cx, y), (before_target, y), (before_target, tb.cy), end]

    def _forward(self, src: str, tgt: str) -> list[Point]:
        s, g = self.scope, self.grid
        sb, tb = g.rel[src], g.rel[tgt]
        end = (tb.x, tb.cy)
        before_target = g.col_x[s.col[tgt]]
        start = (sb.right, sb.cy)
        candidates = [[start, (tb.x, sb.cy)]] if abs(sb.cy - tb.cy) < 0.01 else []
        after_source = g.col_x[s.col[src] + 1]
        middle = round((sb.right + tb.x) / 2)
        for x in (middle, before_target, after_source):
            candidates.append([start, (x, sb.cy), (x, tb.cy), end])
        ignore = self._ignored(src, tgt)
        for points in candidates:
            if self._clear(points, ignore):
                return simplify(points)
        y = self._channel(g.row_bottom_of(src))
        if (s.band[src], s.row[src]) == (s.band[tgt], s.row[tgt]):
            # skipping over its own row: pass under it, like a loop but forwards
            sx, tx = self._free_x(src, first=False), self._free_x(tgt, first=True)
            return [(sx, sb.bottom), (sx, y), (tx, y), (tx, tb.bottom)]
        return simplify(
            [
                start,
                (after_source, sb.cy),
                (after_source, y),
                (before_target, y),
                (before_target, tb.cy),
                end,
            ]
        )

    # --- helpers -----------------------------------------------------------------------------

    def _free_x(self, node: str, first: bool) -> float:
        """Where a loop can leave or enter the bottom of a node without crossing its timers."""
        box = self.grid.rel[node]
        events = [self.grid.rel[e] for e in self.scope.attached.get(node, [])]
        if not events:
            return box.cx
        if first:
            return round((box.x + max(box.x, min(e.x for e in events))) / 2)
        return round((box.right + min(box.right, max(e.right for e in events))) / 2)

    def _clear(self, points: list[Point], ignore: set[str]) -> bool:
        boxes = [b for n, b in self.grid.rel.items() if n not in ignore]
        return not any(box.hit_by(a, b) for a, b in itertools.pairwise(points) for box in boxes)

    def _channel(self, y: float) -> float:
        count = self.used.get(y, 0)
        self.used[y] = count + 1
        return y + CHANNEL_STEP * (count % 4)

    def _separate(self, index: int, points: list[Point]) -> list[Point]:
        """Shift free vertical stretches sideways so two unrelated flows never run on one line.

        Flows from the same source or to the same target may share a line: that reads as a fork
        or a join.
        """
        _, src, tgt = self.scope.flows[index]
        points = list(points)
        for i in range(1, len(points) - 2):
            (x, y1), (x2, y2) = points[i], points[i + 1]
            if abs(x - x2) > 0.01:
                continue
            candidate = self._free_line(x, sorted((y1, y2)), src, tgt)
            points[i], points[i + 1] = (candidate, y1), (candidate, y2)
        for (xa, ya), (xb, yb) in itertools.pairwise(points):
            if abs(xa - xb) < 0.01:
                self.verticals.append((xa, min(ya, yb), max(ya, yb), src, tgt))
        return points

    def _free_line(self, x: float, span: list[float], src: str, tgt: str) -> float:
        """The nearest x to `x` (in channel steps) where a vertical over `span` clashes with none."""
        low, high = span
        for shift in (0, 1, -1, 2, -2, 3, -3):
            candidate = x + shift * CHANNEL_STEP
            clash = any(
                abs(tx - candidate) < 0.01 and tl < high and low < th and src != ts and tgt != tt
                for tx, tl, th, ts, tt in self.verticals
            )
            if not clash:
                break
        return candidate


def bottom_users(scope: Scope, routes: list[list[Point]]) -> set[str]:
    """Nodes a flow leaves or enters from below: their label goes above them instead."""
    rel = scope.grid.rel
    users = set()
    for (_, src, tgt), points in zip(scope.flows, routes, strict=True):
        if src not in scope.host and abs(points[0][1] - rel[src].bottom) < 0.01:
            users.add(src)
        if abs(points[-1][1] - rel[tgt].bottom) < 0.01:
            users.add(tgt)
    return users
