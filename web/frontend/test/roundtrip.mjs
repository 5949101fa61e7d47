// Imports each processes/*/*.bpmn (and .dmn) into the built modeler in Chromium, exports it
// again, and checks that every spiffworkflow extension survives with the same meaning.
//   npm run build && node web/frontend/test/roundtrip.mjs
import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { createServer, listen, procedures, draftFiles } from './server.mjs';
import { launch, openPage } from './browser.mjs';

// Runs in the page: what an XML document says, ignoring formatting and diagram interchange.
function signatures(xml) {
  const SPIFF = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  const DI = /DI\/?$|DD\/20100524\/(DC|DI)|DMNDI|DMN\/20180521/;
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const error = doc.getElementsByTagName('parsererror')[0];
  if (error) return { error: error.textContent };
  const canon = (node) => {
    const attrs = [...node.attributes]
      .filter((a) => !a.name.startsWith('xmlns') && a.name !== 'xsi:type')
      .map((a) => `${a.localName}=${JSON.stringify(a.value)}`)
      .sort();
    const children = [...node.children].map(canon);
    const text = children.length ? '' : node.textContent.trim();
    return `<${node.localName}${attrs.length ? ' ' + attrs.join(' ') : ''}>${text}${children.join('')}</${node.localName}>`;
  };
  const owner = (node) => {
    let current = node.parentNode;
    while (current && current.nodeType === 1 && (current.namespaceURI === SPIFF || !current.getAttribute('id'))) current = current.parentNode;
    return current && current.nodeType === 1 ? `${current.localName}#${current.getAttribute('id')}` : '(document)';
  };
  const spiff = [];
  const semantic = [];
  for (const node of doc.getElementsByTagName('*')) {
    if (node.namespaceURI === SPIFF) {
      if (node.parentNode.namespaceURI !== SPIFF) spiff.push(`${owner(node)} ${canon(node)}`);
      continue;
    }
    for (const attr of node.attributes) {
      if (attr.namespaceURI === SPIFF) spiff.push(`${node.localName}#${node.getAttribute('id')} @${attr.localName}=${JSON.stringify(attr.value)}`);
    }
    if (DI.test(node.namespaceURI || '')) continue;
    // the rest of the semantics: element, its own attributes, and its text when it is a leaf
    const attrs = [...node.attributes]
      .filter((a) => !a.name.startsWith('xmlns') && a.namespaceURI !== SPIFF && a.name !== 'xsi:type' && a.localName !== 'exporter' && a.localName !== 'exporterVersion')
      .map((a) => `${a.localName}=${JSON.stringify(a.value)}`)
      .sort();
    // DMN: a decision table without hitPolicy is UNIQUE (the engine's default too)
    if (node.localName === 'decisionTable' && !node.hasAttribute('hitPolicy')) attrs.push('hitPolicy="UNIQUE"');
    attrs.sort();
    const leaf = node.children.length === 0 ? ` ${JSON.stringify(node.textContent.trim())}` : '';
    semantic.push(`${owner(node)} ${node.localName} ${attrs.join(' ')}${leaf}`);
  }
  return { spiff: spiff.sort(), semantic: semantic.sort() };
}

function diff(before, after) {
  const count = (list) => list.reduce((map, item) => map.set(item, (map.get(item) || 0) + 1), new Map());
  const a = count(before);
  const b = count(after);
  const lost = [];
  const added = [];
  for (const [item, n] of a) for (let i = (b.get(item) || 0); i < n; i++) lost.push(item);
  for (const [item, n] of b) for (let i = (a.get(item) || 0); i < n; i++) added.push(item);
  return { lost, added };
}

const { server } = createServer();
const base = await listen(server);
const browser = await launch();
let failures = 0;
const outDir = path.join(os.tmpdir(), 'anct-modeler-roundtrip');
await fs.mkdir(outDir, { recursive: true });

try {
  for (const procedure of await procedures()) {
    const originals = await draftFiles(procedure);
    const { page, errors } = await openPage(browser, `${base}/harness.html?procedure=${procedure}`);
    for (const name of Object.keys(originals).filter((n) => n.endsWith('.bpmn') || n.endsWith('.dmn'))) {
      await page.evaluate((n) => window.anctModeler.open(n), name);
      const exported = await page.evaluate((n) => window.anctModeler.exportFile(n, { force: true }), name);
      await fs.writeFile(path.join(outDir, `${procedure}--${name}`), exported);
      const before = await page.evaluate(signatures, originals[name]);
      const after = await page.evaluate(signatures, exported);
      if (after.error) {
        failures += 1;
        console.log(`ÉCHEC ${procedure}/${name} : export illisible (${after.error})`);
        continue;
      }
      const spiff = diff(before.spiff, after.spiff);
      const semantic = diff(before.semantic, after.semantic);
      const ok = !spiff.lost.length && !spiff.added.length;
      if (!ok) failures += 1;
      console.log(`${ok ? 'OK   ' : 'ÉCHEC'} ${procedure}/${name} : ${before.spiff.length} extensions spiffworkflow, ${after.spiff.length} après export`
        + `; reste de la sémantique : ${semantic.lost.length} perdu(s), ${semantic.added.length} ajouté(s) sur ${before.semantic.length}`);
      for (const item of spiff.lost) console.log(`    perdu  : ${item}`);
      for (const item of spiff.added) console.log(`    ajouté : ${item}`);
      for (const item of semantic.lost.slice(0, 8)) console.log(`    (sémantique) perdu  : ${item.slice(0, 200)}`);
      for (const item of semantic.added.slice(0, 8)) console.log(`    (sémantique) ajouté : ${item.slice(0, 200)}`);
      if (name.endsWith('.bpmn') && (semantic.lost.length || semantic.added.length)) failures += 1;
    }
    if (errors.length) {
      failures += 1;
      console.log(`ÉCHEC ${procedure} : erreurs dans la page\n    ${errors.join('\n    ')}`);
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(failures ? `${failures} échec(s)` : 'Tout est conservé.');
console.log(`Exports dans ${outDir}`);
process.exit(failures ? 1 : 0);
