"""The diagram being drawn: shapes and edges in drawing order, and the problems met."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from .geometry import Bounds, Point


@dataclass
class Shape:
    element_id: str
    bounds: Bounds
    attrs: dict[str, str] = field(default_factory=dict)
    label: Bounds | None = None


@dataclass
class Edge:
    element_id: str
    points: list[Point]
    label: Bounds | None = None


class Drawing:
    """Shapes and edges collected in drawing order, plus the problems met on the way."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.shapes: list[Shape] = []
        self.edges: list[Edge] = []
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
        self.shapes.append(Shape(element_id, bounds, attrs or {}, label))
        self.placed[element_id] = bounds
