// Drives the page in Chromium against the mock server: properties panel, save (200, 409),
// validation, problems and overlays, forms and their preview, new files.
//   npm run build && node web/frontend/test/ui.mjs
import assert from 'node:assert/strict';
import { createServer, listen } from './server.mjs';
import { launch, openPage } from './browser.mjs';

const { server, state } = createServer();
const base = await listen(server);
const browser = await launch();
const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push(`OK    ${name}`);
  } catch (error) {
    results.push(`ÉCHEC ${name}\n      ${String(error.stack || error).split('\n').slice(0, 12).join('\n      ')}`);
  }
}
const select = (page, id) => page.evaluate((elementId) => {
  const modeler = window.anctModeler.modeler;
  modeler.get('selection').select(modeler.get('elementRegistry').get(elementId));
}, id);

try {
  const { page, errors } = await openPage(browser, `${base}/harness.html?procedure=pass_numerique`);

  await check('page : boutons, liste des fichiers, pas de modification au chargement', async () => {
    await page.getByRole('button', { name: 'Enregistrer' }).waitFor();
    await page.getByRole('button', { name: 'Vérifier' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Fichiers du brouillon' });
    assert.ok(await nav.getByRole('button', { name: /pass_numerique\.bpmn/ }).isVisible());
    assert.ok(await nav.getByRole('button', { name: /recevabilite\.dmn/ }).isVisible());
    assert.ok(await nav.getByRole('button', { name: /pass_numerique\/candidature\.json/ }).isVisible());
    assert.equal(await page.evaluate(() => window.anctModeler.hasUnsavedChanges()), false);
  });

  await check('panneau : procédure (referencePrefix, startForm)', async () => {
    await select(page, 'Participant_pass_numerique');
    assert.equal(await page.locator('input[name="anct-referencePrefix"]').inputValue(), 'PNU');
    assert.equal(await page.locator('select[name="anct-startForm"]').inputValue(), 'pass_numerique/candidature.json');
  });

  await check('panneau : tâche utilisateur (rôle du couloir, formulaire, échéance) et modification', async () => {
    await select(page, 'avis_prefet');
    await page.getByText('Tâche humaine', { exact: true }).waitFor();
    assert.equal(await page.locator('select[name="anct-lane-role"]').inputValue(), 'prefet');
    assert.equal(await page.locator('select[name="anct-form"]').inputValue(), 'pass_numerique/avis_prefet.json');
    const due = page.locator('input[name="anct-due"]');
    await due.fill('P10D');
    await page.waitForTimeout(900);
    const xml = await page.evaluate(() => window.anctModeler.exportFile('pass_numerique.bpmn'));
    assert.match(xml, /<spiffworkflow:property name="due" value="P10D"\s*\/>/);
    assert.equal(await page.evaluate(() => window.anctModeler.hasUnsavedChanges()), true);
    await page.locator('select[name="anct-form"]').selectOption('pass_numerique/versement_solde.json');
    const xml2 = await page.evaluate(() => window.anctModeler.exportFile('pass_numerique.bpmn'));
    assert.match(xml2, /<spiffworkflow:formJsonSchemaFilename>pass_numerique\/versement_solde\.json</);
    await page.evaluate(() => window.anctModeler.modeler.get('commandStack').undo());
  });

  await check('panneau : tâche de service (opérateur, paramètres, resultVariable)', async () => {
    await select(page, 'verifier_campagne');
    assert.equal(await page.locator('select[name="anct-operator"]').inputValue(), 'campagne_ouverte');
    assert.equal(await page.locator('input[name="anct-parameter-campagne"]').inputValue(), 'campagne');
    assert.equal(await page.locator('input[name="anct-result-variable"]').inputValue(), 'campagne_info');
    await page.locator('select[name="anct-operator"]').selectOption('reserver_enveloppe');
    await page.locator('input[name="anct-parameter-montant"]').fill('montant_accorde');
    await page.waitForTimeout(900);
    const xml = await page.evaluate(() => window.anctModeler.exportFile('pass_numerique.bpmn'));
    assert.match(xml, /<spiffworkflow:serviceTaskOperator id="reserver_enveloppe" resultVariable="campagne_info">\s*<spiffworkflow:parameters>\s*<spiffworkflow:parameter id="campagne" type="str" value="campagne"\s*\/>\s*<spiffworkflow:parameter id="montant" type="str" value="montant_accorde"\s*\/>/);
    const stack = await page.evaluate(() => { const s = window.anctModeler.modeler.get('commandStack'); s.undo(); s.undo(); return s._stackIdx; });
    assert.ok(stack >= 0);
  });

  await check('panneau : minuterie de bordure, fin, condition, règle métier', async () => {
    await select(page, 'rappel_avis_prefet');
    assert.equal(await page.locator('select[name="anct-timer-kind"]').inputValue(), 'timeDate');
    assert.match(await page.locator('textarea[name="anct-timer-expression"]').inputValue(), /date_limite_instruction/);
    assert.equal(await page.locator('input[name="anct-cancel-activity"]').isChecked(), false);
    await select(page, 'fin_non_recevable');
    assert.equal(await page.locator('input[name="anct-outcome"]').inputValue(), 'non_recevable');
    await select(page, 'f_recevable');
    assert.ok((await page.locator('textarea[name="anct-condition-expression"]').inputValue()).length > 0);
    await select(page, 'evaluer_recevabilite');
    assert.equal(await page.locator('select[name="anct-called-decision"]').inputValue(), 'recevabilite_pass_numerique');
    const ids = await page.locator('select[name="anct-called-decision"] option').allTextContents();
    assert.ok(ids.some((t) => t.includes('recevabilite.dmn')));
  });

  await check('enregistrer : PUT avec CSRF et lock_version, puis vérification, problèmes et surcouches', async () => {
    const before = state.requests.length;
    const result = await page.evaluate(() => window.anctModeler.save());
    assert.equal(result.ok, true);
    assert.equal(result.lock_version, 4);
    const sent = state.requests.slice(before);
    assert.deepEqual(sent.map((r) => r.action), ['save', 'validate']);
    assert.equal(sent[0].body.lock_version, 3);
    assert.ok(sent[0].body.files['forms/pass_numerique/candidature.json']);
    assert.equal(await page.evaluate(() => window.anctModeler.hasUnsavedChanges()), false);
    assert.equal(await page.locator('.anct-problem').count(), 2);
    assert.ok(await page.locator('.djs-overlay .anct-overlay').count() >= 1);
    await page.locator('.anct-problem__button').nth(1).click();
    const selected = await page.evaluate(() => window.anctModeler.modeler.get('selection').get().map((e) => e.id));
    assert.equal(selected.length, 1);
  });

  await check('conflit 409 : message, travail gardé, rechargement proposé', async () => {
    state.locks.pass_numerique = 99;
    await select(page, 'avis_prefet');
    await page.locator('input[name="anct-due"]').fill('P11D');
    await page.waitForTimeout(900);
    const result = await page.evaluate(() => window.anctModeler.save());
    assert.equal(result.status, 409);
    await page.getByText('enregistré par quelqu’un d’autre').waitFor();
    assert.ok(await page.getByRole('button', { name: /Recharger la version enregistrée/ }).isVisible());
    assert.equal(await page.evaluate(() => window.anctModeler.hasUnsavedChanges()), true);
    assert.match(await page.evaluate(async () => (await window.anctModeler.files())['pass_numerique.bpmn']), /value="P11D"/);
    await page.getByRole('button', { name: /Recharger la version enregistrée/ }).click();
    await page.waitForFunction(() => !window.anctModeler.hasUnsavedChanges());
    assert.match(await page.evaluate(async () => (await window.anctModeler.files())['pass_numerique.bpmn']), /value="P10D"/);
  });

  await check('422 : message et problèmes du serveur', async () => {
    state.force.save = [422, { message: 'Le brouillon ne se déploie pas.', problems: [{ file: 'pass_numerique.bpmn', element_id: 'depot', rule: 'r', severity: 'error', message: 'Problème du serveur', scope_id: 'pass_numerique' }] }];
    const result = await page.evaluate(() => window.anctModeler.save());
    assert.equal(result.status, 422);
    await page.getByText('Le brouillon ne se déploie pas.').waitFor();
    assert.equal(await page.locator('.anct-problem').count(), 1);
  });

  await check('formulaire : édition et aperçu (POST débouncé)', async () => {
    await page.getByRole('button', { name: /pass_numerique\/avis_prefet\.json/ }).click();
    const area = page.getByLabel(/Schéma JSON du formulaire pass_numerique\/avis_prefet\.json/);
    await area.waitFor();
    await page.locator('.anct-form__preview form').first().waitFor();
    const text = await area.inputValue();
    const schema = JSON.parse(text);
    delete schema.title;
    const before = state.requests.filter((r) => r.action === 'preview').length;
    await area.fill(JSON.stringify(schema, null, 2));
    await page.getByText('Le formulaire n’a pas de titre (title).').waitFor();
    assert.equal(state.requests.filter((r) => r.action === 'preview').length, before + 1);
    await area.fill('{ pas du json');
    await page.getByText(/JSON invalide/).waitFor();
    assert.equal(await page.evaluate(() => window.anctModeler.hasUnsavedChanges()), true);
  });

  await check('nouveau formulaire et nouvelle table de décision', async () => {
    await page.getByRole('button', { name: 'Nouveau formulaire' }).click();
    await page.getByLabel(/Chemin du formulaire/).fill('pass_numerique/essai.json');
    await page.getByRole('button', { name: 'Ajouter' }).click();
    await page.getByLabel(/Schéma JSON du formulaire pass_numerique\/essai\.json/).waitFor();
    await page.getByRole('button', { name: 'Nouvelle table de décision' }).click();
    await page.getByLabel(/Nom du fichier de la table de décision/).fill('eligibilite.dmn');
    await page.getByRole('button', { name: 'Ajouter' }).click();
    await page.locator('.anct-modeler__pane--dmn[data-file="eligibilite.dmn"] .tjs-table').waitFor();
    const files = await page.evaluate(() => window.anctModeler.files());
    assert.ok(files['forms/pass_numerique/essai.json']);
    assert.match(files['eligibilite.dmn'], /<decision id="eligibilite"/);
    await page.getByRole('button', { name: /^pass_numerique\.bpmn/ }).click();
    await select(page, 'evaluer_recevabilite');
    const options = await page.locator('select[name="anct-called-decision"] option').allTextContents();
    assert.ok(options.some((t) => t.includes('eligibilite.dmn')));
  });

  await check('table de décision : modification détectée et exportée', async () => {
    await page.getByRole('button', { name: /^recevabilite\.dmn/ }).click();
    await page.locator('.anct-modeler__pane--dmn[data-file="recevabilite.dmn"] .tjs-table').waitFor();
    await page.evaluate(async () => {
      const editor = window.anctModeler.editor.files.get('recevabilite.dmn').editor;
      const viewer = editor.getActiveViewer();
      const rule = viewer.get('sheet').getRoot().rows[0];
      viewer.get('modeling').editCell(rule.cells[0].businessObject, '? in ("epci",)');
    });
    const xml = await page.evaluate(() => window.anctModeler.exportFile('recevabilite.dmn'));
    assert.match(xml, /\? in \("epci",\)/);
  });

  await check('problème sur un fichier DMN : ouvre le fichier', async () => {
    await page.evaluate(() => window.anctModeler.editor.setProblems([{ file: 'recevabilite.dmn', element_id: 'r2_taux', rule: 'r', severity: 'warning', message: 'Cellule douteuse', scope_id: 'recevabilite_pass_numerique' }]));
    await page.getByRole('button', { name: /^pass_numerique\.bpmn/ }).click();
    await page.locator('.anct-problem__button').first().click();
    await page.locator('.anct-modeler__pane--dmn[data-file="recevabilite.dmn"]:not([hidden])').waitFor();
    assert.equal(await page.locator('[data-element-id="r2_taux"].anct-dmn__flagged').count(), 1);
  });

  await check('beforeunload tant que des modifications ne sont pas enregistrées', async () => {
    const prevented = await page.evaluate(() => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    });
    assert.equal(prevented, true);
  });

  await check('pas d’erreur dans la page', async () => {
    assert.deepEqual(errors.filter((e) => !/status of (409|422)/.test(e)), []);
  });
} finally {
  await browser.close();
  server.close();
}
console.log(results.join('\n'));
process.exit(results.some((r) => r.startsWith('ÉCHEC')) ? 1 : 0);
