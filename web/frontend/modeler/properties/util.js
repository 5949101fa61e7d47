// Reading and writing the spiffworkflow:* extension elements through undoable commands.
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const MULTI = 'properties-panel.multi-command-executor';

export function extensionValues(bo) {
  return (bo && bo.extensionElements && bo.extensionElements.values) || [];
}

export function findExtension(bo, type) {
  return extensionValues(bo).find((value) => is(value, type));
}

/** Commands that add `child` to the extension elements of `bo`, creating them when needed. */
export function addExtensionCommands(element, bo, child, bpmnFactory) {
  let ext = bo.extensionElements;
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [child] });
    ext.$parent = bo;
    child.$parent = ext;
    return [cmd(element, bo, { extensionElements: ext })];
  }
  child.$parent = ext;
  return [cmd(element, ext, { values: [...(ext.values || []), child] })];
}

export function removeExtensionCommands(element, bo, child) {
  const ext = bo.extensionElements;
  if (!ext) return [];
  return [cmd(element, ext, { values: (ext.values || []).filter((value) => value !== child) })];
}

export function cmd(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

export function execute(commandStack, commands) {
  if (commands.length) commandStack.execute(MULTI, commands);
}

// ---- spiffworkflow:properties / spiffworkflow:property name="…" value="…" ----

export function getSpiffProperty(bo, name) {
  const container = findExtension(bo, 'spiffworkflow:Properties');
  const property = container && (container.properties || []).find((p) => p.name === name);
  return property ? property.value : undefined;
}

export function setSpiffProperty(injector, element, bo, name, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const empty = value === undefined || value === null || value === '';
  const container = findExtension(bo, 'spiffworkflow:Properties');
  const property = container && (container.properties || []).find((p) => p.name === name);
  const commands = [];
  if (property) {
    if (empty) {
      const rest = container.properties.filter((p) => p !== property);
      if (rest.length) commands.push(cmd(element, container, { properties: rest }));
      else commands.push(...removeExtensionCommands(element, bo, container));
    } else {
      commands.push(cmd(element, property, { value }));
    }
  } else if (!empty) {
    const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
    if (container) {
      created.$parent = container;
      commands.push(cmd(element, container, { properties: [...(container.properties || []), created] }));
    } else {
      const newContainer = bpmnFactory.create('spiffworkflow:Properties', { properties: [created] });
      created.$parent = newContainer;
      commands.push(...addExtensionCommands(element, bo, newContainer, bpmnFactory));
    }
  }
  execute(commandStack, commands);
}

// ---- body-text extensions: formJsonSchemaFilename, calledDecisionId ----

export function getBodyExtension(bo, type) {
  const found = findExtension(bo, type);
  return found ? found.value : undefined;
}

export function setBodyExtension(injector, element, bo, type, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const found = findExtension(bo, type);
  let commands;
  if (!value) commands = found ? removeExtensionCommands(element, bo, found) : [];
  else if (found) commands = [cmd(element, found, { value })];
  else commands = addExtensionCommands(element, bo, bpmnFactory.create(type, { value }), bpmnFactory);
  execute(injector.get('commandStack'), commands);
}

// ---- process of a root / participant ----

export function getProcess(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:Process')) return bo;
  if (is(bo, 'bpmn:Participant')) return bo.processRef;
  if (is(bo, 'bpmn:Collaboration')) {
    const participant = (bo.participants || []).find((p) => p.processRef);
    return participant && participant.processRef;
  }
  return undefined;
}

/** The innermost lane shape whose flowNodeRef holds the element's business object. */
export function findLaneShape(elementRegistry, element) {
  const bo = getBusinessObject(element);
  const lanes = elementRegistry.filter(
    (shape) => is(shape, 'bpmn:Lane') && (shape.businessObject.flowNodeRef || []).includes(bo),
  );
  const innermost = lanes.filter(
    (lane) => !lanes.some((other) => other !== lane && other.parent === lane),
  );
  return innermost[0] || lanes[0];
}

export function getTimerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.eventDefinitions || []).find((def) => is(def, 'bpmn:TimerEventDefinition'));
}

export const TIMER_KINDS = ['timeDate', 'timeDuration', 'timeCycle'];

export function getTimerKind(timer) {
  return TIMER_KINDS.find((kind) => timer[kind]) || '';
}
