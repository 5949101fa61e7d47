// Chromium through playwright-core, as the brief of these checks asks.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A page that fails loudly on page errors and collects console errors. */
export async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    if (message.type() === 'warning' && message.text().includes('à l’import')) errors.push(`import: ${message.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.anctModeler && window.anctModeler.ready);
  await page.evaluate(() => window.anctModeler.ready);
  return { page, errors };
}
