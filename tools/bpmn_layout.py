"""Draw the diagram (BPMN DI) of a BPMN file whose model was written by hand.

Process owners write the semantics of a procedure in a text editor; bpmn-js and Camunda Modeler
show nothing without shapes and edges, and drawing them by hand does not survive the next change
of the model. This tool throws the old diagram away and computes a new one from the model alone,
so it can be rerun after every edit and always gives the same bytes for the same model.

Layout: left-to-right layers (column = longest path from the start events, loops ignored), one
horizontal band per lane, nodes sharing a lane and a column stacked in sub-rows. Expanded
sub-processes are laid out recursively inside their own shape (isExpanded="true").

Usage: python -m tools.bpmn_layout FILE.bpmn [FILE2.bpmn ...]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
DI_NSMAP = {"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

EVENTS = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ACTIVITIES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "businessRuleTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "callActivity",
    }
    | CONTAINERS
)
FLOW_NODES = EVENTS | GATEWAYS | ACTIVITIES

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
SILENT_IN_COLLABORATION = ("participant", "extensionElements", "documentation")
CHANNEL_STEP = 5.0
LABEL_LINE = 14.0
CHAR_WIDTH = 6.0


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _is_bpmn(element: etree._Element, *names: str) -> bool:
    if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
        return False
    return not names or _local(element) in names


def _children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in element if _is_bpmn(c, *names)]


def _fmt(value: float) -> str:
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


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

    def hit_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the axis-parallel segment a-b crosses the inside of the box (1px margin)."""
        x1, x2 = sorted((a[0], b[0]))
        y1, y2 = sorted((a[1], b[1]))
        return x2 > self.x + 1 and x1 < self.right - 1 and y2 > self.y + 1 and y1 < self.bottom - 1


Point = tuple[float, float]


@dataclass
class _Shape:
    element_id: str
    bounds: Bounds
    attrs: dict[str, str] = field(default_factory=dict)
    label: Bounds | None = None


@dataclass
class _Edge:
    element_id: str
    points: list[Point]
    label: Bounds | None = None


class _Drawing:
    """Shapes and edges collected in drawing order, plus the problems met on the way."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.shapes: list[_Shape] = []
        self.edges: list[_Edge] = []
        self.warn = warn
        self.placed: dict[str, Bounds] = {}
        self.loose: list[etree._Element] = []  # annotations attached to nothing

    def shape(
        self,
        element_id: str,
        bounds: Bounds,
        attrs: dict[str, str] | None = None,
        label: Bounds | None = None,
    ) -> None:
        self.shapes.append(_Shape(element_id, bounds, attrs or {}, label))
        self.placed[element_id] = bounds


def _label_box(text: str, max_width: float) -> tuple[float, float]:
    per_line = max(1, int(max_width // CHAR_WIDTH))
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines += max(1, math.ceil(len(paragraph) / per_line))
    width = min(max_width, max(len(line) for line in text.splitlines() or [""]) * CHAR_WIDTH + 4)
    return max(width, 20.0), lines * LABEL_LINE


def _label_below(element: etree._Element, bounds: Bounds) -> Bounds | None:
    name = (element.get("name") or "").strip()
    if not name:
        return None
    w, h = _label_box(name, 90.0)
    return Bounds(bounds.cx - w / 2, bounds.bottom + 5, w, h)


def _text_of(annotation: etree._Element) -> str:
    text = annotation.find(_q(BPMN_NS, "text"))
    return (text.text or "").strip() if text is not None else ""


def _annotation_size(annotation: etree._Element) -> tuple[float, float]:
    _, h = _label_box(_text_of(annotation), 92.0)
    return 100.0, min(max(30.0, h + 10), 80.0)


class _Scope:
    """The layout of the direct content of a process or an expanded sub-process.

    Coordinates are relative to the top-left corner of the content area; `emit` translates them.
    """

    def __init__(
        self,
        element: etree._Element,
        drawing: _Drawing,
        bands: Sequence[set[str] | None] = (None,),
        top_level: bool = True,
    ) -> None:
        self.element = element
        self.drawing = drawing
        self.top_level = top_level
        self._collect()
        self.children: dict[str, _Scope] = {}
        self.size: dict[str, tuple[float, float]] = {}
        for node in self.nodes:
            self.size[node] = self._size_of(self.by_id[node])
        self._decorations()
        self._columns()
        self._bands(bands)
        self._rows()
        self._geometry()

    # --- model -------------------------------------------------------------------------------

    def _collect(self) -> None:
        self.by_id: dict[str, etree._Element] = {}
        self.order: dict[str, int] = {}
        self.nodes: list[str] = []
        self.host: dict[str, str] = {}
        self.attached: dict[str, list[str]] = {}
        for child in _children(self.element):
            ident = child.get("id")
            if ident is None:
                continue
            self.by_id[ident] = child
            self.order[ident] = len(self.order)
        flow_nodes = [i for i, e in self.by_id.items() if _local(e) in FLOW_NODES and _is_bpmn(e)]
        for ident in flow_nodes:
            element = self.by_id[ident]
            host = element.get("attachedToRef")
            if _local(element) == "boundaryEvent":
                if host in flow_nodes and _local(self.by_id[host]) != "boundaryEvent":
                    self.host[ident] = host
                    self.attached.setdefault(host, []).append(ident)
                    continue
                self.drawing.warn(
                    f"{ident} : événement en bordure sans activité d'attache, placé comme un nœud"
                )
            self.nodes.append(ident)
        self.flows: list[tuple[etree._Element, str, str]] = []
        for flow in _children(self.element, "sequenceFlow"):
            src, tgt = flow.get("sourceRef"), flow.get("targetRef")
            if (src in self.host or src in self.nodes) and tgt in self.nodes:
                self.flows.append((flow, src, tgt))
                continue
            self.drawing.warn(
                f"{flow.get('id')} : flux de séquence entre éléments inconnus de ce niveau, ignoré"
            )

    def _eff(self, ident: str) -> str:
        return self.host.get(ident, ident)

    def _size_of(self, element: etree._Element) -> tuple[float, float]:
        kind = _local(element)
        if kind in EVENTS:
            return EVENT_SIZE
        if kind in GATEWAYS:
            return GATEWAY_SIZE
        if kind in CONTAINERS and any(_local(c) in FLOW_NODES for c in element):
            if _children(element, "laneSet"):
                self.drawing.warn(
                    f"{element.get('id')} : couloirs dans un sous-processus non dessinés"
                )
            child = _Scope(element, self.drawing, top_level=False)
            self.children[element.get("id")] = child
            return max(TASK_SIZE[0], child.width), max(
                TASK_SIZE[1], SUBPROCESS_TOP + child.height + SUBPROCESS_BOTTOM
            )
        return TASK_SIZE

    def _decorations(self) -> None:
        """Annotations and data objects go above the node they document."""
        self.above: dict[str, list[str]] = {}
        self.loose: list[str] = []
        taken: set[str] = set()

        def attach(deco: str, node: str | None) -> None:
            if deco in taken:
                return
            taken.add(deco)
            if node is None:
                self.loose.append(deco)
            else:
                self.above.setdefault(self._eff(node), []).append(deco)

        kinds = {i: _local(e) for i, e in self.by_id.items()}
        for assoc in _children(self.element, "association"):
            ends = (assoc.get("sourceRef"), assoc.get("targetRef"))
            for deco, other in (ends, ends[::-1]):
                if kinds.get(deco) == "textAnnotation" and (
                    other in self.host or other in self.nodes
                ):
                    attach(deco, other)
        for node in self.nodes:
            element = self.by_id[node]
            for assoc in element:
                if not _is_bpmn(assoc, "dataInputAssociation", "dataOutputAssociation"):
                    continue
                for ref in _children(assoc, "sourceRef", "targetRef"):
                    target = (ref.text or "").strip()
                    if kinds.get(target) in ("dataObjectReference", "dataStoreReference"):
                        attach(target, node)
        for ident, kind in kinds.items():
            if kind in ("textAnnotation", "dataObjectReference", "dataStoreReference"):
                attach(ident, None)
            elif kind in ("group",):
                self.drawing.warn(f"{ident} : groupe non dessiné")

    def _deco_size(self, ident: str) -> tuple[float, float]:
        element = self.by_id[ident]
        if _local(element) == "textAnnotation":
            return _annotation_size(element)
        return DATA_OBJECT_SIZE

    # --- columns -----------------------------------------------------------------------------

    def _columns(self) -> None:
        self.out: dict[str, list[tuple[int, str]]] = {n: [] for n in self.nodes}
        incoming: dict[str, int] = {n: 0 for n in self.nodes}
        for index, (_, src, tgt) in enumerate(self.flows):
            self.out[self._eff(src)].append((index, self._eff(tgt)))
            incoming[self._eff(tgt)] += 1
        starts = [n for n in self.nodes if _local(self.by_id[n]) == "startEvent"]
        roots = (
            starts
            + [n for n in self.nodes if not incoming[n] and n not in starts]
            + list(self.nodes)
        )
        self.back: set[int] = set()
        state: dict[str, int] = {}
        for root in roots:
            if state.get(root):
                continue
            state[root] = 1
            stack = [(root, iter(self.out[root]))]
            while stack:
                node, successors = stack[-1]
                for index, target in successors:
                    if state.get(target) == 1:
                        self.back.add(index)
                    elif not state.get(target):
                        state[target] = 1
                        stack.append((target, iter(self.out[target])))
                        break
                else:
                    state[node] = 2
                    stack.pop()
        indegree = {n: 0 for n in self.nodes}
        for node in self.nodes:
            for index, target in self.out[node]:
                if index not in self.back:
                    indegree[target] += 1
        self.col: dict[str, int] = {n: 0 for n in self.nodes}
        ready = [(self.order[n], n) for n in self.nodes if not indegree[n]]
        heapq.heapify(ready)
        while ready:
            _, node = heapq.heappop(ready)
            for index, target in self.out[node]:
                if index in self.back:
                    continue
                self.col[target] = max(self.col[target], self.col[node] + 1)
                indegree[target] -= 1
                if not indegree[target]:
                    heapq.heappush(ready, (self.order[target], target))
        # Event sub-processes have no flows: put them after the main path, not before it.
        last = max(self.col.values(), default=0)
        for node in self.nodes:
            element = self.by_id[node]
            if (
                element.get("triggeredByEvent") == "true"
                and not incoming[node]
                and not self.out[node]
            ):
                self.col[node] = last + 1
        self.ncols = max(self.col.values(), default=-1) + 1

    # --- rows --------------------------------------------------------------------------------

    def _bands(self, bands: Sequence[set[str] | None]) -> None:
        self.band: dict[str, int] = {}
        unlaned = []
        for node in self.nodes:
            for index, members in enumerate(bands):
                if members is None or node in members:
                    self.band[node] = index
                    break
            else:
                unlaned.append(node)
        self.nbands = len(bands)
        if unlaned:
            self.drawing.warn(
                "hors de tout couloir, placés sous les couloirs : " + ", ".join(unlaned)
            )
            for node in unlaned:
                self.band[node] = self.nbands
            self.nbands += 1

    def _rows(self) -> None:
        self.row: dict[str, int] = {}
        preds: dict[str, list[tuple[str, int, bool]]] = {n: [] for n in self.nodes}
        for node in self.nodes:
            for position, (index, target) in enumerate(self.out[node]):
                if index not in self.back:
                    preds[target].append((node, position, self.flows[index][1] in self.host))
        cells: dict[tuple[int, int], list[str]] = {}
        for node in sorted(self.nodes, key=lambda n: (self.col[n], self.order[n])):
            cells.setdefault((self.col[node], self.band[node]), []).append(node)
        for (_, band), members in sorted(cells.items()):
            keys = {}
            for node in members:
                wishes = [
                    (self.row[p] + (1 if boundary else 0), position)
                    for p, position, boundary in preds[node]
                    if self.band[p] == band and p in self.row
                ]
                keys[node] = min(wishes) if wishes else (0, 0)
            next_free = 0
            for node in sorted(members, key=lambda n: (keys[n], self.order[n])):
                self.row[node] = max(keys[node][0], next_free)
                next_free = self.row[node] + 1

    # --- geometry ----------------------------------------------------------------------------

    def _geometry(self) -> None:
        self.col_w = [COLUMN_WIDTH] * self.ncols
        for node in self.nodes:
            w = self.size[node][0]
            self.col_w[self.col[node]] = max(self.col_w[self.col[node]], w + COLUMN_PAD)
        self.col_x = [0.0]
        for w in self.col_w:
            self.col_x.append(self.col_x[-1] + w)
        self.width = max(self.col_x[-1], MIN_CONTENT_WIDTH if self.top_level else 0.0)

        nrows = [0] * self.nbands
        for node in self.nodes:
            nrows[self.band[node]] = max(nrows[self.band[node]], self.row[node] + 1)
        row_base = [[ROW_HEIGHT] * max(n, 1) for n in nrows]
        row_extra = [[0.0] * max(n, 1) for n in nrows]
        row_below = [[0.0] * max(n, 1) for n in nrows]
        for node in self.nodes:
            b, r = self.band[node], self.row[node]
            row_base[b][r] = max(row_base[b][r], self.size[node][1] + ROW_PAD)
            if self.attached.get(node):
                row_below[b][r] = BOUNDARY_LABEL_ROOM
            for deco in self.above.get(node, []):
                extra = self._deco_size(deco)[1] + 2 * DECORATION_GAP
                row_extra[b][r] = max(row_extra[b][r], extra)
        self.band_y: list[float] = []
        self.band_h: list[float] = []
        self.row_top: list[list[float]] = []
        self.row_bottom: list[list[float]] = []
        y = 0.0
        for b in range(self.nbands):
            heights = [
                base + extra + below
                for base, extra, below in zip(row_base[b], row_extra[b], row_below[b], strict=True)
            ]
            band_h = (
                max(LANE_MIN_HEIGHT, sum(heights) + LANE_PAD) if self.top_level else sum(heights)
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

        self.rel: dict[str, Bounds] = {}
        for node in self.nodes:
            w, h = self.size[node]
            b, r, c = self.band[node], self.row[node], self.col[node]
            x = self.col_x[c] + (self.col_w[c] - w) / 2
            top = self.row_top[b][r] + row_extra[b][r]
            self.rel[node] = Bounds(x, top + (row_base[b][r] - h) / 2, w, h)
        for host, events in self.attached.items():
            hb = self.rel[host]
            for event, cx in zip(events, _spread(hb, len(events)), strict=True):
                w, h = EVENT_SIZE
                self.rel[event] = Bounds(cx - w / 2, hb.bottom - h / 2, w, h)
        self.deco_rel: dict[str, Bounds] = {}
        for node, decos in self.above.items():
            sizes = [self._deco_size(d) for d in decos]
            total = sum(w for w, _ in sizes) + DECORATION_GAP * (len(sizes) - 1)
            anchor = self.rel[node]
            x = anchor.cx - total / 2
            for deco, (w, h) in zip(decos, sizes, strict=True):
                self.deco_rel[deco] = Bounds(x, anchor.y - DECORATION_GAP - h, w, h)
                x += w + DECORATION_GAP

    # --- edges -------------------------------------------------------------------------------

    def _row_bottom(self, node: str) -> float:
        node = self._eff(node)
        return self.row_bottom[self.band[node]][self.row[node]]

    def _free_x(self, node: str, first: bool) -> float:
        """Where a loop can leave or enter the bottom of a node without crossing its timers."""
        box = self.rel[node]
        events = [self.rel[e] for e in self.attached.get(node, [])]
        if not events:
            return box.cx
        if first:
            return round((box.x + max(box.x, min(e.x for e in events))) / 2)
        return round((box.right + min(box.right, max(e.right for e in events))) / 2)

    def _separate(
        self,
        index: int,
        points: list[Point],
        taken: list[tuple[float, float, float, str, str]],
    ) -> list[Point]:
        """Shift free vertical stretches sideways so two unrelated flows never run on one line.

        Flows from the same source or to the same target may share a line: that reads as a fork
        or a join.
        """
        _, src, tgt = self.flows[index]
        points = list(points)
        for i in range(1, len(points) - 2):
            (x, y1), (x2, y2) = points[i], points[i + 1]
            if abs(x - x2) > 0.01:
                continue
            low, high = sorted((y1, y2))
            for shift in (0, 1, -1, 2, -2, 3, -3):
                candidate = x + shift * CHANNEL_STEP
                clash = any(
                    abs(tx - candidate) < 0.01
                    and tl < high
                    and low < th
                    and src != ts
                    and tgt != tt
                    for tx, tl, th, ts, tt in taken
                )
                if not clash:
                    break
            points[i], points[i + 1] = (candidate, y1), (candidate, y2)
        for (xa, ya), (xb, yb) in itertools.pairwise(points):
            if abs(xa - xb) < 0.01:
                taken.append((xa, min(ya, yb), max(ya, yb), src, tgt))
        return points

    def _bottom_users(self, routes: list[list[Point]]) -> set[str]:
        """Nodes a flow leaves or enters from below: their label goes above them instead."""
        users = set()
        for (_, src, tgt), points in zip(self.flows, routes, strict=True):
            if src not in self.host and abs(points[0][1] - self.rel[src].bottom) < 0.01:
                users.add(src)
            if abs(points[-1][1] - self.rel[tgt].bottom) < 0.01:
                users.add(tgt)
        return users

    def _clear(self, points: list[Point], ignore: set[str]) -> bool:
        boxes = [b for n, b in self.rel.items() if n not in ignore]
        return not any(box.hit_by(a, b) for a, b in itertools.pairwise(points) for box in boxes)

    def _channel(self, y: float, used: dict[float, int]) -> float:
        count = used.get(y, 0)
        used[y] = count + 1
        return y + CHANNEL_STEP * (count % 4)

    def _route(self, index: int, used: dict[float, int]) -> list[Point]:
        _, src, tgt = self.flows[index]
        sb, tb = self.rel[src], self.rel[tgt]
        ignore = {src, tgt, self._eff(src), self._eff(tgt)}
        ignore |= set(self.attached.get(self._eff(src), [])) | set(self.attached.get(tgt, []))
        back = index in self.back
        if back:
            y = self._channel(max(self._row_bottom(src), self._row_bottom(tgt)), used)
            sx, tx = self._free_x(src, first=True), self._free_x(tgt, first=False)
            if self._eff(src) == tgt and src not in self.host:
                sx, tx = sb.cx + sb.w / 4, sb.cx - sb.w / 4
            start = (sx, sb.bottom)
            return [start, (sx, y), (tx, y), (tx, tb.bottom)]
        end = (tb.x, tb.cy)
        before_target = self.col_x[self.col[tgt]]
        if src in self.host:
            start = (sb.cx, sb.bottom)
            if tb.cy > sb.bottom + 1:
                points = [start, (sb.cx, tb.cy), end]
                if self._clear(points, ignore):
                    return points
            y = self._channel(self._row_bottom(src), used)
            return [start, (sb.cx, y), (before_target, y), (before_target, tb.cy), end]
        start = (sb.right, sb.cy)
        candidates = [[start, (tb.x, sb.cy)]] if abs(sb.cy - tb.cy) < 0.01 else []
        after_source = self.col_x[self.col[src] + 1]
        middle = round((sb.right + tb.x) / 2)
        for x in (middle, before_target, after_source):
            candidates.append([start, (x, sb.cy), (x, tb.cy), end])
        for points in candidates:
            if self._clear(points, ignore):
                return _simplify(points)
        if (self.band[src], self.row[src]) == (self.band[tgt], self.row[tgt]):
            # skipping over its own row: pass under it, like a loop but forwards
            y = self._channel(self._row_bottom(src), used)
            sx, tx = self._free_x(src, first=False), self._free_x(tgt, first=True)
            return [(sx, sb.bottom), (sx, y), (tx, y), (tx, tb.bottom)]
        y = self._channel(self._row_bottom(src), used)
        return _simplify(
            [
                start,
                (after_source, sb.cy),
                (after_source, y),
                (before_target, y),
                (before_target, tb.cy),
                end,
            ]
        )

    # --- output ------------------------------------------------------------------------------

    def emit(self, dx: float, dy: float) -> None:
        drawing = self.drawing
        first_shape = len(drawing.shapes)
        used: dict[float, int] = {}
        verticals: list[tuple[float, float, float, str, str]] = []
        routes = [
            self._separate(index, self._route(index, used), verticals)
            for index in range(len(self.flows))
        ]
        below = self._bottom_users(routes)
        for node in self.nodes:
            element = self.by_id[node]
            bounds = self.rel[node].moved(dx, dy)
            attrs = {}
            kind = _local(element)
            if kind == "exclusiveGateway":
                attrs["isMarkerVisible"] = "true"
            if kind in CONTAINERS:
                attrs["isExpanded"] = "true" if node in self.children else "false"
            label = None
            if kind in EVENTS | GATEWAYS:
                label = _label_below(element, bounds)
                if label is not None and node in below:
                    label = label.moved(0, bounds.y - label.h - 5 - label.y)
            drawing.shape(node, bounds, attrs, label)
            if node in self.children:
                self.children[node].emit(bounds.x, bounds.y + SUBPROCESS_TOP)
        for events in self.attached.values():
            for i, event in enumerate(events):
                bounds = self.rel[event].moved(dx, dy)
                label = _label_below(self.by_id[event], bounds)
                if label is not None:
                    # beside the flow that leaves the event downwards, not across it
                    x = bounds.cx - 4 - label.w if i < len(events) / 2 else bounds.cx + 4
                    label = Bounds(x, bounds.bottom + 3, label.w, label.h)
                drawing.shape(event, bounds, {}, label)
        for deco, rel in self.deco_rel.items():
            drawing.shape(deco, rel.moved(dx, dy))
        for deco in self.loose:
            drawing.loose.append(self.by_id[deco])
        paths = [[(x + dx, y + dy) for x, y in route] for route in routes]
        boxes = []
        for shape in drawing.shapes[first_shape:]:
            boxes.append(shape.bounds)
            if shape.label is not None:
                boxes.append(shape.label)
        for index, ((flow, _, _), points) in enumerate(zip(self.flows, paths, strict=True)):
            label = None
            name = (flow.get("name") or "").strip()
            if name:
                others = [p for i, p in enumerate(paths) if i != index]
                label = _flow_label(name, points, boxes, others)
                boxes.append(label)
            drawing.edges.append(_Edge(flow.get("id"), points, label))

    def emit_associations(self) -> None:
        """Associations last: they join shapes from anywhere in the scope, placed by then."""
        for assoc in _children(self.element, "association"):
            self._connect(assoc.get("id"), assoc.get("sourceRef"), assoc.get("targetRef"))
        for node in self.nodes + list(self.host):
            for assoc in self.by_id[node]:
                if not _is_bpmn(assoc, "dataInputAssociation", "dataOutputAssociation"):
                    continue
                source = assoc.find(_q(BPMN_NS, "sourceRef"))
                target = assoc.find(_q(BPMN_NS, "targetRef"))
                if _local(assoc) == "dataInputAssociation":
                    ends = ((source.text or "").strip() if source is not None else None, node)
                else:
                    ends = (node, (target.text or "").strip() if target is not None else None)
                self._connect(assoc.get("id"), *ends)
        for child in self.children.values():
            child.emit_associations()

    def _connect(self, ident: str | None, src: str | None, tgt: str | None) -> None:
        drawing = self.drawing
        a, b = drawing.placed.get(src or ""), drawing.placed.get(tgt or "")
        if ident is None or a is None or b is None:
            drawing.warn(f"{ident} : association dont une extrémité n'est pas dessinée, ignorée")
            return
        drawing.edges.append(_Edge(ident, _link(a, b)))


def _flow_label(
    name: str, points: list[Point], boxes: list[Bounds], paths: list[list[Point]]
) -> Bounds:
    """Beside the first free stretch of the flow, so that the labels of a split do not pile up."""
    w, h = _label_box(name, 90.0)
    candidates = []
    for (x0, y0), (x1, y1) in list(itertools.pairwise(points))[:3]:
        if abs(y1 - y0) < 0.01:
            x = x0 + 5 if x1 >= x0 else x0 - 5 - w
            candidates += [Bounds(x, y0 - h - 3, w, h), Bounds(x, y0 + 3, w, h)]
        else:
            ys = [y0 + 4 if y1 > y0 else y0 - 4 - h]
            ys += [y0 + (y1 - y0) * f - h / 2 for f in (0.25, 0.5, 0.75)]
            for y in ys:
                candidates += [Bounds(x0 + 4, y, w, h), Bounds(x0 - 4 - w, y, w, h)]
    own = list(itertools.pairwise(points))
    crossed = [s for path in paths for s in itertools.pairwise(path)]

    def cost(box: Bounds) -> int:
        return (
            2 * sum(box.overlaps(other) for other in boxes)
            + 2 * sum(box.hit_by(a, b) for a, b in own)
            + sum(box.hit_by(a, b) for a, b in crossed)
        )

    return min(candidates, key=cost)


def _spread(host: Bounds, count: int) -> list[float]:
    """Centres of the events on the bottom border of a host, apart enough not to touch."""
    if not count:
        return []
    step = max(host.w / (count + 1), EVENT_SIZE[0] + 4)
    if count > 1 and step * (count - 1) > host.w:
        step = host.w / (count - 1)
    first = host.cx - step * (count - 1) / 2
    return [round(first + i * step, 2) for i in range(count)]


def _simplify(points: list[Point]) -> list[Point]:
    """Drop repeated and collinear middle points (bpmn-js would keep them as bends)."""
    out: list[Point] = []
    for p in points:
        if out and abs(out[-1][0] - p[0]) < 0.01 and abs(out[-1][1] - p[1]) < 0.01:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (abs(x0 - x1) < 0.01 and abs(x1 - p[0]) < 0.01) or (
                abs(y0 - y1) < 0.01 and abs(y1 - p[1]) < 0.01
            ):
                out[-1] = p
                continue
        out.append(p)
    return out


def _link(a: Bounds, b: Bounds) -> list[Point]:
    """A straight line between the facing sides of two boxes, for dotted associations."""
    if a.bottom <= b.y:
        return [(a.cx, a.bottom), (b.cx, b.y)]
    if b.bottom <= a.y:
        return [(a.cx, a.y), (b.cx, b.bottom)]
    if a.right <= b.x:
        return [(a.right, a.cy), (b.x, b.cy)]
    return [(a.x, a.cy), (b.right, b.cy)]


# --- document --------------------------------------------------------------------------------


def _unique_id(root: etree._Element, wanted: str) -> str:
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str)}
    ident, n = wanted, 1
    while ident in taken:
        n += 1
        ident = f"{wanted}_{n}"
    return ident


def _lanes(process: etree._Element) -> tuple[list[tuple[etree._Element, int]], list]:
    """Every lane with its nesting depth, and the leaf lanes that become bands."""
    lane_sets = _children(process, "laneSet")
    everything: list[tuple[etree._Element, int]] = []
    leaves: list[etree._Element] = []

    def walk(lane_set: etree._Element, depth: int) -> None:
        for lane in _children(lane_set, "lane"):
            everything.append((lane, depth))
            nested = [c for c in _children(lane, "childLaneSet") if _children(c, "lane")]
            if nested:
                walk(nested[0], depth + 1)
            else:
                leaves.append(lane)

    if lane_sets:
        walk(lane_sets[0], 0)
    return everything, leaves


def _members(lane: etree._Element) -> set[str]:
    return {(r.text or "").strip() for r in lane.iter(_q(BPMN_NS, "flowNodeRef"))}


def _ensure_collaboration(root: etree._Element) -> etree._Element | None:
    """bpmn-js draws lanes only inside a participant: give every process one when needed."""
    processes = _children(root, "process")
    collaboration = next(iter(_children(root, "collaboration")), None)
    needs = len(processes) > 1 or any(_lanes(p)[1] for p in processes)
    if collaboration is None and not needs:
        return None
    if collaboration is None:
        collaboration = etree.Element(_q(BPMN_NS, "collaboration"))
        collaboration.set("id", _unique_id(root, f"Collaboration_{processes[0].get('id')}"))
        collaboration.tail = root.text
        root.insert(root.index(processes[0]), collaboration)
    referenced = {p.get("processRef") for p in _children(collaboration, "participant")}
    for process in processes:
        if process.get("id") in referenced:
            continue
        participant = etree.SubElement(collaboration, _q(BPMN_NS, "participant"))
        participant.set("id", _unique_id(root, f"Participant_{process.get('id')}"))
        if process.get("name"):
            participant.set("name", process.get("name"))
        participant.set("processRef", process.get("id"))
        last = [c for c in collaboration if _is_bpmn(c, "participant")]
        if len(last) > 1:
            # keep participants together, before message flows and the like
            collaboration.remove(participant)
            collaboration.insert(collaboration.index(last[-2]) + 1, participant)
    return collaboration


def _layout_process(
    process: etree._Element,
    participant: etree._Element | None,
    top: float,
    drawing: _Drawing,
) -> float:
    """Draw one process (in its pool if any) from `top`; return the bottom of the drawing."""
    lanes, leaves = _lanes(process)
    if len(_children(process, "laneSet")) > 1:
        drawing.warn(f"{process.get('id')} : plusieurs laneSet, seul le premier est dessiné")
    if leaves and participant is None:
        drawing.warn(f"{process.get('id')} : couloirs sans participant, non dessinés")
        lanes, leaves = [], []
    bands: list[set[str] | None] = [_members(lane) for lane in leaves] or [None]
    scope = _Scope(process, drawing, bands)
    x0, y0 = ORIGIN[0], top
    content_x = x0
    if participant is not None:
        depth = max((d for _, d in lanes), default=-1) + 1
        content_x = x0 + LABEL_AREA * (1 + depth)
    pool = Bounds(x0, y0, content_x - x0 + scope.width, scope.height)
    if participant is not None:
        drawing.shape(participant.get("id"), pool, {"isHorizontal": "true"})
        band_of = {id(lane): i for i, lane in enumerate(leaves)}
        for lane, depth in lanes:
            indices = [band_of[id(leaf)] for leaf in _leaves_of(lane, leaves)]
            ys = [scope.band_y[i] for i in indices]
            bottom = max(scope.band_y[i] + scope.band_h[i] for i in indices)
            x = x0 + LABEL_AREA * (1 + depth)
            drawing.shape(
                lane.get("id"),
                Bounds(x, y0 + min(ys), pool.right - x, bottom - min(ys)),
                {"isHorizontal": "true"},
            )
    scope.emit(content_x, y0)
    scope.emit_associations()
    return pool.bottom


def _leaves_of(lane: etree._Element, leaves: list[etree._Element]) -> list[etree._Element]:
    return [leaf for leaf in leaves if leaf is lane or lane in leaf.iterancestors()]


def layout_tree(root: etree._Element, warn: Callable[[str], None] | None = None) -> None:
    """Replace the diagram of a parsed bpmn:definitions element by a freshly computed one."""
    drawing = _Drawing(warn or (lambda message: None))
    for old in root.findall(_q(BPMNDI_NS, "BPMNDiagram")):
        root.remove(old)
    processes = {p.get("id"): p for p in _children(root, "process")}
    if not processes:
        raise ValueError("aucun bpmn:process dans ce fichier")
    collaboration = _ensure_collaboration(root)
    top = ORIGIN[1]
    if collaboration is None:
        plane_ref = next(iter(processes))
        _layout_process(processes[plane_ref], None, top, drawing)
    else:
        plane_ref = collaboration.get("id")
        for participant in _children(collaboration, "participant"):
            process = processes.get(participant.get("processRef") or "")
            if process is None:
                pool = Bounds(ORIGIN[0], top, 600.0, 100.0)
                drawing.shape(participant.get("id"), pool, {"isHorizontal": "true"})
                bottom = pool.bottom
            else:
                bottom = _layout_process(process, participant, top, drawing)
            top = bottom + POOL_GAP
        for child in collaboration:
            if _is_bpmn(child) and _local(child) not in SILENT_IN_COLLABORATION:
                drawing.warn(f"{child.get('id')} : {_local(child)} non dessiné")
        _align_pools(root, drawing)
    bottom = max((s.bounds.bottom for s in drawing.shapes), default=top) + POOL_GAP
    x = ORIGIN[0]
    for element in drawing.loose:
        w, h = (
            _annotation_size(element) if _local(element) == "textAnnotation" else DATA_OBJECT_SIZE
        )
        drawing.shape(element.get("id"), Bounds(x, bottom, w, h))
        x += w + 2 * DECORATION_GAP
    _write_di(root, plane_ref, drawing)


def _align_pools(root: etree._Element, drawing: _Drawing) -> None:
    """Stacked pools (and their lanes) end on the same right edge, as a modeller would draw."""
    wide = {e.get("id") for e in root.iter(_q(BPMN_NS, "participant"), _q(BPMN_NS, "lane"))}
    pools = [s for s in drawing.shapes if s.element_id in wide]
    if not pools:
        return
    right = max(s.bounds.right for s in pools)
    for shape in pools:
        b = shape.bounds
        shape.bounds = Bounds(b.x, b.y, right - b.x, b.h)
        drawing.placed[shape.element_id] = shape.bounds


def _write_di(root: etree._Element, plane_ref: str, drawing: _Drawing) -> None:
    diagram = etree.SubElement(root, _q(BPMNDI_NS, "BPMNDiagram"), nsmap=DI_NSMAP)
    diagram.set("id", _unique_id(root, "BPMNDiagram_1"))
    plane = etree.SubElement(diagram, _q(BPMNDI_NS, "BPMNPlane"))
    plane.set("id", _unique_id(root, "BPMNPlane_1"))
    plane.set("bpmnElement", plane_ref)
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str)}

    def di_id(element_id: str) -> str:
        ident, n = f"{element_id}_di", 1
        while ident in taken:
            n += 1
            ident = f"{element_id}_di{n}"
        taken.add(ident)
        return ident

    def bounds(parent: etree._Element, box: Bounds) -> None:
        b = etree.SubElement(parent, _q(DC_NS, "Bounds"))
        for key, value in (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h)):
            b.set(key, _fmt(value))

    for shape in drawing.shapes:
        element = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNShape"))
        element.set("id", di_id(shape.element_id))
        element.set("bpmnElement", shape.element_id)
        for key, value in shape.attrs.items():
            element.set(key, value)
        bounds(element, shape.bounds)
        if shape.label is not None:
            bounds(etree.SubElement(element, _q(BPMNDI_NS, "BPMNLabel")), shape.label)
    for edge in drawing.edges:
        element = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNEdge"))
        element.set("id", di_id(edge.element_id))
        element.set("bpmnElement", edge.element_id)
        for x, y in edge.points:
            point = etree.SubElement(element, _q(DI_NS, "waypoint"))
            point.set("x", _fmt(x))
            point.set("y", _fmt(y))
        if edge.label is not None:
            bounds(etree.SubElement(element, _q(BPMNDI_NS, "BPMNLabel")), edge.label)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def layout_bytes(content: bytes, warn: Callable[[str], None] | None = None) -> bytes:
    """The document with a new diagram, serialized the same way every time."""
    root = etree.fromstring(content, _parser())
    if _local(root) != "definitions" or etree.QName(root).namespace != BPMN_NS:
        raise ValueError("ce n'est pas un fichier BPMN 2.0 (bpmn:definitions attendu)")
    layout_tree(root, warn)
    keep = [p for p in root.nsmap if p is not None] + list(DI_NSMAP)
    etree.cleanup_namespaces(root, top_nsmap=DI_NSMAP, keep_ns_prefixes=keep)
    etree.indent(root, space="  ")
    text = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    _, _, body = text.partition(b"?>")
    return b'<?xml version="1.0" encoding="UTF-8"?>' + body.rstrip() + b"\n"


def layout_file(path: Path | str, warn: Callable[[str], None] | None = None) -> None:
    """Rewrite `path` in place with a new diagram."""
    path = Path(path)
    path.write_bytes(layout_bytes(path.read_bytes(), warn))


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bpmn_layout",
        description="(Re)génère le diagramme (BPMN DI) de fichiers BPMN, en place.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FICHIER.bpmn")
    args = parser.parse_args(list(argv) if argv is not None else None)
    status = 0
    for path in args.files:

        def warn(message: str, path: Path = path) -> None:
            print(f"{path}: attention : {message}", file=sys.stderr)

        try:
            layout_file(path, warn)
        except (OSError, etree.XMLSyntaxError, ValueError) as exc:
            print(f"{path}: erreur : {exc}", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: diagramme régénéré")
    return status


if __name__ == "__main__":
    sys.exit(main())
