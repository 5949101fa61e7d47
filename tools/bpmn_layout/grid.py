"""Pixel geometry of a scope: column widths, band and row heights, the box of every shape.

Coordinates are relative to the top-left corner of the scope's content area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .geometry import (
    BOUNDARY_LABEL_ROOM,
    COLUMN_PAD,
    COLUMN_WIDTH,
    DECORATION_GAP,
    EVENT_SIZE,
    LANE_MIN_HEIGHT,
    LANE_PAD,
    MIN_CONTENT_WIDTH,
    ROW_HEIGHT,
    ROW_PAD,
    Bounds,
    spread,
)

if TYPE_CHECKING:
    from .scope import Scope


class Grid:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._columns()
        self._row_sizes()
        self._bands()
        self.rel: dict[str, Bounds] = {}
        self._node_boxes()
        self._boundary_boxes()
        self.deco_rel: dict[str, Bounds] = {}
        self._decoration_boxes()

    def _columns(self) -> None:
        s = self.scope
        self.col_w = [COLUMN_WIDTH] * s.ncols
        for node in s.nodes:
            w = s.size[node][0]
            self.col_w[s.col[node]] = max(self.col_w[s.col[node]], w + COLUMN_PAD)
        self.col_x = [0.0]
        for w in self.col_w:
            self.col_x.append(self.col_x[-1] + w)
        self.width = max(self.col_x[-1], MIN_CONTENT_WIDTH if s.top_level else 0.0)

    def _row_sizes(self) -> None:
        """Per band and sub-row: the node height, the room above (decorations) and below."""
        s = self.scope
        nrows = [0] * s.nbands
        for node in s.nodes:
            nrows[s.band[node]] = max(nrows[s.band[node]], s.row[node] + 1)
        self.row_base = [[ROW_HEIGHT] * max(n, 1) for n in nrows]
        self.row_extra = [[0.0] * max(n, 1) for n in nrows]
        self.row_below = [[0.0] * max(n, 1) for n in nrows]
        for node in s.nodes:
            b, r = s.band[node], s.row[node]
            self.row_base[b][r] = max(self.row_base[b][r], s.size[node][1] + ROW_PAD)
            if s.attached.get(node):
                self.row_below[b][r] = BOUNDARY_LABEL_ROOM
            for deco in s.above.get(node, []):
                extra = s.deco_size(deco)[1] + 2 * DECORATION_GAP
                self.row_extra[b][r] = max(self.row_extra[b][r], extra)

    def _bands(self) -> None:
        self.band_y: list[float] = []
        self.band_h: list[float] = []
        self.row_top: list[list[float]] = []
        self.row_bottom: list[list[float]] = []
        y = 0.0
        for b in range(self.scope.nbands):
            heights = [
                base + extra + below
                for base, extra, below in zip(
                    self.row_base[b], self.row_extra[b], self.row_below[b], strict=True
                )
            ]
            band_h = (
                max(LANE_MIN_HEIGHT, sum(heights) + LANE_PAD)
                if self.scope.top_level
                else sum(heights)
            )
            top = y + (band_h - sum(heights)) / 2
            tops, bottoms = [], []
            for h in heights:
                tops.append(top)
                bottoms.append(top + h)
                top += h
            self.band_y.append(y)
            self.band_h.append(band_h)
            self.row_top.append(tops)
            self.row_bottom.append(bottoms)
            y += band_h
        self.height = y

    def _node_boxes(self) -> None:
        s = self.scope
        for node in s.nodes:
            w, h = s.size[node]
            b, r, c = s.band[node], s.row[node], s.col[node]
            x = self.col_x[c] + (self.col_w[c] - w) / 2
            top = self.row_top[b][r] + self.row_extra[b][r]
            self.rel[node] = Bounds(x, top + (self.row_base[b][r] - h) / 2, w, h)

    def _boundary_boxes(self) -> None:
        for host, events in self.scope.attached.items():
            hb = self.rel[host]
            for event, cx in zip(events, spread(hb, len(events)), strict=True):
                w, h = EVENT_SIZE
                self.rel[event] = Bounds(cx - w / 2, hb.bottom - h / 2, w, h)

    def _decoration_boxes(self) -> None:
        for node, decos in self.scope.above.items():
            sizes = [self.scope.deco_size(d) for d in decos]
            total = sum(w for w, _ in sizes) + DECORATION_GAP * (len(sizes) - 1)
            anchor = self.rel[node]
            x = anchor.cx - total / 2
            for deco, (w, h) in zip(decos, sizes, strict=True):
                self.deco_rel[deco] = Bounds(x, anchor.y - DECORATION_GAP - h, w, h)
                x += w + DECORATION_GAP

    def row_bottom_of(self, node: str) -> float:
        """Bottom of the sub-row of `node` (of its host, for a boundary event)."""
        node = self.scope.eff(node)
        return self.row_bottom[self.scope.band[node]][self.scope.row[node]]
