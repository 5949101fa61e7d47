// The BPMN/DMN/forms editor of a process draft, mounted on #modeler (see README.md in this folder).
import BpmnModeler from 'bpmn-js/lib/Modeler';
import DmnModeler from 'dmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import spiffworkflow from './spiffworkflow.json';
import SpiffPropertiesModule from './properties/index.js';
import { TranslateModule } from './translate-fr.js';
import './styles.css';

const FORMS = 'forms/';
const SEVERITY = { error: 'Erreur', warning: 'Avertissement' };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function kindOf(name) {
  if (name.startsWith(FORMS) && name.endsWith('.json')) return 'form';
  if (name.endsWith('.bpmn')) return 'bpmn';
  if (name.endsWith('.dmn')) return 'dmn';
  return 'other';
}

function parseJSONAttr(root, name, fallback) {
  const raw = root.dataset[name];
  if (!raw) return fallback;
  try {
    return JSON.parse(raw);
  } catch (error) {
    console.error(`data-${name} n’est pas du JSON`, error);
    return fallback;
  }
}

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

class DraftEditor {
  constructor(root) {
    this.root = root;
    this.urls = {
      draft: root.dataset.draftUrl,
      save: root.dataset.saveUrl,
      validate: root.dataset.validateUrl,
      preview: root.dataset.previewUrl,
    };
    this.csrf = root.dataset.csrf || '';
    this.roles = parseJSONAttr(root, 'roles', []);
    this.operators = parseJSONAttr(root, 'operators', {});
    this.files = new Map();
    this.problems = [];
    this.current = null;
    this.lockVersion = null;
    this.main = null;
    this.busy = false;
    this.context = {
      roles: this.roles,
      operators: this.operators,
      forms: () => [...this.files.keys()].filter((n) => kindOf(n) === 'form').map((n) => n.slice(FORMS.length)).sort(),
      decisions: () => this.decisions(),
    };
    this.buildLayout();
    window.addEventListener('beforeunload', (event) => {
      if (this.hasUnsavedChanges()) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }

  // ------------------------------------------------------------------ layout

  buildLayout() {
    this.root.classList.add('anct-modeler');
    this.root.replaceChildren();
    this.status = el('p', { class: 'anct-modeler__status fr-text--sm', role: 'status', 'aria-live': 'polite' });
    this.saveButton = el('button', { type: 'button', class: 'fr-btn', text: 'Enregistrer', onclick: () => this.save() });
    this.validateButton = el('button', {
      type: 'button',
      class: 'fr-btn fr-btn--secondary',
      text: 'Vérifier',
      onclick: () => this.validate(),
    });
    this.alert = el('div', { class: 'anct-modeler__alert', hidden: true });
    const toolbar = el(
      'div',
      { class: 'anct-modeler__toolbar', role: 'toolbar', 'aria-label': 'Actions sur le brouillon' },
      el('ul', { class: 'fr-btns-group fr-btns-group--inline fr-btns-group--sm' }, el('li', {}, this.saveButton), el('li', {}, this.validateButton)),
      this.status,
    );

    this.lists = {
      bpmn: el('ul', { class: 'anct-modeler__file-list' }),
      dmn: el('ul', { class: 'anct-modeler__file-list' }),
      form: el('ul', { class: 'anct-modeler__file-list' }),
    };
    this.newFileForm = el('form', { class: 'anct-modeler__new-file', hidden: true });
    const section = (title, list, button) => {
      const id = nextId('anct-files');
      return el('div', { class: 'anct-modeler__file-group' }, el('h2', { class: 'fr-h6 fr-mb-1w', id, text: title }), (list.setAttribute('aria-labelledby', id), list), button);
    };
    this.files_nav = el(
      'nav',
      { class: 'anct-modeler__files', 'aria-label': 'Fichiers du brouillon' },
      section('Procédure', this.lists.bpmn),
      section('Tables de décision', this.lists.dmn, el('button', {
        type: 'button',
        class: 'fr-btn fr-btn--secondary fr-btn--sm',
        text: 'Nouvelle table de décision',
        onclick: () => this.askNewFile('dmn'),
      })),
      section('Formulaires', this.lists.form, el('button', {
        type: 'button',
        class: 'fr-btn fr-btn--secondary fr-btn--sm',
        text: 'Nouveau formulaire',
        onclick: () => this.askNewFile('form'),
      })),
      this.newFileForm,
    );
    this.editors = el('div', { class: 'anct-modeler__editors' });
    this.problemList = el('ul', { class: 'anct-modeler__problem-list' });
    this.problemSummary = el('p', { class: 'fr-text--sm', text: 'Pas encore vérifié : « Vérifier » contrôle le brouillon comme au déploiement.' });
    const problemsTitle = nextId('anct-problems');
    this.problemsSection = el(
      'section',
      { class: 'anct-modeler__problems', 'aria-labelledby': problemsTitle },
      el('h2', { class: 'fr-h6 fr-mb-1w', id: problemsTitle, text: 'Problèmes' }),
      this.problemSummary,
      this.problemList,
    );
    this.root.append(
      toolbar,
      this.alert,
      el('div', { class: 'anct-modeler__layout' }, this.files_nav, this.editors),
      this.problemsSection,
    );
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  showAlert(type, title, message, actions = []) {
    this.alert.hidden = false;
    this.alert.className = `anct-modeler__alert fr-alert fr-alert--${type} fr-mb-2w`;
    this.alert.setAttribute('role', type === 'error' || type === 'warning' ? 'alert' : 'status');
    this.alert.replaceChildren(
      el('h3', { class: 'fr-alert__title', text: title }),
      message ? el('p', { text: message }) : null,
      actions.length ? el('ul', { class: 'fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-mt-1w' }, actions.map((a) => el('li', {}, a))) : null,
      el('button', { type: 'button', class: 'fr-btn--close fr-btn', title: 'Masquer le message', text: 'Masquer', onclick: () => this.hideAlert() }),
    );
  }

  hideAlert() {
    this.alert.hidden = true;
    this.alert.replaceChildren();
  }

  // ------------------------------------------------------------------ loading

  async load() {
    this.setStatus('Chargement du brouillon…');
    const response = await fetch(this.urls.draft, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      this.showAlert('error', 'Impossible de charger le brouillon', body.message || `Erreur ${response.status}.`);
      throw new Error(`draft: HTTP ${response.status}`);
    }
    const draft = await response.json();
    this.reset(draft);
    const first = draft.main && this.files.has(draft.main) ? draft.main : [...this.files.keys()].find((n) => kindOf(n) === 'bpmn');
    if (first) await this.open(first);
    this.setStatus('Brouillon chargé.');
  }

  reset(draft) {
    for (const file of this.files.values()) this.destroyEditor(file);
    this.files.clear();
    this.editors.replaceChildren();
    this.lockVersion = draft.lock_version;
    this.main = draft.main;
    this.current = null;
    for (const [name, text] of Object.entries(draft.files || {})) {
      this.files.set(name, { name, kind: kindOf(name), text, revision: 0, savedRevision: 0 });
    }
    this.problems = [];
    this.renderFileList();
    this.renderProblems();
  }

  destroyEditor(file) {
    if (file.editor && file.editor.destroy) file.editor.destroy();
    if (file.pane) file.pane.remove();
    file.editor = null;
    file.pane = null;
  }

  renderFileList() {
    for (const list of Object.values(this.lists)) list.replaceChildren();
    const names = [...this.files.keys()].sort((a, b) => (a === this.main ? -1 : b === this.main ? 1 : a.localeCompare(b)));
    for (const name of names) {
      const file = this.files.get(name);
      const list = this.lists[file.kind];
      if (!list) continue;
      const count = this.problems.filter((p) => p.file === name).length;
      const label = file.kind === 'form' ? name.slice(FORMS.length) : name;
      const button = el(
        'button',
        {
          type: 'button',
          class: 'anct-modeler__file',
          'data-file': name,
          'aria-current': this.current === name ? 'page' : false,
          onclick: () => this.open(name),
        },
        el('span', { class: 'anct-modeler__file-name', text: label }),
        this.isDirty(file) ? el('span', { class: 'anct-modeler__dirty', title: 'Modifié, non enregistré', text: ' •' }, el('span', { class: 'fr-sr-only', text: ' (modifié, non enregistré)' })) : null,
        count ? el('span', { class: 'fr-badge fr-badge--sm fr-badge--warning fr-ml-1v', text: `${count}` }, el('span', { class: 'fr-sr-only', text: count > 1 ? ' problèmes' : ' problème' })) : null,
      );
      list.append(el('li', {}, button));
    }
  }

  // ------------------------------------------------------------------ tabs / editors

  async open(name) {
    const file = this.files.get(name);
    if (!file) return null;
    if (this.current && this.current !== name) {
      const previous = this.files.get(this.current);
      if (previous && previous.pane) previous.pane.hidden = true;
    }
    this.current = name;
    if (!file.pane) {
      file.pane = el('div', { class: `anct-modeler__pane anct-modeler__pane--${file.kind}`, 'data-file': name });
      this.editors.append(file.pane);
      file.ready = this.createEditor(file);
    }
    file.pane.hidden = false;
    this.renderFileList();
    await file.ready;
    if (file.kind === 'bpmn' && file.editor) file.editor.get('canvas').resized();
    return file;
  }

  async createEditor(file) {
    if (file.kind === 'bpmn') return this.createBpmn(file);
    if (file.kind === 'dmn') return this.createDmn(file);
    if (file.kind === 'form') return this.createForm(file);
    file.pane.append(el('p', { text: `Ce fichier (${file.name}) ne se modifie pas ici.` }));
    return null;
  }

  async createBpmn(file) {
    const canvas = el('div', { class: 'anct-bpmn__canvas', role: 'application', 'aria-label': `Diagramme ${file.name}`, tabindex: '0' });
    const panel = el('div', { class: 'anct-bpmn__panel', role: 'region', 'aria-label': 'Propriétés de l’élément sélectionné' });
    file.pane.append(el('div', { class: 'anct-bpmn' }, canvas, panel));
    const modeler = new BpmnModeler({
      container: canvas,
      propertiesPanel: { parent: panel },
      additionalModules: [
        TranslateModule,
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        SpiffPropertiesModule,
        { anctContext: ['value', this.context] },
      ],
      moddleExtensions: { spiffworkflow },
    });
    file.editor = modeler;
    try {
      const { warnings } = await modeler.importXML(file.text);
      if (warnings.length) console.warn(`${file.name} : ${warnings.length} avertissement(s) à l’import`, warnings);
      modeler.get('canvas').zoom('fit-viewport');
    } catch (error) {
      file.pane.prepend(el('div', { class: 'fr-alert fr-alert--error fr-alert--sm', role: 'alert' }, el('p', { text: `Le fichier ${file.name} ne s’ouvre pas : ${error.message}` })));
      file.broken = true;
      return modeler;
    }
    modeler.on('commandStack.changed', (event) => {
      if (event.trigger !== 'clear') this.markChanged(file);
    });
    this.applyOverlays(file);
    return modeler;
  }

  async createDmn(file) {
    const views = el('div', { class: 'anct-dmn__views', role: 'group', 'aria-label': 'Vues de la table de décision' });
    const container = el('div', { class: 'anct-dmn__canvas' });
    file.pane.append(el('div', { class: 'anct-dmn' }, views, container));
    const modeler = new DmnModeler({
      container,
      drd: { additionalModules: [TranslateModule] },
    });
    file.editor = modeler;
    const watched = new WeakSet();
    const watch = () => {
      const viewer = modeler.getActiveViewer();
      if (!viewer) return;
      const bus = viewer.get('eventBus');
      if (watched.has(bus)) return;
      watched.add(bus);
      bus.on('commandStack.changed', (event) => {
        if (event.trigger !== 'clear') this.markChanged(file);
      });
    };
    const renderViews = () => {
      const active = modeler.getView();
      views.replaceChildren(
        ...modeler.getViews().map((view) => el('button', {
          type: 'button',
          class: `fr-btn fr-btn--sm ${view === active ? '' : 'fr-btn--tertiary'}`,
          'aria-pressed': view === active ? 'true' : 'false',
          text: view.type === 'drd' ? 'Diagramme des décisions' : `${view.element.name || view.element.id} (table)`,
          onclick: () => modeler.open(view),
        })),
      );
    };
    modeler.on('views.changed', () => {
      watch();
      renderViews();
    });
    try {
      await modeler.importXML(file.text, { open: false });
      const table = modeler.getViews().find((view) => view.type === 'decisionTable');
      await modeler.open(table || modeler.getViews()[0]);
      watch();
    } catch (error) {
      file.pane.prepend(el('div', { class: 'fr-alert fr-alert--error fr-alert--sm', role: 'alert' }, el('p', { text: `Le fichier ${file.name} ne s’ouvre pas : ${error.message}` })));
      file.broken = true;
    }
    return modeler;
  }

  createForm(file) {
    const id = nextId('anct-form');
    const textarea = el('textarea', {
      id,
      class: 'fr-input anct-form__source',
      spellcheck: 'false',
      rows: '28',
      'aria-describedby': `${id}-help ${id}-json`,
    });
    textarea.value = file.text;
    const jsonError = el('p', { id: `${id}-json`, class: 'fr-error-text anct-form__json-error', 'aria-live': 'polite' });
    const previewProblems = el('ul', { class: 'anct-form__problems', 'aria-live': 'polite' });
    const preview = el('div', { class: 'anct-form__preview' });
    preview.addEventListener('submit', (event) => event.preventDefault());
    const previewTitle = nextId('anct-preview');
    file.pane.append(el(
      'div',
      { class: 'anct-form' },
      el(
        'div',
        { class: 'anct-form__editor fr-input-group' },
        el('label', { class: 'fr-label', for: id, text: `Schéma JSON du formulaire ${file.name.slice(FORMS.length)}` }, el('span', { class: 'fr-hint-text', id: `${id}-help`, text: 'JSON Schema avec les mots-clés x- (voir forms/README.md) ; l’aperçu se met à jour pendant la saisie.' })),
        textarea,
        jsonError,
      ),
      el(
        'section',
        { class: 'anct-form__preview-column', 'aria-labelledby': previewTitle },
        el('h3', { class: 'fr-h6', id: previewTitle, text: 'Aperçu' }),
        previewProblems,
        preview,
      ),
    ));
    let timer = null;
    let sequence = 0;
    const refresh = async () => {
      const text = textarea.value;
      try {
        JSON.parse(text);
        jsonError.textContent = '';
        textarea.removeAttribute('aria-invalid');
      } catch (error) {
        jsonError.textContent = `JSON invalide : ${error.message}`;
        textarea.setAttribute('aria-invalid', 'true');
        return;
      }
      const mine = ++sequence;
      try {
        const body = await this.post(this.urls.preview, { form: text });
        if (mine !== sequence) return;
        preview.innerHTML = body.html || '';
        previewProblems.replaceChildren(...(body.problems || []).map((p) => el('li', { class: 'fr-error-text', text: p })));
      } catch (error) {
        if (mine !== sequence) return;
        previewProblems.replaceChildren(el('li', { class: 'fr-error-text', text: `Aperçu indisponible : ${error.message}` }));
      }
    };
    textarea.addEventListener('input', () => {
      file.text = textarea.value;
      this.markChanged(file);
      clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    });
    file.editor = { textarea, refresh, destroy: () => clearTimeout(timer) };
    refresh();
    return file.editor;
  }

  // ------------------------------------------------------------------ changes

  markChanged(file) {
    const wasDirty = this.isDirty(file);
    file.revision += 1;
    if (!wasDirty) this.renderFileList();
  }

  isDirty(file) {
    return file.revision !== file.savedRevision;
  }

  hasUnsavedChanges() {
    return [...this.files.values()].some((file) => this.isDirty(file));
  }

  /** The text of one file: exported from its editor when it was edited there. */
  async exportFile(name, { force = false } = {}) {
    const file = this.files.get(name);
    if (!file) throw new Error(`fichier inconnu : ${name}`);
    if (file.ready) await file.ready;
    const edited = file.revision !== (file.exportedRevision || 0);
    if (file.editor && !file.broken && (file.kind === 'bpmn' || file.kind === 'dmn') && (edited || force)) {
      const { xml: exported } = await file.editor.saveXML({ format: true });
      const xml = file.kind === 'bpmn' ? inSchemaOrder(exported) : exported;
      if (!force || edited) {
        file.text = xml;
        file.exportedRevision = file.revision;
      }
      return xml;
    }
    return file.text;
  }

  async collect() {
    const files = {};
    const revisions = {};
    for (const name of this.files.keys()) {
      revisions[name] = this.files.get(name).revision;
      files[name] = await this.exportFile(name);
    }
    return { files, revisions };
  }

  decisions() {
    const decisions = [];
    for (const file of this.files.values()) {
      if (file.kind !== 'dmn') continue;
      if (file.editor && !file.broken && file.editor.getDefinitions()) {
        for (const element of file.editor.getDefinitions().drgElement || []) {
          if (element.$type === 'dmn:Decision') decisions.push({ id: element.id, name: element.name, file: file.name });
        }
        continue;
      }
      if (file.parsedText !== file.text) {
        const doc = new DOMParser().parseFromString(file.text, 'application/xml');
        file.parsedDecisions = [...doc.getElementsByTagNameNS('*', 'decision')].map((d) => ({
          id: d.getAttribute('id'),
          name: d.getAttribute('name'),
          file: file.name,
        }));
        file.parsedText = file.text;
      }
      decisions.push(...file.parsedDecisions);
    }
    return decisions;
  }

  // ------------------------------------------------------------------ new files

  askNewFile(kind) {
    const procedure = (this.main || 'procedure.bpmn').replace(/\.bpmn$/, '');
    const id = nextId('anct-new');
    const input = el('input', {
      class: 'fr-input',
      id,
      name: 'chemin',
      required: true,
      value: kind === 'form' ? `${procedure}/nouveau_formulaire.json` : 'nouvelle_decision.dmn',
      'aria-describedby': `${id}-error`,
    });
    const error = el('p', { class: 'fr-error-text', id: `${id}-error`, 'aria-live': 'polite' });
    this.newFileForm.replaceChildren(
      el('div', { class: 'fr-input-group' },
        el('label', { class: 'fr-label', for: id, text: kind === 'form' ? 'Chemin du formulaire (sous forms/)' : 'Nom du fichier de la table de décision' },
          el('span', { class: 'fr-hint-text', text: kind === 'form' ? 'Par exemple demande/avis.json' : 'Par exemple recevabilite.dmn' })),
        input, error),
      el('ul', { class: 'fr-btns-group fr-btns-group--inline fr-btns-group--sm' },
        el('li', {}, el('button', { type: 'submit', class: 'fr-btn', text: 'Ajouter' })),
        el('li', {}, el('button', { type: 'button', class: 'fr-btn fr-btn--tertiary', text: 'Annuler', onclick: () => { this.newFileForm.hidden = true; } }))),
    );
    this.newFileForm.onsubmit = (event) => {
      event.preventDefault();
      const problem = this.addFile(kind, input.value.trim());
      if (problem) {
        error.textContent = problem;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      } else {
        this.newFileForm.hidden = true;
      }
    };
    this.newFileForm.hidden = false;
    input.focus();
    input.select();
  }

  /** Adds a new form or DMN file; returns a French problem, or null. */
  addFile(kind, path) {
    const extension = kind === 'form' ? '.json' : '.dmn';
    if (!path.endsWith(extension)) return `Le nom doit finir par ${extension}.`;
    if (!/^[a-z0-9_][a-z0-9_\-/.]*$/i.test(path) || path.split('/').some((part) => !part || part === '.' || part === '..')) {
      return 'Lettres, chiffres, _ et - seulement, dossiers séparés par /.';
    }
    if (kind === 'dmn' && path.includes('/')) return 'Une table de décision se place à côté du BPMN, sans dossier.';
    const name = kind === 'form' ? FORMS + path : path;
    if (this.files.has(name)) return 'Ce fichier existe déjà.';
    const text = kind === 'form' ? newForm() : newDmn(path.replace(/\.dmn$/, ''), (this.main || '').replace(/\.bpmn$/, ''), this.decisions());
    const file = { name, kind, text, revision: 1, savedRevision: 0 };
    this.files.set(name, file);
    this.open(name);
    return null;
  }

  // ------------------------------------------------------------------ server

  async post(url, body, method = 'POST') {
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': this.csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.message || `Erreur ${response.status}`);
      error.status = response.status;
      error.body = data;
      throw error;
    }
    return data;
  }

  setBusy(busy) {
    this.busy = busy;
    this.saveButton.disabled = busy;
    this.validateButton.disabled = busy;
    this.root.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  async save() {
    if (this.busy) return { ok: false, status: 'busy' };
    this.setBusy(true);
    this.setStatus('Enregistrement…');
    try {
      const { files, revisions } = await this.collect();
      let body;
      try {
        body = await this.post(this.urls.save, { files, lock_version: this.lockVersion }, 'PUT');
      } catch (error) {
        return this.saveFailed(error);
      }
      this.lockVersion = body.lock_version;
      for (const [name, revision] of Object.entries(revisions)) {
        const file = this.files.get(name);
        if (file) file.savedRevision = revision;
      }
      this.hideAlert();
      this.renderFileList();
      this.setStatus('Brouillon enregistré.');
      await this.runValidation(files);
      return { ok: true, lock_version: this.lockVersion };
    } finally {
      this.setBusy(false);
    }
  }

  saveFailed(error) {
    if (error.status === 409) {
      this.setStatus('Enregistrement refusé : le brouillon a changé entre-temps.');
      this.showAlert('warning', 'Quelqu’un a enregistré ce brouillon avant vous', error.message, [
        el('button', { type: 'button', class: 'fr-btn fr-btn--secondary', text: 'Télécharger mes modifications', onclick: () => this.download() }),
        el('button', {
          type: 'button',
          class: 'fr-btn fr-btn--tertiary',
          text: 'Recharger la version enregistrée (mes modifications seront perdues)',
          onclick: () => this.reload(),
        }),
      ]);
    } else if (error.status === 422) {
      this.setStatus('Enregistrement refusé : le brouillon a des erreurs.');
      this.showAlert('error', 'Brouillon non enregistré', error.message);
      if (Array.isArray(error.body.problems)) this.setProblems(error.body.problems);
    } else {
      this.setStatus('Enregistrement impossible.');
      this.showAlert('error', 'Enregistrement impossible', error.message);
    }
    return { ok: false, status: error.status, message: error.message };
  }

  async reload() {
    this.hideAlert();
    await this.load();
  }

  async download() {
    const { files } = await this.collect();
    const blob = new Blob([JSON.stringify({ files }, null, 2)], { type: 'application/json' });
    const link = el('a', { href: URL.createObjectURL(blob), download: `${(this.main || 'brouillon').replace(/\.bpmn$/, '')}-mes-modifications.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  async validate() {
    if (this.busy) return { ok: false, status: 'busy' };
    this.setBusy(true);
    try {
      const { files } = await this.collect();
      return await this.runValidation(files);
    } finally {
      this.setBusy(false);
    }
  }

  async runValidation(files) {
    this.setStatus('Vérification…');
    try {
      const body = await this.post(this.urls.validate, { files });
      this.setProblems(body.problems || []);
      return { ok: true, problems: this.problems };
    } catch (error) {
      this.setStatus(`Vérification impossible : ${error.message}`);
      return { ok: false, status: error.status, message: error.message };
    }
  }

  // ------------------------------------------------------------------ problems

  setProblems(problems) {
    this.problems = problems;
    this.renderProblems();
    this.renderFileList();
    for (const file of this.files.values()) if (file.kind === 'bpmn' && file.editor) this.applyOverlays(file);
    const errors = problems.filter((p) => p.severity === 'error').length;
    const warnings = problems.length - errors;
    this.setStatus(problems.length
      ? `Vérification : ${errors} erreur${errors > 1 ? 's' : ''}, ${warnings} avertissement${warnings > 1 ? 's' : ''}.`
      : 'Vérification : aucun problème.');
  }

  renderProblems() {
    this.problemList.replaceChildren();
    if (!this.problems.length) {
      if (this.problemsChecked) this.problemSummary.textContent = 'Aucun problème.';
      return;
    }
    this.problemsChecked = true;
    const errors = this.problems.filter((p) => p.severity === 'error').length;
    this.problemSummary.textContent = `${this.problems.length} problème${this.problems.length > 1 ? 's' : ''} dont ${errors} erreur${errors > 1 ? 's' : ''}.`;
    this.problems.forEach((problem, index) => {
      const severity = problem.severity === 'error' ? 'error' : 'warning';
      this.problemList.append(el('li', { class: `anct-problem anct-problem--${severity}` }, el(
        'button',
        { type: 'button', class: 'anct-problem__button', 'data-problem': String(index), onclick: () => this.reveal(problem) },
        el('span', { class: `fr-badge fr-badge--sm fr-badge--${severity}`, text: SEVERITY[severity] }),
        el('span', { class: 'anct-problem__file', text: problem.file || 'brouillon' }),
        problem.element_id ? el('code', { class: 'anct-problem__element', text: problem.element_id }) : null,
        el('span', { class: 'anct-problem__message', text: problem.message }),
      )));
    });
  }

  /** The shape showing `id` in a bpmn-js modeler: its own, or the one whose semantics hold it. */
  shapeFor(modeler, id) {
    if (!id) return null;
    const registry = modeler.get('elementRegistry');
    const direct = registry.get(id);
    if (direct) return direct;
    const holds = (node, depth) => {
      if (!node || typeof node !== 'object' || depth > 6) return false;
      if (node.id === id) return true;
      for (const key of Object.keys(node)) {
        if (key.startsWith('$') || key === 'di') continue;
        const value = node[key];
        if (key.endsWith('Ref') || key === 'incoming' || key === 'outgoing' || key === 'lanes' || key === 'attachedToRef') continue;
        if (Array.isArray(value) ? value.some((v) => v && v.$type && holds(v, depth + 1)) : value && value.$type && holds(value, depth + 1)) return true;
      }
      return false;
    };
    return registry.find((element) => element.businessObject && element.businessObject.id !== undefined && !element.labelTarget
      && element.type !== 'bpmn:Process' && element.type !== 'bpmn:Collaboration' && element.type !== 'bpmn:Participant'
      && holds(element.businessObject, 0)) || null;
  }

  targetShape(modeler, problem) {
    return this.shapeFor(modeler, problem.element_id) || this.shapeFor(modeler, problem.scope_id);
  }

  applyOverlays(file) {
    const modeler = file.editor;
    if (!modeler || file.broken) return;
    const overlays = modeler.get('overlays');
    overlays.remove({ type: 'anct-problem' });
    const byShape = new Map();
    for (const problem of this.problems.filter((p) => p.file === file.name)) {
      let shape = this.targetShape(modeler, problem);
      if (!shape) continue;
      if (shape.waypoints && !shape.labels) shape = shape.source || shape;
      if (!byShape.has(shape)) byShape.set(shape, []);
      byShape.get(shape).push(problem);
    }
    for (const [shape, problems] of byShape) {
      if (!shape.parent) continue; // root element: no place to draw
      const error = problems.some((p) => p.severity === 'error');
      const text = problems.map((p) => `${SEVERITY[p.severity] || SEVERITY.warning} : ${p.message}`).join('\n');
      const badge = el('span', {
        class: `anct-overlay anct-overlay--${error ? 'error' : 'warning'}`,
        title: text,
        role: 'img',
        'aria-label': text,
        text: String(problems.length),
      });
      try {
        overlays.add(shape.id, 'anct-problem', { position: { top: -10, right: 10 }, html: badge });
      } catch (e) {
        console.warn('overlay', shape.id, e);
      }
    }
  }

  async reveal(problem) {
    if (!problem.file || !this.files.has(problem.file)) return;
    const file = await this.open(problem.file);
    if (!file || !file.editor || file.broken) return;
    if (file.kind === 'bpmn') {
      const shape = this.targetShape(file.editor, problem);
      if (!shape) return;
      file.editor.get('selection').select(shape);
      if (shape.parent) file.editor.get('canvas').scrollToElement(shape, { top: 100, bottom: 100, left: 100, right: 300 });
    } else if (file.kind === 'dmn') {
      const id = problem.element_id || problem.scope_id;
      const views = file.editor.getViews();
      const view = views.find((v) => v.element.id === id || v.element.id === problem.scope_id)
        || views.find((v) => v.type !== 'drd' && JSON.stringify(v.element, (k, val) => (k.startsWith('$') ? undefined : val)).includes(`"${id}"`));
      if (view) await file.editor.open(view);
      const cell = file.pane.querySelector(`[data-element-id="${CSS.escape(id || '')}"]`);
      if (cell) {
        cell.scrollIntoView({ block: 'center', inline: 'center' });
        cell.classList.add('anct-dmn__flagged');
        setTimeout(() => cell.classList.remove('anct-dmn__flagged'), 4000);
        if (cell.focus) cell.focus();
      }
    } else if (file.kind === 'form') {
      file.editor.textarea.focus();
    }
  }
}

function newForm() {
  return `${JSON.stringify({
    title: 'Nouveau formulaire',
    description: '',
    type: 'object',
    'x-ordre': ['commentaire'],
    required: [],
    properties: { commentaire: { title: 'Commentaire', type: 'string', maxLength: 2000, 'x-widget': 'textarea' } },
  }, null, 2)}\n`;
}

function newDmn(base, procedure, existing) {
  let id = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1');
  while (existing.some((d) => d.id === id)) id += '_2';
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="definitions_${id}" name="${id}" namespace="http://anct.gouv.fr/dmn/${procedure || 'procedure'}">
  <decision id="${id}" name="${id}">
    <decisionTable id="table_${id}" hitPolicy="UNIQUE">
      <input id="entree_${id}" label="Entrée">
        <inputExpression id="expr_${id}" typeRef="string">
          <text>donnee</text>
        </inputExpression>
      </input>
      <output id="sortie_${id}" label="Résultat" name="resultat" typeRef="string" />
    </decisionTable>
  </decision>
</definitions>
`;
}

/** Children of multi-instance loops in the order BPMN's XML schema requires: our descriptor
 * reads `loopDataInputRef`/`loopDataOutputRef` as variable names (SpiffWorkflow does), and
 * moddle then writes them after `inputDataItem`, which SpiffWorkflow's schema check refuses. */
const LOOP_ORDER = ['loopCardinality', 'loopDataInputRef', 'loopDataOutputRef', 'inputDataItem',
  'outputDataItem', 'complexBehaviorDefinition', 'completionCondition'];

function inSchemaOrder(xml) {
  const loop = /(<(\w+:)?multiInstanceLoopCharacteristics\b[^>]*(?<!\/)>)([\s\S]*?)(\s*<\/\2multiInstanceLoopCharacteristics>)/g;
  return xml.replace(loop, (all, open, prefix = '', body, close) => {
    const child = new RegExp(`(\\s*)<${prefix}(\\w+)\\b(?:[^>]*?\\/>|[^>]*>[\\s\\S]*?<\\/${prefix}\\2>)`, 'g');
    const children = [...body.matchAll(child)];
    if (children.map((m) => m[0]).join('') !== body) return all;
    const rank = (m) => { const i = LOOP_ORDER.indexOf(m[2]); return i < 0 ? LOOP_ORDER.length : i; };
    const sorted = [...children].sort((a, b) => rank(a) - rank(b));
    return open + sorted.map((m) => m[0]).join('') + close;
  });
}

function mount(root) {
  const editor = new DraftEditor(root);
  const ready = editor.load().then(() => editor);
  window.anctModeler = {
    ready,
    editor,
    get modeler() {
      const current = editor.files.get(editor.current);
      const file = current && current.kind === 'bpmn' ? current : editor.files.get(editor.main);
      return file && file.editor;
    },
    files: async () => (await editor.collect()).files,
    save: () => editor.save(),
    validate: () => editor.validate(),
    open: (name) => editor.open(name),
    exportFile: (name, options) => editor.exportFile(name, options),
    problems: () => editor.problems,
    hasUnsavedChanges: () => editor.hasUnsavedChanges(),
  };
  ready.catch((error) => console.error(error));
  return window.anctModeler;
}

const root = document.getElementById('modeler');
if (root) mount(root);
