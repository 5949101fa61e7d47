"""Pools and lanes: a participant around each process, one horizontal band per leaf lane."""

from __future__ import annotations

from lxml import etree

from .drawing import Drawing
from .emit import emit, emit_associations
from .geometry import LABEL_AREA, ORIGIN, Bounds
from .model import BPMN_NS, children, is_bpmn, q
from .scope import Scope

Lanes = list[tuple[etree._Element, int]]


def unique_id(root: etree._Element, wanted: str) -> str:
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str)}
    ident, n = wanted, 1
    while ident in taken:
        n += 1
        ident = f"{wanted}_{n}"
    return ident


def lanes_of(process: etree._Element) -> tuple[Lanes, list[etree._Element]]:
    """Every lane with its nesting depth, and the leaf lanes that become bands."""
    lane_sets = children(process, "laneSet")
    everything: Lanes = []
    leaves: list[etree._Element] = []

    def walk(lane_set: etree._Element, depth: int) -> None:
        for lane in children(lane_set, "lane"):
            everything.append((lane, depth))
            nested = [c for c in children(lane, "childLaneSet") if children(c, "lane")]
            if nested:
                walk(nested[0], depth + 1)
            else:
                leaves.append(lane)

    if lane_sets:
        walk(lane_sets[0], 0)
    return everything, leaves


def _members(lane: etree._Element) -> set[str]:
    return {(r.text or "").strip() for r in lane.iter(q(BPMN_NS, "flowNodeRef"))}


def _leaves_of(lane: etree._Element, leaves: list[etree._Element]) -> list[etree._Element]:
    return [leaf for leaf in leaves if leaf is lane or lane in leaf.iterancestors()]


def ensure_collaboration(root: etree._Element) -> etree._Element | None:
    """bpmn-js draws lanes only inside a participant: give every process one when needed."""
    processes = children(root, "process")
    collaboration = next(iter(children(root, "collaboration")), None)
    needs = len(processes) > 1 or any(lanes_of(p)[1] for p in processes)
    if collaboration is None and not needs:
        return None
    if collaboration is None:
        collaboration = etree.Element(q(BPMN_NS, "collaboration"))
        collaboration.set("id", unique_id(root, f"Collaboration_{processes[0].get('id')}"))
        collaboration.tail = root.text
        root.insert(root.index(processes[0]), collaboration)
    referenced = {p.get("processRef") for p in children(collaboration, "participant")}
    for process in processes:
        if process.get("id") not in referenced:
            _add_participant(root, collaboration, process)
    return collaboration


def _add_participant(
    root: etree._Element, collaboration: etree._Element, process: etree._Element
) -> None:
    participant = etree.SubElement(collaboration, q(BPMN_NS, "participant"))
    participant.set("id", unique_id(root, f"Participant_{process.get('id')}"))
    if process.get("name"):
        participant.set("name", process.get("name"))
    participant.set("processRef", process.get("id"))
    last = [c for c in collaboration if is_bpmn(c, "participant")]
    if len(last) > 1:
        # keep participants together, before message flows and the like
        collaboration.remove(participant)
        collaboration.insert(collaboration.index(last[-2]) + 1, participant)


def layout_process(
    process: etree._Element,
    participant: etree._Element | None,
    top: float,
    drawing: Drawing,
) -> float:
    """Draw one process (in its pool if any) from `top`; return the bottom of the drawing."""
    lanes, leaves = lanes_of(process)
    if len(children(process, "laneSet")) > 1:
        drawing.warn(f"{process.get('id')} : plusieurs laneSet, seul le premier est dessiné")
    if leaves and participant is None:
        drawing.warn(f"{process.get('id')} : couloirs sans participant, non dessinés")
        lanes, leaves = [], []
    bands: list[set[str] | None] = [_members(lane) for lane in leaves] or [None]
    scope = Scope(process, drawing, bands)
    x0, y0 = ORIGIN[0], top
    content_x = x0
    if participant is not None:
        depth = max((d for _, d in lanes), default=-1) + 1
        content_x = x0 + LABEL_AREA * (1 + depth)
    pool = Bounds(x0, y0, content_x - x0 + scope.grid.width, scope.grid.height)
    if participant is not None:
        drawing.shape(participant.get("id"), pool, {"isHorizontal": "true"})
        _draw_lanes(scope, lanes, leaves, pool, drawing)
    emit(scope, content_x, y0)
    emit_associations(scope)
    return pool.bottom


def _draw_lanes(
    scope: Scope, lanes: Lanes, leaves: list[etree._Element], pool: Bounds, drawing: Drawing
) -> None:
    """A lane spans the bands of its leaf lanes, right of the title strips of its parents."""
    band_of = {id(lane): i for i, lane in enumerate(leaves)}
    band_y, band_h = scope.grid.band_y, scope.grid.band_h
    for lane, depth in lanes:
        indices = [band_of[id(leaf)] for leaf in _leaves_of(lane, leaves)]
        ys = [band_y[i] for i in indices]
        bottom = max(band_y[i] + band_h[i] for i in indices)
        x = pool.x + LABEL_AREA * (1 + depth)
        drawing.shape(
            lane.get("id"),
            Bounds(x, pool.y + min(ys), pool.right - x, bottom - min(ys)),
            {"isHorizontal": "true"},
        )


def align_pools(root: etree._Element, drawing: Drawing) -> None:
    """Stacked pools (and their lanes) end on the same right edge, as a modeller would draw."""
    wide = {e.get("id") for e in root.iter(q(BPMN_NS, "participant"), q(BPMN_NS, "lane"))}
    pools = [s for s in drawing.shapes if s.element_id in wide]
    if not pools:
        return
    right = max(s.bounds.right for s in pools)
    for shape in pools:
        b = shape.bounds
        shape.bounds = Bounds(b.x, b.y, right - b.x, b.h)
        drawing.placed[shape.element_id] = shape.bounds
