"""The diagram generator: process owners trust it to make hand-written models readable.

The checks are geometric (what bpmn-js needs to draw something legible) plus the two promises
the tool makes to the people running it: the model itself is untouched and still deploys, and
running it again changes nothing.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from engine.definitions import prepare, read_sources
from tools.bpmn_layout import FLOW_NODES, layout_bytes, layout_file, main

FIXTURES = Path(__file__).parent / "fixtures"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
SAMPLES = ["approbation", "relance", "parallele", "boucle"]
#: Nested lanes, a loop inside an expanded sub-process, timers on a task and on the sub-process,
#: a timer looping back across lanes, an annotation.
COMPLEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="p" name="Complexe" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="L1" name="collectivite">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>a</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>g</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="L2" name="prefet">
        <bpmn:childLaneSet id="cls">
          <bpmn:lane id="L2a" name="prefet">
            <bpmn:flowNodeRef>b</bpmn:flowNodeRef><bpmn:flowNodeRef>sp</bpmn:flowNodeRef>
          </bpmn:lane>
          <bpmn:lane id="L2b" name="expert">
            <bpmn:flowNodeRef>c</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>
          </bpmn:lane>
        </bpmn:childLaneSet>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s" name="D\xc3\xa9but"/>
    <bpmn:userTask id="a" name="A"/>
    <bpmn:exclusiveGateway id="g" name="Ok ?" default="f4"/>
    <bpmn:userTask id="b" name="B"/>
    <bpmn:userTask id="c" name="C"/>
    <bpmn:boundaryEvent id="t1" attachedToRef="c" name="D\xc3\xa9lai">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:subProcess id="sp" name="Sous">
      <bpmn:startEvent id="ss"/>
      <bpmn:scriptTask id="st" name="x"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
      <bpmn:exclusiveGateway id="sg" default="sf3"/>
      <bpmn:endEvent id="se"/>
      <bpmn:sequenceFlow id="sf1" sourceRef="ss" targetRef="st"/>
      <bpmn:sequenceFlow id="sf2" sourceRef="st" targetRef="sg"/>
      <bpmn:sequenceFlow id="sf3" sourceRef="sg" targetRef="st"/>
      <bpmn:sequenceFlow id="sf4" name="fini" sourceRef="sg" targetRef="se">
        <bpmn:conditionExpression>x</bpmn:conditionExpression>
      </bpmn:sequenceFlow>
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="t2" attachedToRef="sp">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="e" name="Fin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="g"/>
    <bpmn:sequenceFlow id="f3" name="oui" sourceRef="g" targetRef="b">
      <bpmn:conditionExpression>ok</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" name="non" sourceRef="g" targetRef="a"/>
    <bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="sp"/>
    <bpmn:sequenceFlow id="f6" sourceRef="sp" targetRef="c"/>
    <bpmn:sequenceFlow id="f7" sourceRef="c" targetRef="e"/>
    <bpmn:sequenceFlow id="f8" sourceRef="t1" targetRef="b"/>
    <bpmn:sequenceFlow id="f9" sourceRef="t2" targetRef="e"/>
    <bpmn:textAnnotation id="n1"><bpmn:text>Une note sur deux lignes</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="as1" sourceRef="b" targetRef="n1"/>
  </bpmn:process>
</bpmn:definitions>
"""
Box = tuple[float, float, float, float]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _parse(path: Path) -> etree._Element:
    return etree.parse(
        str(path), etree.XMLParser(resolve_entities=False, no_network=True)
    ).getroot()


def _box(shape: etree._Element) -> Box:
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _shapes(root: etree._Element) -> dict[str, list[Box]]:
    found: dict[str, list[Box]] = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        found.setdefault(shape.get("bpmnElement"), []).append(_box(shape))
    return found


def _edges(root: etree._Element) -> dict[str, list[tuple[float, float]]]:
    return {
        edge.get("bpmnElement"): [
            (float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)
        ]
        for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }


def _flow_nodes(root: etree._Element) -> list[etree._Element]:
    return [
        e
        for e in root.iter(f"{{{NS['bpmn']}}}*")
        if _local(e) in FLOW_NODES and e.getparent() is not None
    ]


def _on_border(point: tuple[float, float], box: Box, tolerance: float = 1.0) -> bool:
    x, y = point
    bx, by, bw, bh = box
    inside = (
        bx - tolerance <= x <= bx + bw + tolerance and by - tolerance <= y <= by + bh + tolerance
    )
    near_edge = min(abs(x - bx), abs(x - bx - bw), abs(y - by), abs(y - by - bh)) <= tolerance
    return inside and near_edge


def _contains(outer: Box, inner: Box) -> bool:
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _back_edges(scope: etree._Element) -> set[str]:
    """Flows closing a cycle, found independently of the tool (boundary events act as hosts)."""
    host = {
        e.get("id"): e.get("attachedToRef")
        for e in scope.iterfind("bpmn:boundaryEvent", NS)
        if e.get("attachedToRef")
    }
    out: dict[str, list[tuple[str, str]]] = {}
    for flow in scope.iterfind("bpmn:sequenceFlow", NS):
        src = host.get(flow.get("sourceRef"), flow.get("sourceRef"))
        out.setdefault(src, []).append((flow.get("id"), flow.get("targetRef")))
    nodes = [e.get("id") for e in scope if _local(e) in FLOW_NODES and e.get("id") not in host]
    starts = [e.get("id") for e in scope.iterfind("bpmn:startEvent", NS)]
    back: set[str] = set()
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for flow, target in out.get(node, []):
            if state.get(target) == 1:
                back.add(flow)
            elif not state.get(target):
                visit(target)
        state[node] = 2

    for node in starts + nodes:
        if not state.get(node):
            visit(node)
    return back


def _without_di(root: etree._Element) -> bytes:
    copy = etree.fromstring(etree.tostring(root))
    for diagram in copy.findall("bpmndi:BPMNDiagram", NS):
        copy.remove(diagram)
    for element in copy.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return etree.tostring(copy, method="c14n", exclusive=True)


@pytest.fixture(params=[*SAMPLES, "complexe"])
def laid_out(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    if request.param == "complexe":
        original = tmp_path / "source" / "complexe.bpmn"
        original.parent.mkdir()
        original.write_bytes(COMPLEX)
    else:
        original = FIXTURES / f"{request.param}.bpmn"
    path = tmp_path / original.name
    shutil.copy(original, path)
    layout_file(path)
    return original, path


def test_every_element_has_exactly_one_shape(laid_out: tuple[Path, Path]) -> None:
    root = _parse(laid_out[1])
    shapes = _shapes(root)
    expected = [e.get("id") for e in _flow_nodes(root)]
    expected += [e.get("id") for e in root.iterfind(".//bpmn:lane", NS)]
    expected += [e.get("id") for e in root.iterfind(".//bpmn:participant", NS)]
    assert expected
    for ident in expected:
        assert len(shapes.get(ident, [])) == 1, ident
    assert len(root.findall("bpmndi:BPMNDiagram", NS)) == 1
    assert root[-1].tag == f"{{{NS['bpmndi']}}}BPMNDiagram"


def test_edges_join_the_borders_of_their_shapes(laid_out: tuple[Path, Path]) -> None:
    root = _parse(laid_out[1])
    shapes, edges = _shapes(root), _edges(root)
    flows = root.findall(".//bpmn:sequenceFlow", NS)
    assert flows
    for flow in flows:
        points = edges[flow.get("id")]
        assert len(points) >= 2, flow.get("id")
        assert _on_border(points[0], shapes[flow.get("sourceRef")][0]), flow.get("id")
        assert _on_border(points[-1], shapes[flow.get("targetRef")][0]), flow.get("id")
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            assert x0 == x1 or y0 == y1, f"{flow.get('id')} : segment oblique"


def test_nodes_sit_inside_their_lane(laid_out: tuple[Path, Path]) -> None:
    root = _parse(laid_out[1])
    shapes = _shapes(root)
    participants = root.findall(".//bpmn:participant", NS)
    for lane in root.iterfind(".//bpmn:lane", NS):
        lane_box = shapes[lane.get("id")][0]
        assert any(_contains(shapes[p.get("id")][0], lane_box) for p in participants)
        for parent in lane.iterancestors(f"{{{NS['bpmn']}}}lane"):
            assert _contains(shapes[parent.get("id")][0], lane_box)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert _contains(lane_box, shapes[ref.text.strip()][0]), ref.text


def test_shapes_do_not_overlap(laid_out: tuple[Path, Path]) -> None:
    root = _parse(laid_out[1])
    shapes = _shapes(root)
    nodes = _flow_nodes(root)
    host = {e.get("id"): e.get("attachedToRef") for e in nodes if e.get("attachedToRef")}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            ia, ib = a.get("id"), b.get("id")
            if host.get(ia) == ib or host.get(ib) == ia:
                assert _overlap(shapes[ia][0], shapes[ib][0]), "événement hors de sa bordure"
                continue
            if a in b.iterancestors() or b in a.iterancestors():
                continue
            assert not _overlap(shapes[ia][0], shapes[ib][0]), (ia, ib)


def test_columns_grow_along_the_flow(laid_out: tuple[Path, Path]) -> None:
    root = _parse(laid_out[1])
    shapes = _shapes(root)
    scopes = root.findall(".//bpmn:process", NS) + root.findall(".//bpmn:subProcess", NS)
    for process in scopes:
        back = _back_edges(process)
        host = {
            e.get("id"): e.get("attachedToRef") for e in process.iterfind("bpmn:boundaryEvent", NS)
        }
        for flow in process.iterfind("bpmn:sequenceFlow", NS):
            if flow.get("id") in back:
                continue
            src = host.get(flow.get("sourceRef"), flow.get("sourceRef"))
            assert shapes[src][0][0] < shapes[flow.get("targetRef")][0][0], flow.get("id")


def test_boundary_events_sit_on_the_bottom_border_of_their_host(tmp_path: Path) -> None:
    path = tmp_path / "relance.bpmn"
    shutil.copy(FIXTURES / "relance.bpmn", path)
    layout_file(path)
    root = _parse(path)
    shapes, edges = _shapes(root), _edges(root)
    hx, hy, hw, hh = shapes["repondre"][0]
    centres = []
    for event in ("rappel", "delai_depasse"):
        x, y, w, h = shapes[event][0]
        assert y + h / 2 == pytest.approx(hy + hh)
        assert hx <= x + w / 2 <= hx + hw
        centres.append(x + w / 2)
    assert centres[0] != centres[1]
    assert edges["f_rappel"][0] == (centres[0], shapes["rappel"][0][1] + 36)


def test_loops_go_below_the_nodes(tmp_path: Path) -> None:
    path = tmp_path / "boucle.bpmn"
    shutil.copy(FIXTURES / "boucle.bpmn", path)
    layout_file(path)
    root = _parse(path)
    shapes, points = _shapes(root), _edges(root)["f_encore"]
    lowest = max(shapes[n][0][1] + shapes[n][0][3] for n in ("compter", "verifier", "fini"))
    assert max(y for _, y in points) > lowest
    gx, gy, gw, gh = shapes["fini"][0]
    assert points[0] == (gx + gw / 2, gy + gh)


def test_layout_is_idempotent_and_keeps_the_model(laid_out: tuple[Path, Path]) -> None:
    original, path = laid_out
    first = path.read_bytes()
    assert first.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    layout_file(path)
    assert path.read_bytes() == first
    before, after = _parse(original), _parse(path)
    for process in before.iterfind("bpmn:process", NS):
        same = after.find(f"bpmn:process[@id='{process.get('id')}']", NS)
        assert _without_di(same) == _without_di(process)
    assert after.nsmap["bpmndi"] == NS["bpmndi"]
    assert after.nsmap["dc"] == NS["dc"]
    assert after.nsmap["di"] == NS["di"]


def test_output_still_deploys(laid_out: tuple[Path, Path]) -> None:
    bundles = prepare(read_sources(laid_out[1]))
    assert bundles


def test_lanes_without_collaboration_get_a_participant(tmp_path: Path) -> None:
    path = tmp_path / "parallele.bpmn"
    shutil.copy(FIXTURES / "parallele.bpmn", path)
    assert _parse(path).find("bpmn:collaboration", NS) is None
    layout_file(path)
    root = _parse(path)
    collaboration = root.find("bpmn:collaboration", NS)
    participant = collaboration.find("bpmn:participant", NS)
    assert participant.get("id") == "Participant_signatures"
    assert participant.get("processRef") == "signatures"
    assert participant.get("name") == "Deux signatures"
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")
    shapes = _shapes(root)
    pool = shapes["Participant_signatures"][0]
    for lane in ("Lane_collectivite", "Lane_nationale"):
        x, _, w, _ = shapes[lane][0]
        assert x == pool[0] + 30 and w == pool[2] - 30
    plane_shape = root.find(".//bpmndi:BPMNShape[@bpmnElement='Participant_signatures']", NS)
    assert plane_shape.get("isHorizontal") == "true"


def test_process_without_lanes_is_drawn_on_its_own_plane(tmp_path: Path) -> None:
    path = tmp_path / "boucle.bpmn"
    shutil.copy(FIXTURES / "boucle.bpmn", path)
    layout_file(path)
    root = _parse(path)
    assert root.find("bpmn:collaboration", NS) is None
    assert root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS).get("bpmnElement") == "boucle"
    gateway = root.find(".//bpmndi:BPMNShape[@bpmnElement='fini']", NS)
    assert gateway.get("isMarkerVisible") == "true"


def test_existing_diagram_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "approbation.bpmn"
    shutil.copy(FIXTURES / "approbation.bpmn", path)
    layout_file(path)
    text = path.read_bytes().replace(b'x="', b'x="1')
    path.write_bytes(text)
    layout_file(path)
    fresh = tmp_path / "fresh.bpmn"
    shutil.copy(FIXTURES / "approbation.bpmn", fresh)
    layout_file(fresh)
    assert path.read_bytes() == fresh.read_bytes()


RICH = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- commentaire conserve -->
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="Definitions_riche" targetNamespace="http://anct.gouv.fr/bpmn/tests">
  <bpmn:process id="riche" name="Riche" isExecutable="true">
    <bpmn:startEvent id="debut"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="sous" name="Instruction">
      <bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:startEvent id="sous_debut"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:scriptTask id="sous_calcul" name="Calculer">
        <bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing>
        <bpmn:script>x = 1</bpmn:script>
      </bpmn:scriptTask>
      <bpmn:endEvent id="sous_fin"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="s1" sourceRef="sous_debut" targetRef="sous_calcul" />
      <bpmn:sequenceFlow id="s2" sourceRef="sous_calcul" targetRef="sous_fin" />
    </bpmn:subProcess>
    <bpmn:task id="noter" name="Noter">
      <bpmn:incoming>b</bpmn:incoming><bpmn:outgoing>c</bpmn:outgoing>
      <bpmn:dataOutputAssociation id="sortie"><bpmn:targetRef>pv</bpmn:targetRef>
      </bpmn:dataOutputAssociation>
    </bpmn:task>
    <bpmn:endEvent id="fin"><bpmn:incoming>c</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="debut" targetRef="sous" />
    <bpmn:sequenceFlow id="b" sourceRef="sous" targetRef="noter" />
    <bpmn:sequenceFlow id="c" sourceRef="noter" targetRef="fin" />
    <bpmn:dataObject id="pv_objet" />
    <bpmn:dataObjectReference id="pv" name="Proces-verbal" dataObjectRef="pv_objet" />
    <bpmn:textAnnotation id="note"><bpmn:text>Relu par le chef</bpmn:text></bpmn:textAnnotation>
    <bpmn:textAnnotation id="libre"><bpmn:text>Sans lien</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="lien" sourceRef="noter" targetRef="note" />
    <bpmn:association id="casse" sourceRef="inconnu" targetRef="libre" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_sub_processes_annotations_and_data_objects() -> None:
    warnings: list[str] = []
    out = layout_bytes(RICH, warnings.append)
    assert b"<!-- commentaire conserve -->" in out
    root = etree.fromstring(out)
    shapes, edges = _shapes(root), _edges(root)
    sub = shapes["sous"][0]
    shape = root.find(".//bpmndi:BPMNShape[@bpmnElement='sous']", NS)
    assert shape.get("isExpanded") == "true"
    for inner in ("sous_debut", "sous_calcul", "sous_fin"):
        assert _contains(sub, shapes[inner][0]), inner
    for flow in ("a", "b", "c", "s1", "s2"):
        assert len(edges[flow]) >= 2
    task = shapes["noter"][0]
    for deco in ("note", "pv"):
        _, y, _, h = shapes[deco][0]
        assert y + h <= task[1]
    assert "lien" in edges and "sortie" in edges
    assert "libre" in shapes
    assert "casse" not in edges
    assert any("casse" in w for w in warnings)
    assert layout_bytes(out) == out


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "approbation.bpmn"
    shutil.copy(FIXTURES / "approbation.bpmn", good)
    broken = tmp_path / "casse.bpmn"
    broken.write_text("<pas du xml", encoding="utf-8")
    assert main([str(good), str(broken)]) == 1
    assert b"BPMNDiagram" in good.read_bytes()
    assert "casse.bpmn" in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    """`python -m tools.bpmn_layout FICHIER.bpmn`, as the procedures' READMEs say."""
    path = tmp_path / "boucle.bpmn"
    shutil.copy(FIXTURES / "boucle.bpmn", path)
    expected = layout_bytes(path.read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "tools.bpmn_layout", str(path)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "diagramme régénéré" in done.stdout
    assert path.read_bytes() == expected
