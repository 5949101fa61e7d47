"""A whole BPMN document: drop the old diagram, draw every pool, write the new BPMN DI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from .drawing import Drawing
from .geometry import (
    DATA_OBJECT_SIZE,
    DECORATION_GAP,
    ORIGIN,
    POOL_GAP,
    Bounds,
    annotation_size,
)
from .model import BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, DI_NSMAP, children, is_bpmn, local, q
from .pools import align_pools, ensure_collaboration, layout_process, unique_id

SILENT_IN_COLLABORATION = ("participant", "extensionElements", "documentation")
Warn = Callable[[str], None]


def layout_tree(root: etree._Element, warn: Warn | None = None) -> None:
    """Replace the diagram of a parsed bpmn:definitions element by a freshly computed one."""
    drawing = Drawing(warn or (lambda message: None))
    for old in root.findall(q(BPMNDI_NS, "BPMNDiagram")):
        root.remove(old)
    processes = {p.get("id"): p for p in children(root, "process")}
    if not processes:
        raise ValueError("aucun bpmn:process dans ce fichier")
    collaboration = ensure_collaboration(root)
    top = ORIGIN[1]
    if collaboration is None:
        plane_ref = next(iter(processes))
        layout_process(processes[plane_ref], None, top, drawing)
    else:
        plane_ref = collaboration.get("id")
        top = _layout_collaboration(root, collaboration, processes, drawing)
    _place_loose(drawing, top)
    _write_di(root, plane_ref, drawing)


def _layout_collaboration(
    root: etree._Element,
    collaboration: etree._Element,
    processes: dict[str, etree._Element],
    drawing: Drawing,
) -> float:
    """Pools stacked top to bottom, in the order of the participants; the y after the last."""
    top = ORIGIN[1]
    for participant in children(collaboration, "participant"):
        process = processes.get(participant.get("processRef") or "")
        if process is None:
            pool = Bounds(ORIGIN[0], top, 600.0, 100.0)
            drawing.shape(participant.get("id"), pool, {"isHorizontal": "true"})
            bottom = pool.bottom
        else:
            bottom = layout_process(process, participant, top, drawing)
        top = bottom + POOL_GAP
    for child in collaboration:
        if is_bpmn(child) and local(child) not in SILENT_IN_COLLABORATION:
            drawing.warn(f"{child.get('id')} : {local(child)} non dessiné")
    align_pools(root, drawing)
    return top


def _place_loose(drawing: Drawing, top: float) -> None:
    """Annotations and data objects attached to nothing: in a row under everything else."""
    bottom = max((s.bounds.bottom for s in drawing.shapes), default=top) + POOL_GAP
    x = ORIGIN[0]
    for element in drawing.loose:
        w, h = annotation_size(element) if local(element) == "textAnnotation" else DATA_OBJECT_SIZE
        drawing.shape(element.get("id"), Bounds(x, bottom, w, h))
        x += w + 2 * DECORATION_GAP


# --- writing ---------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _bounds(parent: etree._Element, box: Bounds) -> None:
    b = etree.SubElement(parent, q(DC_NS, "Bounds"))
    for key, value in (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h)):
        b.set(key, _fmt(value))


class _DiIds:
    """`<element>_di` identifiers, numbered when the name is taken."""

    def __init__(self, root: etree._Element) -> None:
        self.taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str)}

    def __call__(self, element_id: str) -> str:
        ident, n = f"{element_id}_di", 1
        while ident in self.taken:
            n += 1
            ident = f"{element_id}_di{n}"
        self.taken.add(ident)
        return ident


def _write_di(root: etree._Element, plane_ref: str, drawing: Drawing) -> None:
    diagram = etree.SubElement(root, q(BPMNDI_NS, "BPMNDiagram"), nsmap=DI_NSMAP)
    diagram.set("id", unique_id(root, "BPMNDiagram_1"))
    plane = etree.SubElement(diagram, q(BPMNDI_NS, "BPMNPlane"))
    plane.set("id", unique_id(root, "BPMNPlane_1"))
    plane.set("bpmnElement", plane_ref)
    di_id = _DiIds(root)
    for shape in drawing.shapes:
        element = etree.SubElement(plane, q(BPMNDI_NS, "BPMNShape"))
        element.set("id", di_id(shape.element_id))
        element.set("bpmnElement", shape.element_id)
        for key, value in shape.attrs.items():
            element.set(key, value)
        _bounds(element, shape.bounds)
        if shape.label is not None:
            _bounds(etree.SubElement(element, q(BPMNDI_NS, "BPMNLabel")), shape.label)
    for edge in drawing.edges:
        element = etree.SubElement(plane, q(BPMNDI_NS, "BPMNEdge"))
        element.set("id", di_id(edge.element_id))
        element.set("bpmnElement", edge.element_id)
        for x, y in edge.points:
            point = etree.SubElement(element, q(DI_NS, "waypoint"))
            point.set("x", _fmt(x))
            point.set("y", _fmt(y))
        if edge.label is not None:
            _bounds(etree.SubElement(element, q(BPMNDI_NS, "BPMNLabel")), edge.label)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def layout_bytes(content: bytes, warn: Warn | None = None) -> bytes:
    """The document with a new diagram, serialized the same way every time."""
    root = etree.fromstring(content, _parser())
    if local(root) != "definitions" or etree.QName(root).namespace != BPMN_NS:
        raise ValueError("ce n'est pas un fichier BPMN 2.0 (bpmn:definitions attendu)")
    layout_tree(root, warn)
    keep = [p for p in root.nsmap if p is not None] + list(DI_NSMAP)
    etree.cleanup_namespaces(root, top_nsmap=DI_NSMAP, keep_ns_prefixes=keep)
    etree.indent(root, space="  ")
    text = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    _, _, body = text.partition(b"?>")
    return b'<?xml version="1.0" encoding="UTF-8"?>' + body.rstrip() + b"\n"


def layout_file(path: Path | str, warn: Warn | None = None) -> None:
    """Rewrite `path` in place with a new diagram."""
    path = Path(path)
    path.write_bytes(layout_bytes(path.read_bytes(), warn))
