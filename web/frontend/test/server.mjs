// A tiny HTTP server for the browser checks: the harness page, the built bundle, and mock
// draft/save/validate/preview endpoints fed from processes/ and forms/. Not used by Flask.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..', '..');
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.svg': 'image/svg+xml', '.eot': 'application/vnd.ms-fontobject', '.json': 'application/json' };
export const CSRF = 'jeton-de-test';

export async function procedures() {
  const entries = await fs.readdir(path.join(repo, 'processes'), { withFileTypes: true });
  const names = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const files = await fs.readdir(path.join(repo, 'processes', entry.name));
    if (files.some((f) => f.endsWith('.bpmn'))) names.push(entry.name);
  }
  return names.sort();
}

export async function draftFiles(procedure) {
  const files = {};
  const dir = path.join(repo, 'processes', procedure);
  for (const name of (await fs.readdir(dir)).sort()) {
    if (name.endsWith('.bpmn') || name.endsWith('.dmn')) files[name] = await fs.readFile(path.join(dir, name), 'utf8');
  }
  const formsDir = path.join(repo, 'forms', procedure);
  for (const name of (await fs.readdir(formsDir).catch(() => [])).sort()) {
    if (name.endsWith('.json')) files[`forms/${procedure}/${name}`] = await fs.readFile(path.join(formsDir, name), 'utf8');
  }
  return files;
}

const ROLES = [
  { code: 'collectivite', label: 'Collectivité' },
  { code: 'prefet', label: 'Préfet' },
  { code: 'equipe_nationale', label: 'Équipe nationale' },
  { code: 'comite', label: 'Comité' },
  { code: 'expert', label: 'Expert' },
];
const OPERATORS = { campagne_ouverte: ['campagne'], reserver_enveloppe: ['campagne', 'montant'] };

function escapeAttr(text) {
  return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function escapeHtml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** state: per procedure lock version, the requests received (for assertions), forced answers. */
export function createServer() {
  const state = { locks: {}, requests: [], force: {} };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const send = (status, body, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(type === 'application/json' ? JSON.stringify(body) : body);
    };
    try {
      if (url.pathname === '/favicon.ico') return send(204, '', 'text/plain');
      if (url.pathname === '/' || url.pathname === '/harness.html') {
        const procedure = url.searchParams.get('procedure') || (await procedures())[0];
        const html = (await fs.readFile(path.join(here, 'harness.html'), 'utf8'))
          .replaceAll('{{procedure}}', escapeAttr(procedure))
          .replace('{{roles}}', escapeAttr(JSON.stringify(ROLES)))
          .replace('{{operators}}', escapeAttr(JSON.stringify(OPERATORS)))
          .replace('{{csrf}}', CSRF);
        return send(200, html, TYPES['.html']);
      }
      if (url.pathname.startsWith('/static/build/') || url.pathname.startsWith('/vendor/')) {
        const base = url.pathname.startsWith('/vendor/') ? path.join(repo, 'node_modules') : path.join(repo, 'web', 'static', 'build');
        const rel = decodeURIComponent(url.pathname.replace(/^\/(static\/build|vendor)\//, ''));
        const file = path.resolve(base, rel);
        if (!file.startsWith(base)) return send(404, { message: 'introuvable' });
        const data = await fs.readFile(file).catch(() => null);
        if (!data) return send(404, { message: 'introuvable' });
        res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
        return res.end(data);
      }
      const match = url.pathname.match(/^\/api\/(draft|save|validate|preview)\/([a-z0-9_]+)$/);
      if (!match) return send(404, { message: 'introuvable' });
      const [, action, procedure] = match;
      if (req.method !== 'GET' && req.headers['x-csrftoken'] !== CSRF) return send(400, { message: 'Jeton CSRF manquant.' });
      const body = req.method === 'GET' ? null : await readBody(req);
      state.requests.push({ action, procedure, method: req.method, body });
      if (state.force[action]) {
        const [status, answer] = state.force[action];
        delete state.force[action];
        return send(status, answer);
      }
      if (action === 'draft') {
        state.locks[procedure] = state.locks[procedure] || 3;
        return send(200, { files: state.drafts?.[procedure] || (await draftFiles(procedure)), lock_version: state.locks[procedure], main: `${procedure}.bpmn` });
      }
      if (action === 'save') {
        if (req.method !== 'PUT') return send(405, { message: 'PUT attendu.' });
        if (body.lock_version !== state.locks[procedure]) {
          return send(409, { message: 'Ce brouillon a été enregistré par quelqu’un d’autre depuis que vous l’avez ouvert.' });
        }
        state.locks[procedure] += 1;
        state.drafts = state.drafts || {};
        state.drafts[procedure] = body.files;
        return send(200, { lock_version: state.locks[procedure] });
      }
      if (action === 'validate') {
        // mock rules: one error on the first user task, one warning on the first timer definition
        const problems = [];
        const name = `${procedure}.bpmn`;
        const xml = body.files[name] || '';
        const process = xml.match(/<bpmn:process id="([^"]+)"/);
        const task = xml.match(/<bpmn:userTask id="([^"]+)"/);
        const timer = xml.match(/<bpmn:timerEventDefinition id="([^"]+)"/);
        if (task) problems.push({ file: name, element_id: task[1], rule: 'exemple', severity: 'error', message: 'Exemple d’erreur sur une tâche utilisateur.', scope_id: process && process[1] });
        if (timer) problems.push({ file: name, element_id: timer[1], rule: 'exemple', severity: 'warning', message: 'Exemple d’avertissement sur une minuterie.', scope_id: process && process[1] });
        return send(200, { problems });
      }
      if (action === 'preview') {
        let schema;
        try {
          schema = JSON.parse(body.form);
        } catch {
          return send(200, { html: '', problems: ['Le formulaire n’est pas du JSON valide.'] });
        }
        const fields = Object.entries(schema.properties || {}).map(([key, field]) => `<div class="fr-input-group"><label class="fr-label" for="f-${escapeAttr(key)}">${escapeHtml(field.title || key)}</label><input class="fr-input" id="f-${escapeAttr(key)}"></div>`);
        const problems = schema.title ? [] : ['Le formulaire n’a pas de titre (title).'];
        return send(200, { html: `<form><h4>${escapeHtml(schema.title || '')}</h4>${fields.join('')}</form>`, problems });
      }
      return send(404, { message: 'introuvable' });
    } catch (error) {
      console.error(error);
      return send(500, { message: String(error) });
    }
  });
  return { server, state };
}

export function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { server } = createServer();
  const port = Number(process.env.PORT || 8765);
  server.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/harness.html?procedure=pass_numerique`));
}
