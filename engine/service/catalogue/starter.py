"""The files a new procedure starts with: a pool with the collectivité's and the préfet's lanes,
a start event with a filing form, an end event with its outcome. Valid as it is, so that an
owner always starts from something the validator accepts and the portal can offer."""

from __future__ import annotations

import json
from xml.sax.saxutils import quoteattr

_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    id="Definitions_{id}" targetNamespace="http://anct.gouv.fr/bpmn/{id}">
  <bpmn:collaboration id="Collaboration_{id}">
    <bpmn:participant id="Participant_{id}" name={name} processRef="{id}" />
  </bpmn:collaboration>
  <bpmn:process id="{id}" name={name} isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="referencePrefix" value="{prefix}" />
        <spiffworkflow:property name="startForm" value="{id}/depot.json" />
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_{id}">
      <bpmn:lane id="Lane_collectivite" name="collectivite">
        <bpmn:flowNodeRef>depot</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_prefet" name="prefet" />
    </bpmn:laneSet>
    <bpmn:startEvent id="depot" name="Demande déposée">
      <bpmn:outgoing>flux_fin</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="flux_fin" sourceRef="depot" targetRef="fin" />
    <bpmn:endEvent id="fin" name="Votre demande a été enregistrée.">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="outcome" value="enregistree" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flux_fin</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_{id}">
    <bpmndi:BPMNPlane id="BPMNPlane_{id}" bpmnElement="Collaboration_{id}">
      <bpmndi:BPMNShape id="Participant_{id}_di" bpmnElement="Participant_{id}" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="900" height="360" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_collectivite_di" bpmnElement="Lane_collectivite" isHorizontal="true">
        <dc:Bounds x="150" y="60" width="870" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_prefet_di" bpmnElement="Lane_prefet" isHorizontal="true">
        <dc:Bounds x="150" y="240" width="870" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="depot_di" bpmnElement="depot">
        <dc:Bounds x="212" y="132" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fin_di" bpmnElement="fin">
        <dc:Bounds x="892" y="132" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flux_fin_di" bpmnElement="flux_fin">
        <di:waypoint x="248" y="150" />
        <di:waypoint x="892" y="150" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

_DEPOT = {
    "type": "object",
    "required": ["nom_demandeur", "objet"],
    "properties": {
        "nom_demandeur": {"type": "string", "title": "Collectivité", "minLength": 1, "maxLength": 300},
        "objet": {"type": "string", "title": "Objet de la demande", "minLength": 1, "maxLength": 3000,
                  "x-widget": "textarea"},
    },
}  # fmt: skip


def starter_files(process_id: str, name: str) -> dict[str, str]:
    """The files of a new procedure, keyed as a deployed version keeps them."""
    letters = "".join(c for c in process_id.upper() if c.isalpha())
    prefix = (letters[:3] or "DOS").ljust(3, "X")
    bpmn = _BPMN.format(id=process_id, name=quoteattr(name), prefix=prefix)
    return {
        f"{process_id}.bpmn": bpmn,
        f"forms/{process_id}/depot.json": json.dumps(
            {**_DEPOT, "title": name}, ensure_ascii=False, indent=2
        )
        + "\n",
    }
