"""The direct content of a process or an expanded sub-process, and its place in a grid.

A scope reads its nodes, flows, boundary events and decorations (annotations, data objects),
then gives every node a cell: a column (`ranking`), a band (the lane it belongs to) and a sub-row
inside its band and column. Pixel geometry is the `Grid`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from . import ranking
from .drawing import Drawing
from .geometry import (
    DATA_OBJECT_SIZE,
    EVENT_SIZE,
    GATEWAY_SIZE,
    SUBPROCESS_BOTTOM,
    SUBPROCESS_TOP,
    TASK_SIZE,
    annotation_size,
)
from .grid import Grid
from .model import (
    BPMN_NS,
    CONTAINERS,
    DATA_ASSOCIATIONS,
    DECORATIONS,
    EVENTS,
    FLOW_NODES,
    GATEWAYS,
    children,
    is_bpmn,
    local,
    q,
    ref_text,
)


class Scope:
    """The layout of the direct content of a process or an expanded sub-process.

    Coordinates are relative to the top-left corner of the content area; `emit` translates them.
    """

    def __init__(
        self,
        element: etree._Element,
        drawing: Drawing,
        bands: Sequence[set[str] | None] = (None,),
        top_level: bool = True,
    ) -> None:
        self.element = element
        self.drawing = drawing
        self.top_level = top_level
        self._collect()
        self.children: dict[str, Scope] = {}
        self.size: dict[str, tuple[float, float]] = {}
        for node in self.nodes:
            self.size[node] = self._size_of(self.by_id[node])
        self._decorations()
        self._columns()
        self._bands(bands)
        self._rows()
        self.grid = Grid(self)

    # --- model -------------------------------------------------------------------------------

    def _collect(self) -> None:
        self.by_id: dict[str, etree._Element] = {}
        self.order: dict[str, int] = {}
        for child in children(self.element):
            ident = child.get("id")
            if ident is not None:
                self.by_id[ident] = child
                self.order[ident] = len(self.order)
        self._collect_nodes()
        self._collect_flows()

    def _collect_nodes(self) -> None:
        """Flow nodes, except the boundary events, which ride on their host."""
        self.nodes: list[str] = []
        self.host: dict[str, str] = {}
        self.attached: dict[str, list[str]] = {}
        flow_nodes = [i for i, e in self.by_id.items() if local(e) in FLOW_NODES and is_bpmn(e)]
        for ident in flow_nodes:
            element = self.by_id[ident]
            host = element.get("attachedToRef")
            if local(element) == "boundaryEvent":
                if host in flow_nodes and local(self.by_id[host]) != "boundaryEvent":
                    self.host[ident] = host
                    self.attached.setdefault(host, []).append(ident)
                    continue
                self.drawing.warn(
                    f"{ident} : événement en bordure sans activité d'attache, placé comme un nœud"
                )
            self.nodes.append(ident)

    def _collect_flows(self) -> None:
        self.flows: list[tuple[etree._Element, str, str]] = []
        for flow in children(self.element, "sequenceFlow"):
            src, tgt = flow.get("sourceRef"), flow.get("targetRef")
            if self._known(src) and tgt in self.nodes:
                self.flows.append((flow, src, tgt))
                continue
            self.drawing.warn(
                f"{flow.get('id')} : flux de séquence entre éléments inconnus de ce niveau, ignoré"
            )

    def _known(self, ident: str | None) -> bool:
        return ident in self.host or ident in self.nodes

    def eff(self, ident: str) -> str:
        """The node that stands for `ident` in the grid: its host for a boundary event."""
        return self.host.get(ident, ident)

    def _size_of(self, element: etree._Element) -> tuple[float, float]:
        kind = local(element)
        if kind in EVENTS:
            return EVENT_SIZE
        if kind in GATEWAYS:
            return GATEWAY_SIZE
        if kind in CONTAINERS and any(local(c) in FLOW_NODES for c in element):
            if children(element, "laneSet"):
                self.drawing.warn(
                    f"{element.get('id')} : couloirs dans un sous-processus non dessinés"
                )
            child = Scope(element, self.drawing, top_level=False)
            self.children[element.get("id")] = child
            return max(TASK_SIZE[0], child.grid.width), max(
                TASK_SIZE[1], SUBPROCESS_TOP + child.grid.height + SUBPROCESS_BOTTOM
            )
        return TASK_SIZE

    # --- decorations -------------------------------------------------------------------------

    def _decorations(self) -> None:
        """Annotations and data objects go above the node they document."""
        self.above: dict[str, list[str]] = {}
        self.loose: list[str] = []
        self._taken: set[str] = set()
        kinds = {i: local(e) for i, e in self.by_id.items()}
        for deco, other in self._association_ends():
            if kinds.get(deco) == "textAnnotation" and self._known(other):
                self._attach(deco, other)
        for node in self.nodes:
            for target in self._data_refs(self.by_id[node]):
                if kinds.get(target) in DECORATIONS[1:]:
                    self._attach(target, node)
        for ident, kind in kinds.items():
            if kind in DECORATIONS:
                self._attach(ident, None)
            elif kind == "group":
                self.drawing.warn(f"{ident} : groupe non dessiné")

    def _association_ends(self) -> list[tuple[str | None, str | None]]:
        """Both ways round, (source, target) then (target, source), of every association."""
        ends = [
            (a.get("sourceRef"), a.get("targetRef")) for a in children(self.element, "association")
        ]
        return [pair for end in ends for pair in (end, end[::-1])]

    @staticmethod
    def _data_refs(element: etree._Element) -> list[str]:
        """The ids named by the sourceRef and targetRef of a node's data associations."""
        return [
            ref_text(ref) or ""
            for assoc in children(element, *DATA_ASSOCIATIONS)
            for ref in children(assoc, "sourceRef", "targetRef")
        ]

    def _attach(self, deco: str, node: str | None) -> None:
        if deco in self._taken:
            return
        self._taken.add(deco)
        if node is None:
            self.loose.append(deco)
        else:
            self.above.setdefault(self.eff(node), []).append(deco)

    def deco_size(self, ident: str) -> tuple[float, float]:
        element = self.by_id[ident]
        if local(element) == "textAnnotation":
            return annotation_size(element)
        return DATA_OBJECT_SIZE

    def data_associations(self, node: str) -> list[tuple[str | None, str | None, str | None]]:
        """(id, source, target) of the data associations a node holds."""
        found = []
        for assoc in children(self.by_id[node], *DATA_ASSOCIATIONS):
            if local(assoc) == "dataInputAssociation":
                ends = (ref_text(assoc.find(q(BPMN_NS, "sourceRef"))), node)
            else:
                ends = (node, ref_text(assoc.find(q(BPMN_NS, "targetRef"))))
            found.append((assoc.get("id"), *ends))
        return found

    # --- columns -----------------------------------------------------------------------------

    def _columns(self) -> None:
        self.out: ranking.Successors = {n: [] for n in self.nodes}
        incoming: dict[str, int] = {n: 0 for n in self.nodes}
        for index, (_, src, tgt) in enumerate(self.flows):
            self.out[self.eff(src)].append((index, self.eff(tgt)))
            incoming[self.eff(tgt)] += 1
        starts = [n for n in self.nodes if local(self.by_id[n]) == "startEvent"]
        roots = (
            starts
            + [n for n in self.nodes if not incoming[n] and n not in starts]
            + list(self.nodes)
        )
        self.back = ranking.back_edges(self.out, roots)
        self.col = ranking.longest_path(self.nodes, self.out, self.back, self.order)
        self._event_subprocesses_last(incoming)
        self.ncols = max(self.col.values(), default=-1) + 1

    def _event_subprocesses_last(self, incoming: dict[str, int]) -> None:
        """Event sub-processes have no flows: put them after the main path, not before it."""
        last = max(self.col.values(), default=0)
        for node in self.nodes:
            event_sub = self.by_id[node].get("triggeredByEvent") == "true"
            if event_sub and not incoming[node] and not self.out[node]:
                self.col[node] = last + 1

    # --- rows --------------------------------------------------------------------------------

    def _bands(self, bands: Sequence[set[str] | None]) -> None:
        self.band: dict[str, int] = {}
        unlaned = []
        for node in self.nodes:
            index = next((i for i, m in enumerate(bands) if m is None or node in m), None)
            if index is None:
                unlaned.append(node)
            else:
                self.band[node] = index
        self.nbands = len(bands)
        if unlaned:
            self.drawing.warn(
                "hors de tout couloir, placés sous les couloirs : " + ", ".join(unlaned)
            )
            for node in unlaned:
                self.band[node] = self.nbands
            self.nbands += 1

    def _predecessors(self) -> dict[str, list[tuple[str, int, bool]]]:
        """Forward predecessors of every node: (node, rank among its flows, from a boundary)."""
        preds: dict[str, list[tuple[str, int, bool]]] = {n: [] for n in self.nodes}
        for node in self.nodes:
            for position, (index, target) in enumerate(self.out[node]):
                if index not in self.back:
                    preds[target].append((node, position, self.flows[index][1] in self.host))
        return preds

    def _rows(self) -> None:
        """Sub-rows in each (column, band) cell: a node stays level with its predecessor."""
        self.row: dict[str, int] = {}
        preds = self._predecessors()
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
