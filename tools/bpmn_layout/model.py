"""Reading the BPMN model: namespaces, kinds of element, children of an element."""

from __future__ import annotations

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
DECORATIONS = ("textAnnotation", "dataObjectReference", "dataStoreReference")
DATA_ASSOCIATIONS = ("dataInputAssociation", "dataOutputAssociation")


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def is_bpmn(element: etree._Element, *names: str) -> bool:
    if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
        return False
    return not names or local(element) in names


def children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in element if is_bpmn(c, *names)]


def text_of(annotation: etree._Element) -> str:
    text = annotation.find(q(BPMN_NS, "text"))
    return (text.text or "").strip() if text is not None else ""


def ref_text(element: etree._Element | None) -> str | None:
    """The id held by a sourceRef or targetRef child, if there is one."""
    return (element.text or "").strip() if element is not None else None
