// Properties of the ANCT engine (spiffworkflow:* extensions, conditions, scripts, timers), in French.
// Written against bpmn-js-properties-panel's provider API: registerProvider + groups of entries.
import { h } from '@bpmn-io/properties-panel/preact';
import {
  CheckboxEntry,
  Group,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import {
  TIMER_KINDS,
  cmd,
  execute,
  findExtension,
  findLaneShape,
  getBodyExtension,
  getProcess,
  getSpiffProperty,
  getTimerDefinition,
  getTimerKind,
  setBodyExtension,
  setSpiffProperty,
} from './util.js';

const LOW_PRIORITY = 500;

// ---------------------------------------------------------------- generic entries

/** A text entry bound to a spiffworkflow:property of `target(element)`. */
function PropertyEntry(props) {
  const { element, id, name, label, description, target, multiline } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = target(element);
  const common = {
    element,
    id,
    label,
    description,
    debounce,
    getValue: () => getSpiffProperty(bo, name) || '',
    setValue: (value) => setSpiffProperty(injector, element, bo, name, (value || '').trim()),
  };
  return multiline ? h(TextAreaEntry, { ...common, rows: 2, autoResize: true, monospace: true }) : h(TextFieldEntry, common);
}

function propertyEntry(id, name, label, description, target = getBusinessObject) {
  return { id, name, label, description, target, component: PropertyEntry, isEdited: isTextFieldEntryEdited };
}

function withCurrent(options, current, missingLabel) {
  if (current && !options.some((option) => option.value === current)) {
    return [...options, { value: current, label: `${current} (${missingLabel})` }];
  }
  return options;
}

function formOptions(context, current) {
  const options = [{ value: '', label: '— aucun —' }, ...context.forms().map((path) => ({ value: path, label: path }))];
  return withCurrent(options, current, 'fichier introuvable dans le brouillon');
}

// ---------------------------------------------------------------- process

function StartFormEntry(props) {
  const { element, id } = props;
  const injector = useService('injector');
  const context = useService('anctContext');
  const process = getProcess(element);
  return h(SelectEntry, {
    element,
    id,
    label: 'Formulaire de dépôt (startForm)',
    description: 'Chemin sous forms/, validé au démarrage du dossier.',
    getValue: () => getSpiffProperty(process, 'startForm') || '',
    setValue: (value) => setSpiffProperty(injector, element, process, 'startForm', value),
    getOptions: () => formOptions(context, getSpiffProperty(process, 'startForm')),
  });
}

function processGroup(element) {
  if (!getProcess(element)) return null;
  return {
    id: 'anct-process',
    label: 'Procédure',
    component: Group,
    shouldOpen: true,
    entries: [
      propertyEntry(
        'anct-referencePrefix',
        'referencePrefix',
        'Préfixe des références (referencePrefix)',
        'Par exemple ING → ING-23-2026-00042.',
        getProcess,
      ),
      { id: 'anct-startForm', component: StartFormEntry, isEdited: isSelectEntryEdited },
    ],
  };
}

// ---------------------------------------------------------------- human tasks

function LaneRoleEntry(props) {
  const { element, id } = props;
  const context = useService('anctContext');
  const elementRegistry = useService('elementRegistry');
  const commandStack = useService('commandStack');
  const lane = findLaneShape(elementRegistry, element);
  const current = lane ? lane.businessObject.name || '' : '';
  return h(SelectEntry, {
    element,
    id,
    label: 'Rôle (nom du couloir)',
    description: lane
      ? 'Renommer le couloir change le rôle de toutes les tâches qu’il contient.'
      : 'La tâche n’est dans aucun couloir : placez-la dans le couloir d’un rôle.',
    disabled: !lane,
    getValue: () => current,
    setValue: (value) => {
      if (!lane || !value) return;
      execute(commandStack, [
        { cmd: 'element.updateProperties', context: { element: lane, properties: { name: value } } },
        // so that the panel of the selected task refreshes too
        cmd(element, lane.businessObject, { name: value }),
      ]);
    },
    getOptions: () => {
      const options = context.roles.map((role) => ({ value: role.code, label: `${role.label} (${role.code})` }));
      const base = lane ? options : [{ value: '', label: '— aucun couloir —' }, ...options];
      return withCurrent(base, current, 'rôle inconnu');
    },
  });
}

function FormEntry(props) {
  const { element, id } = props;
  const injector = useService('injector');
  const context = useService('anctContext');
  const bo = getBusinessObject(element);
  const type = 'spiffworkflow:FormJsonSchemaFilename';
  return h(SelectEntry, {
    element,
    id,
    label: 'Formulaire de la tâche',
    description: 'Chemin sous forms/ (spiffworkflow:formJsonSchemaFilename).',
    getValue: () => getBodyExtension(bo, type) || '',
    setValue: (value) => setBodyExtension(injector, element, bo, type, value),
    getOptions: () => formOptions(context, getBodyExtension(bo, type)),
  });
}

function validateDue(value) {
  const text = (value || '').trim();
  if (text.startsWith('P') && !/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/.test(text)) {
    return 'Durée ISO 8601 attendue, par exemple P21D ou P1M.';
  }
  return null;
}

function DueEntry(props) {
  const { element, id } = props;
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element,
    id,
    debounce,
    label: 'Échéance (due)',
    description: 'Durée ISO depuis la création (P21D) ou expression donnant une date (date_comite).',
    validate: validateDue,
    getValue: () => getSpiffProperty(bo, 'due') || '',
    setValue: (value) => setSpiffProperty(injector, element, bo, 'due', (value || '').trim()),
  });
}

function humanTaskGroup(element) {
  if (!isAny(element, ['bpmn:UserTask', 'bpmn:ManualTask'])) return null;
  const entries = [{ id: 'anct-lane-role', component: LaneRoleEntry, isEdited: isSelectEntryEdited }];
  if (is(element, 'bpmn:UserTask')) entries.push({ id: 'anct-form', component: FormEntry, isEdited: isSelectEntryEdited });
  entries.push(
    { id: 'anct-due', component: DueEntry, isEdited: isTextFieldEntryEdited },
    propertyEntry('anct-assignee', 'assignee', 'Personne assignée (assignee)', 'Expression donnant l’identifiant de la personne (expert_login).'),
    propertyEntry('anct-siren', 'siren', 'Organisation (siren)', 'Expression, si elle diffère de celle du dossier.'),
    propertyEntry('anct-territoire', 'territoire', 'Département (territoire)', 'Expression, s’il diffère de celui du dossier.'),
    propertyEntry('anct-pour', 'pour', 'Pour qui (pour)', 'Expression : « … — pour la commune de Guéret » (nom_demandeur, collectivite["nom"]).'),
  );
  return { id: 'anct-human-task', label: 'Tâche humaine', component: Group, shouldOpen: true, entries };
}

// ---------------------------------------------------------------- timers

const TIMER_LABELS = { timeDate: 'Date', timeDuration: 'Durée', timeCycle: 'Cycle' };

function TimerKindEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const timer = getTimerDefinition(element);
  return h(SelectEntry, {
    element,
    id,
    label: 'Type de minuterie',
    getValue: () => getTimerKind(timer),
    setValue: (kind) => {
      const previous = getTimerKind(timer);
      if (kind === previous) return;
      const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      if (kind) {
        const body = previous ? timer[previous].body : '';
        const expression = bpmnFactory.create('bpmn:FormalExpression', { body });
        expression.$parent = timer;
        properties[kind] = expression;
      }
      execute(commandStack, [cmd(element, timer, properties)]);
    },
    getOptions: () => [
      ...(getTimerKind(timer) ? [] : [{ value: '', label: '— à choisir —' }]),
      ...TIMER_KINDS.map((kind) => ({ value: kind, label: TIMER_LABELS[kind] })),
    ],
  });
}

function TimerExpressionEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const timer = getTimerDefinition(element);
  const kind = getTimerKind(timer);
  const descriptions = {
    timeDate: 'Expression Python donnant une date : en_date(date_fin_contrat), campagne["cloture"], maintenant() + duree("P15D").',
    timeDuration: 'Expression Python ; une durée s’écrit entre guillemets : "P15D".',
    timeCycle: 'Expression Python ; un cycle s’écrit entre guillemets : "R4/P3M".',
  };
  return h(TextAreaEntry, {
    element,
    id,
    debounce,
    rows: 1,
    autoResize: true,
    monospace: true,
    disabled: !kind,
    label: 'Expression de la minuterie (Python)',
    description: kind ? descriptions[kind] : 'Choisissez d’abord le type de minuterie.',
    getValue: () => (kind && timer[kind] ? timer[kind].body || '' : ''),
    setValue: (value) => {
      if (!kind) return;
      const current = timer[kind];
      if (current) {
        execute(commandStack, [cmd(element, current, { body: value })]);
      } else {
        const expression = bpmnFactory.create('bpmn:FormalExpression', { body: value });
        expression.$parent = timer;
        execute(commandStack, [cmd(element, timer, { [kind]: expression })]);
      }
    },
  });
}

function InterruptingEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const bo = getBusinessObject(element);
  return h(CheckboxEntry, {
    element,
    id,
    label: 'Interrompt la tâche (clôture « sans suite »)',
    description: 'Décochée : rappel non interruptif, la tâche reste ouverte.',
    getValue: () => bo.cancelActivity !== false,
    setValue: (value) => modeling.updateProperties(element, { cancelActivity: !!value }),
  });
}

function timerGroup(element) {
  if (!isAny(element, ['bpmn:BoundaryEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:StartEvent'])) return null;
  if (!getTimerDefinition(element)) return null;
  const entries = [
    { id: 'anct-timer-kind', component: TimerKindEntry, isEdited: isSelectEntryEdited },
    { id: 'anct-timer-expression', component: TimerExpressionEntry, isEdited: isTextAreaEntryEdited },
  ];
  if (is(element, 'bpmn:BoundaryEvent')) {
    entries.push(
      { id: 'anct-cancel-activity', component: InterruptingEntry, isEdited: isCheckboxEntryEdited },
      propertyEntry('anct-escalade', 'escalade', 'Rôles prévenus (escalade)', 'Codes de rôles séparés par des virgules (equipe_nationale), en plus des titulaires de la tâche.'),
    );
  }
  return { id: 'anct-timer', label: 'Minuterie', component: Group, shouldOpen: true, entries };
}

// ---------------------------------------------------------------- end events

function endEventGroup(element) {
  if (!is(element, 'bpmn:EndEvent')) return null;
  return {
    id: 'anct-end',
    label: 'Issue du dossier',
    component: Group,
    shouldOpen: true,
    entries: [
      propertyEntry('anct-outcome', 'outcome', 'Issue (outcome)', 'Enregistrée sur le dossier (orientee_localement, laureat…). Le nom de l’événement est le texte de la notification.'),
      propertyEntry('anct-motif', 'motif', 'Motif (motif)', 'Expression donnant pourquoi le dossier se clôt ainsi (motif, motif_comite, ou un texte entre guillemets).'),
    ],
  };
}

// ---------------------------------------------------------------- service tasks

const OPERATOR = 'spiffworkflow:ServiceTaskOperator';

function OperatorEntry(props) {
  const { element, id } = props;
  const context = useService('anctContext');
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const bo = getBusinessObject(element);
  const operator = findExtension(bo, OPERATOR);
  return h(SelectEntry, {
    element,
    id,
    label: 'Opérateur du moteur',
    getValue: () => (operator && operator.id) || '',
    setValue: (value) => {
      const commands = [];
      if (!value) {
        if (operator) commands.push(cmd(element, bo.extensionElements, { values: bo.extensionElements.values.filter((v) => v !== operator) }));
      } else if (!operator) {
        const created = bpmnFactory.create(OPERATOR, { id: value });
        let ext = bo.extensionElements;
        if (!ext) {
          ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [created] });
          ext.$parent = bo;
          created.$parent = ext;
          commands.push(cmd(element, bo, { extensionElements: ext }));
        } else {
          created.$parent = ext;
          commands.push(cmd(element, ext, { values: [...(ext.values || []), created] }));
        }
      } else {
        // keep the values of the parameters the new operator also takes
        const names = context.operators[value] || [];
        const kept = ((operator.parameterList && operator.parameterList.parameters) || []).filter((p) => names.includes(p.id));
        commands.push(cmd(element, operator, { id: value }));
        if (operator.parameterList) commands.push(cmd(element, operator.parameterList, { parameters: kept }));
      }
      execute(commandStack, commands);
    },
    getOptions: () => {
      const options = [{ value: '', label: '— aucun —' }, ...Object.keys(context.operators).map((key) => ({ value: key, label: key }))];
      return withCurrent(options, operator && operator.id, 'opérateur inconnu');
    },
  });
}

function ParameterEntry(props) {
  const { element, id, parameter, known } = props;
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const operator = findExtension(bo, OPERATOR);
  const list = () => (operator.parameterList && operator.parameterList.parameters) || [];
  const find = () => list().find((p) => p.id === parameter);
  return h(TextFieldEntry, {
    element,
    id,
    debounce,
    label: `Paramètre « ${parameter} »`,
    description: known ? 'Expression évaluée sur les données du dossier.' : 'Paramètre inconnu de cet opérateur : videz-le pour le retirer.',
    getValue: () => (find() && find().value) || '',
    setValue: (raw) => {
      const value = (raw || '').trim();
      const current = find();
      const commands = [];
      if (current) {
        if (value) commands.push(cmd(element, current, { value }));
        else commands.push(cmd(element, operator.parameterList, { parameters: list().filter((p) => p !== current) }));
      } else if (value) {
        const created = bpmnFactory.create('spiffworkflow:Parameter', { id: parameter, type: 'str', value });
        if (operator.parameterList) {
          created.$parent = operator.parameterList;
          commands.push(cmd(element, operator.parameterList, { parameters: [...list(), created] }));
        } else {
          const container = bpmnFactory.create('spiffworkflow:Parameters', { parameters: [created] });
          created.$parent = container;
          container.$parent = operator;
          commands.push(cmd(element, operator, { parameterList: container }));
        }
      }
      execute(commandStack, commands);
    },
  });
}

function ResultVariableEntry(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const operator = findExtension(getBusinessObject(element), OPERATOR);
  return h(TextFieldEntry, {
    element,
    id,
    debounce,
    label: 'Variable du résultat (resultVariable)',
    description: 'Nom de la donnée du dossier qui reçoit ce que rend l’opérateur.',
    disabled: !operator,
    getValue: () => (operator && operator.resultVariable) || '',
    setValue: (value) => operator && execute(commandStack, [cmd(element, operator, { resultVariable: (value || '').trim() || undefined })]),
  });
}

function serviceTaskGroup(element, context) {
  if (!is(element, 'bpmn:ServiceTask')) return null;
  const operator = findExtension(getBusinessObject(element), OPERATOR);
  const entries = [{ id: 'anct-operator', component: OperatorEntry, isEdited: isSelectEntryEdited }];
  if (operator) {
    const known = context.operators[operator.id] || [];
    const present = ((operator.parameterList && operator.parameterList.parameters) || []).map((p) => p.id);
    const names = [...known, ...present.filter((name) => !known.includes(name))];
    names.forEach((name) => entries.push({
      id: `anct-parameter-${name}`,
      component: ParameterEntry,
      parameter: name,
      known: known.includes(name),
      isEdited: isTextFieldEntryEdited,
    }));
    entries.push({ id: 'anct-result-variable', component: ResultVariableEntry, isEdited: isTextFieldEntryEdited });
  }
  return { id: 'anct-service', label: 'Tâche de service', component: Group, shouldOpen: true, entries };
}

// ---------------------------------------------------------------- conditions, scripts, decisions

function ConditionEntry(props) {
  const { element, id } = props;
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const isDefault = bo.sourceRef && bo.sourceRef.default === bo;
  return h(TextAreaEntry, {
    element,
    id,
    debounce,
    rows: 1,
    autoResize: true,
    monospace: true,
    label: 'Condition (Python)',
    description: isDefault
      ? 'Flux par défaut de la passerelle : pris quand aucune autre condition ne vaut.'
      : 'Par exemple decision_prefet == "complements".',
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) => {
      const text = value || '';
      if (!text.trim()) {
        execute(commandStack, [cmd(element, bo, { conditionExpression: undefined })]);
      } else if (bo.conditionExpression) {
        execute(commandStack, [cmd(element, bo.conditionExpression, { body: text })]);
      } else {
        const expression = bpmnFactory.create('bpmn:FormalExpression', { body: text });
        expression.$parent = bo;
        execute(commandStack, [cmd(element, bo, { conditionExpression: expression })]);
      }
    },
  });
}

function conditionGroup(element) {
  if (!is(element, 'bpmn:SequenceFlow')) return null;
  const source = getBusinessObject(element).sourceRef;
  if (!source || !is(source, 'bpmn:Gateway')) return null;
  return {
    id: 'anct-condition',
    label: 'Condition',
    component: Group,
    shouldOpen: true,
    entries: [{ id: 'anct-condition-expression', component: ConditionEntry, isEdited: isTextAreaEntryEdited }],
  };
}

function ScriptEntry(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element,
    id,
    debounce,
    rows: 8,
    autoResize: true,
    monospace: true,
    label: 'Script (Python restreint)',
    description: 'Pas d’import ni de nom commençant par _ ; une règle métier s’écrit avec refuser("message").',
    getValue: () => bo.script || '',
    setValue: (value) => execute(commandStack, [cmd(element, bo, { script: value || undefined })]),
  });
}

function scriptGroup(element) {
  if (!is(element, 'bpmn:ScriptTask')) return null;
  return {
    id: 'anct-script',
    label: 'Script',
    component: Group,
    shouldOpen: true,
    entries: [{ id: 'anct-script-body', component: ScriptEntry, isEdited: isTextAreaEntryEdited }],
  };
}

function DecisionEntry(props) {
  const { element, id } = props;
  const injector = useService('injector');
  const context = useService('anctContext');
  const bo = getBusinessObject(element);
  const type = 'spiffworkflow:CalledDecisionId';
  return h(SelectEntry, {
    element,
    id,
    label: 'Table de décision (calledDecisionId)',
    getValue: () => getBodyExtension(bo, type) || '',
    setValue: (value) => setBodyExtension(injector, element, bo, type, value),
    getOptions: () => {
      const options = [
        { value: '', label: '— aucune —' },
        ...context.decisions().map((d) => ({ value: d.id, label: `${d.name || d.id} (${d.id}, ${d.file})` })),
      ];
      return withCurrent(options, getBodyExtension(bo, type), 'décision introuvable dans le brouillon');
    },
  });
}

function decisionGroup(element) {
  if (!is(element, 'bpmn:BusinessRuleTask')) return null;
  return {
    id: 'anct-decision',
    label: 'Règle métier',
    component: Group,
    shouldOpen: true,
    entries: [{ id: 'anct-called-decision', component: DecisionEntry, isEdited: isSelectEntryEdited }],
  };
}

// ---------------------------------------------------------------- provider

export default class SpiffPropertiesProvider {
  constructor(propertiesPanel, anctContext) {
    this._context = anctContext;
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const ours = [
        processGroup(element),
        humanTaskGroup(element),
        timerGroup(element),
        endEventGroup(element),
        serviceTaskGroup(element, this._context),
        conditionGroup(element),
        scriptGroup(element),
        decisionGroup(element),
      ].filter(Boolean);
      // the standard timer group edits the same expressions: ours replaces it
      const kept = groups.filter((group) => group.id !== 'timer');
      const general = kept.findIndex((group) => group.id === 'general');
      kept.splice(general + 1, 0, ...ours);
      return kept;
    };
  }
}

SpiffPropertiesProvider.$inject = ['propertiesPanel', 'anctContext'];
