"""What the engine accepts in a BPMN file, checked before SpiffWorkflow parses it.

SpiffWorkflow either ignores what it cannot execute or fails at run time, in English and without
a line number. We check the document against the constructs we run and say, in French, which
element of which file is the problem, so that a process owner can fix the diagram.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ..errors import ERROR, DefinitionProblem, EngineError
from ..roles import LANE_ROLES
from ..sandbox.policy import compile_script
from .operators import OPERATORS
from .timers import timer_literal_problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

#: Elements of a process the engine runs, or that only document it.
SUPPORTED = frozenset(
    {
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "task", "userTask", "manualTask", "scriptTask", "businessRuleTask",
        "subProcess", "callActivity", "exclusiveGateway", "parallelGateway",
        "inclusiveGateway", "sequenceFlow", "conditionExpression", "laneSet", "lane",
        "flowNodeRef", "childLaneSet", "incoming", "outgoing", "documentation",
        "extensionElements", "textAnnotation", "text", "association", "group", "category",
        "categoryValue", "dataObject", "dataObjectReference", "dataInputAssociation",
        "dataOutputAssociation", "sourceRef", "targetRef", "ioSpecification", "dataInput",
        "dataOutput", "inputSet", "outputSet", "dataInputRefs", "dataOutputRefs", "property",
        "timerEventDefinition", "timeDate", "timeDuration", "timeCycle",
        "errorEventDefinition", "escalationEventDefinition", "terminateEventDefinition",
        "multiInstanceLoopCharacteristics", "loopCardinality", "completionCondition",
        "loopDataInputRef", "loopDataOutputRef", "inputDataItem", "outputDataItem",
        "standardLoopCharacteristics", "loopCondition", "script", "serviceTask",
    }
)  # fmt: skip

#: Constructs refused with the reason given to the process owner.
REFUSED = {
    "sendTask": "tâche d'envoi de message : les messages ne sont pas pris en charge",
    "receiveTask": "tâche de réception de message : les messages ne sont pas pris en charge",
    "messageEventDefinition": "événement message : les messages ne sont pas pris en charge",
    "signalEventDefinition": "événement signal : les signaux ne sont pas pris en charge",
    "conditionalEventDefinition": "événement conditionnel : non pris en charge",
    "compensateEventDefinition": "compensation : non prise en charge",
    "cancelEventDefinition": "annulation de transaction : non prise en charge",
    "linkEventDefinition": "événement lien : non pris en charge",
    "dataStoreReference": "magasin de données sans implémentation : non pris en charge",
    "dataStore": "magasin de données sans implémentation : non pris en charge",
    "transaction": "sous-processus transactionnel : non pris en charge",
    "adHocSubProcess": "sous-processus ad hoc : non pris en charge",
    "eventBasedGateway": "passerelle basée sur les événements : utilisez un événement de minuterie en bordure de tâche",
    "complexGateway": "passerelle complexe : non prise en charge",
}

_HUMAN_TASKS = ("userTask", "manualTask")
_FLOW_NODES = (
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "task", "userTask", "manualTask", "scriptTask", "businessRuleTask",
    "subProcess", "callActivity", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "serviceTask",
)  # fmt: skip


#: Properties of a human task that are expressions over the dossier's data.
_TASK_EXPRESSIONS = ("pour", "due", "assignee", "siren", "territoire")


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def label(element: etree._Element) -> str:
    name = element.get("name")
    ident = element.get("id", local(element))
    return f"{name} » ({ident}" if name else ident


class _Checker:
    def __init__(self, root: etree._Element, filename: str) -> None:
        self.root = root
        self.filename = filename
        self.problems: list[DefinitionProblem] = []

    def problem(
        self, element: etree._Element | None, rule: str, message: str, severity: str = ERROR
    ) -> None:
        self.problems.append(located(self.filename, element, rule, message, severity))

    def run(self) -> list[DefinitionProblem]:
        if local(self.root) != "definitions" or etree.QName(self.root).namespace != BPMN_NS:
            self.problem(
                None,
                "bpmn-root",
                "ce n'est pas un fichier BPMN 2.0 (élément racine bpmn:definitions attendu)",
            )
            return self.problems
        processes = self.root.findall("bpmn:process", NS)
        if not any(p.get("isExecutable") == "true" for p in processes):
            self.problem(
                None,
                "no-executable",
                'aucun processus exécutable (isExecutable="true") dans ce fichier',
            )
        self._check_unique_ids()
        for element in self.root.iter(f"{{{BPMN_NS}}}*"):
            self._check_element(element)
        for process in processes:
            self._check_scope(process)
        return self.problems

    def _check_unique_ids(self) -> None:
        """SpiffWorkflow finds elements by id anywhere in the file, extensions included."""
        seen: dict[str, etree._Element] = {}
        for element in self.root.iter():
            ident = element.get("id") if isinstance(element.tag, str) else None
            if not ident:
                continue
            namespace = etree.QName(element).namespace
            if not (namespace == BPMN_NS or local(element) == "serviceTaskOperator"):
                continue
            first = seen.setdefault(ident, element)
            if first is element:
                continue
            if local(first) == local(element) == "serviceTaskOperator":
                continue  # one operator called by two service tasks: each reads its own
            operator = next(
                (e for e in (first, element) if local(e) == "serviceTaskOperator"), None
            )
            other = element if operator is first else first
            if operator is not None:
                message = f"l'identifiant « {ident} » est aussi le nom d'un opérateur : renommez l'élément"
            else:
                message = (
                    f"identifiant « {ident} » utilisé deux fois (aussi ligne {first.sourceline})"
                )
            self.problem(other, "duplicate-id", message)

    def _check_element(self, element: etree._Element) -> None:
        name = local(element)
        if name in REFUSED:
            target = element.getparent() if name.endswith("EventDefinition") else element
            self.problem(
                target, "refused-element", f"construction non exécutable : {REFUSED[name]}"
            )
        elif (
            element.getparent() is not None
            and self._inside_process(element)
            and name not in SUPPORTED
        ):
            self.problem(
                element, "unsupported-element", f"élément BPMN « {name} » non pris en charge"
            )

    @staticmethod
    def _inside_process(element: etree._Element) -> bool:
        return any(local(a) == "process" for a in element.iterancestors())

    def _check_scope(self, scope: etree._Element) -> None:
        """Checks within one process or sub-process (ids are resolved in their own scope)."""
        nodes = {
            e.get("id"): e for e in scope if local(e) in _FLOW_NODES and e.get("id") is not None
        }
        flows = [e for e in scope if local(e) == "sequenceFlow"]
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in flows:
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if ref not in nodes:
                    self.problem(
                        flow,
                        "flow-reference",
                        f"le flux référence un élément inexistant : « {ref} » ({end})",
                    )
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
            condition = flow.find("bpmn:conditionExpression", NS)
            if condition is not None:
                self._compile(flow, condition.text or "", "eval", "condition", "condition")
        lanes = self._lanes(scope)
        for ident, node in nodes.items():
            kind = local(node)
            if kind in _HUMAN_TASKS:
                self._check_human_task(
                    node, lanes.get(ident), bool(lanes) or local(scope) == "process"
                )
            elif kind == "scriptTask":
                script = node.find("bpmn:script", NS)
                if script is None or not (script.text or "").strip():
                    self.problem(node, "script-missing", "tâche de script sans script")
                else:
                    self._compile(node, script.text, "exec", "script", "script")
            elif kind == "boundaryEvent" and node.get("attachedToRef") not in nodes:
                self.problem(
                    node,
                    "boundary-attachment",
                    f"événement attaché à un élément inexistant : « {node.get('attachedToRef')} »",
                )
            elif kind == "exclusiveGateway":
                self._check_exclusive(node, outgoing.get(ident, []))
            elif kind == "callActivity" and not node.get("calledElement"):
                self.problem(
                    node, "call-target", "activité d'appel sans processus appelé (calledElement)"
                )
            elif (
                kind == "businessRuleTask"
                and node.find(".//spiffworkflow:calledDecisionId", NS) is None
            ):
                self.problem(
                    node,
                    "decision-missing",
                    "tâche de règle métier sans table de décision (spiffworkflow:calledDecisionId)",
                )
            elif kind == "subProcess":
                self._check_scope(node)
            elif kind == "serviceTask":
                self._check_operator(node)
            if kind in ("startEvent", "intermediateCatchEvent", "boundaryEvent"):
                self._check_timer(node)
            if kind == "endEvent":
                for said in ("motif", "montant", "conditions"):  # what the notice states
                    prop = node.find(
                        "bpmn:extensionElements/spiffworkflow:properties/"
                        f"spiffworkflow:property[@name='{said}']",
                        NS,
                    )
                    if prop is not None:
                        self._compile(
                            node, prop.get("value") or "", "eval", f"propriété « {said} »",
                            "expression",
                        )  # fmt: skip

    def _lanes(self, scope: etree._Element) -> dict[str, etree._Element]:
        lanes: dict[str, etree._Element] = {}
        for lane in scope.iterfind(".//bpmn:lane", NS):
            if scope_of(lane) is not scope:
                continue
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                lanes[(ref.text or "").strip()] = lane
        return lanes

    def _check_human_task(
        self, node: etree._Element, lane: etree._Element | None, needs_lane: bool
    ) -> None:
        for prop in node.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        ):
            name, value = prop.get("name"), (prop.get("value") or "").strip()
            if name == "due" and value.upper().startswith("P"):
                problem = timer_literal_problem("timeDuration", repr(value))
                if problem:
                    self.problem(node, "due", f"propriété « due » : {problem}")
            elif name in _TASK_EXPRESSIONS:
                self._compile(node, value, "eval", f"propriété « {name} »", "expression")
        if lane is None:
            if needs_lane:
                self.problem(
                    node,
                    "lane-missing",
                    "tâche humaine hors de tout couloir : placez-la dans le couloir du rôle qui la traite",
                )
            return
        role = (lane.get("name") or "").strip()
        if role not in LANE_ROLES:
            allowed = ", ".join(sorted(LANE_ROLES))
            self.problem(
                lane,
                "lane-role",
                f"le couloir « {role} » n'est pas un code de rôle (attendu : {allowed})",
            )

    def _check_exclusive(self, gateway: etree._Element, flows: list[etree._Element]) -> None:
        if len(flows) < 2:
            return
        default = gateway.get("default")
        if default and default not in {f.get("id") for f in flows}:
            self.problem(gateway, "gateway-default", f"flux par défaut inexistant : « {default} »")
        for flow in flows:
            if flow.get("id") != default and flow.find("bpmn:conditionExpression", NS) is None:
                self.problem(
                    flow,
                    "gateway-condition",
                    "flux sortant d'une passerelle exclusive sans condition ni flux par défaut",
                )

    def _check_operator(self, node: etree._Element) -> None:
        operator = node.find(".//spiffworkflow:serviceTaskOperator", NS)
        known = ", ".join(sorted(OPERATORS))
        if operator is None or operator.get("id") not in OPERATORS:
            name = "aucun" if operator is None else f"« {operator.get('id')} » inconnu"
            self.problem(
                node,
                "operator-unknown",
                f"tâche de service sans opérateur du moteur ({name} ; connus : {known})",
            )
            return
        expected = OPERATORS[operator.get("id")]
        given = {}
        for parameter in operator.iterfind(".//spiffworkflow:parameter", NS):
            given[parameter.get("id")] = parameter.get("value") or ""
        if set(given) != expected:
            self.problem(
                node,
                "operator-parameters",
                f"l'opérateur « {operator.get('id')} » attend les paramètres "
                f"{', '.join(sorted(expected))} (reçus : {', '.join(sorted(given)) or 'aucun'})",
            )
        for value in given.values():
            self._compile(node, value, "eval", "paramètre d'opérateur", "operator-parameters")

    def _check_timer(self, node: etree._Element) -> None:
        timer = node.find("bpmn:timerEventDefinition", NS)
        if timer is None:
            return
        expressions = [e for e in timer if local(e) in ("timeDate", "timeDuration", "timeCycle")]
        if len(expressions) != 1 or not (expressions[0].text or "").strip():
            self.problem(
                node, "timer-expression", "minuterie sans expression de date, de durée ou de cycle"
            )
            return
        expression = expressions[0]
        if self._compile(
            node, expression.text, "eval", "expression de minuterie", "timer-expression"
        ):
            self._check_timer_value(node, local(expression), expression.text)
        escalation = node.find(
            "bpmn:extensionElements/spiffworkflow:properties/"
            "spiffworkflow:property[@name='escalade']",
            NS,
        )
        if escalation is not None:
            unknown = set(escalation_roles(escalation.get("value"))) - LANE_ROLES
            if unknown or not escalation_roles(escalation.get("value")):
                allowed = ", ".join(sorted(LANE_ROLES))
                self.problem(
                    node,
                    "escalation-roles",
                    f"propriété « escalade » : rôles attendus parmi {allowed}",
                )

    def _check_timer_value(self, node: etree._Element, kind: str, source: str) -> None:
        """A constant expression is checked now: it gives the same value for every dossier."""
        problem = timer_literal_problem(kind, source)
        if problem:
            self.problem(node, "timer-expression", problem)

    def _compile(
        self, element: etree._Element, source: str, mode: str, what: str, rule: str
    ) -> bool:
        try:
            compile_script(source.strip() if mode == "eval" else source, mode)
        except EngineError as exc:
            self.problem(element, rule, f"{what} invalide : {exc.message}")
            return False
        return True


def owner_of(element: etree._Element) -> etree._Element | None:
    """The element itself or its nearest ancestor with an id: what the problem is put on."""
    for candidate in (element, *element.iterancestors()):
        if candidate.get("id") and local(candidate) != "definitions":
            return candidate
    return None


def scope_of(element: etree._Element) -> etree._Element | None:
    for ancestor in element.iterancestors():
        if local(ancestor) in ("process", "subProcess"):
            return ancestor
    return None


def located(
    filename: str,
    element: etree._Element | None,
    rule: str,
    message: str,
    severity: str = ERROR,
) -> DefinitionProblem:
    """A problem of `filename` put on `element` (or on the file when None)."""
    if element is None:
        return DefinitionProblem(filename, message, None, None, rule, severity)
    owner = owner_of(element)
    scope = scope_of(element)
    return DefinitionProblem(
        filename,
        message,
        element.sourceline,
        label(element),
        rule,
        severity,
        owner.get("id") if owner is not None else None,
        scope.get("id") if scope is not None else None,
    )


def escalation_roles(value: str | None) -> list[str]:
    """Roles told when a timer escalates (`escalade` property: codes separated by commas)."""
    return [role.strip() for role in (value or "").split(",") if role.strip()]


def check_bpmn(root: etree._Element, filename: str) -> list[DefinitionProblem]:
    """Every problem of one BPMN document that makes it undeployable."""
    return _Checker(root, filename).run()


def executable_processes(root: etree._Element) -> Iterable[etree._Element]:
    return (p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable") == "true")


def process_property(process: etree._Element, name: str) -> str | None:
    found = process.find(
        f"bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='{name}']",
        NS,
    )
    return found.get("value") if found is not None else None
