"""Turn a laid-out scope into shapes and edges of the drawing, at its place on the page."""

from __future__ import annotations

import itertools

from .drawing import Edge
from .geometry import SUBPROCESS_TOP, Bounds, Point, label_below, label_box, link
from .model import CONTAINERS, EVENTS, GATEWAYS, children, local
from .routing import Router, bottom_users
from .scope import Scope


def emit(scope: Scope, dx: float, dy: float) -> None:
    """Shapes of the scope (sub-processes recursively), then its sequence flows."""
    drawing = scope.drawing
    first_shape = len(drawing.shapes)
    routes = Router(scope).routes()
    below = bottom_users(scope, routes)
    for node in scope.nodes:
        _emit_node(scope, node, dx, dy, node in below)
    for events in scope.attached.values():
        for i, event in enumerate(events):
            _emit_boundary(scope, event, dx, dy, left=i < len(events) / 2)
    for deco, rel in scope.grid.deco_rel.items():
        drawing.shape(deco, rel.moved(dx, dy))
    for deco in scope.loose:
        drawing.loose.append(scope.by_id[deco])
    paths = [[(x + dx, y + dy) for x, y in route] for route in routes]
    boxes = []
    for shape in drawing.shapes[first_shape:]:
        boxes.append(shape.bounds)
        if shape.label is not None:
            boxes.append(shape.label)
    _emit_flows(scope, paths, boxes)


def _emit_flows(scope: Scope, paths: list[list[Point]], boxes: list[Bounds]) -> None:
    """One edge per sequence flow; a named flow's label avoids the boxes and labels so far."""
    for index, ((flow, _, _), points) in enumerate(zip(scope.flows, paths, strict=True)):
        label = None
        name = (flow.get("name") or "").strip()
        if name:
            others = [p for i, p in enumerate(paths) if i != index]
            label = flow_label(name, points, boxes, others)
            boxes.append(label)
        scope.drawing.edges.append(Edge(flow.get("id"), points, label))


def _emit_node(scope: Scope, node: str, dx: float, dy: float, used_below: bool) -> None:
    element = scope.by_id[node]
    bounds = scope.grid.rel[node].moved(dx, dy)
    attrs = {}
    kind = local(element)
    if kind == "exclusiveGateway":
        attrs["isMarkerVisible"] = "true"
    if kind in CONTAINERS:
        attrs["isExpanded"] = "true" if node in scope.children else "false"
    label = None
    if kind in EVENTS | GATEWAYS:
        label = label_below(element, bounds)
        if label is not None and used_below:
            label = label.moved(0, bounds.y - label.h - 5 - label.y)
    scope.drawing.shape(node, bounds, attrs, label)
    if node in scope.children:
        emit(scope.children[node], bounds.x, bounds.y + SUBPROCESS_TOP)


def _emit_boundary(scope: Scope, event: str, dx: float, dy: float, left: bool) -> None:
    bounds = scope.grid.rel[event].moved(dx, dy)
    label = label_below(scope.by_id[event], bounds)
    if label is not None:
        # beside the flow that leaves the event downwards, not across it
        x = bounds.cx - 4 - label.w if left else bounds.cx + 4
        label = Bounds(x, bounds.bottom + 3, label.w, label.h)
    scope.drawing.shape(event, bounds, {}, label)


def emit_associations(scope: Scope) -> None:
    """Associations last: they join shapes from anywhere in the scope, placed by then."""
    for assoc in children(scope.element, "association"):
        _connect(scope, assoc.get("id"), assoc.get("sourceRef"), assoc.get("targetRef"))
    for node in scope.nodes + list(scope.host):
        for ident, src, tgt in scope.data_associations(node):
            _connect(scope, ident, src, tgt)
    for child in scope.children.values():
        emit_associations(child)


def _connect(scope: Scope, ident: str | None, src: str | None, tgt: str | None) -> None:
    drawing = scope.drawing
    a, b = drawing.placed.get(src or ""), drawing.placed.get(tgt or "")
    if ident is None or a is None or b is None:
        drawing.warn(f"{ident} : association dont une extrémité n'est pas dessinée, ignorée")
        return
    drawing.edges.append(Edge(ident, link(a, b)))


def _label_candidates(points: list[Point], w: float, h: float) -> list[Bounds]:
    """Places beside the first three stretches of a flow, above/below or left/right of them."""
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
    return candidates


def flow_label(
    name: str, points: list[Point], boxes: list[Bounds], paths: list[list[Point]]
) -> Bounds:
    """Beside the first free stretch of the flow, so that the labels of a split do not pile up."""
    w, h = label_box(name, 90.0)
    own = list(itertools.pairwise(points))
    crossed = [s for path in paths for s in itertools.pairwise(path)]

    def cost(box: Bounds) -> int:
        return (
            2 * sum(box.overlaps(other) for other in boxes)
            + 2 * sum(box.hit_by(a, b) for a, b in own)
            + sum(box.hit_by(a, b) for a, b in crossed)
        )

    return min(_label_candidates(points, w, h), key=cost)
