// Debian's Chromium, headless, driven by playwright-core (which never downloads a browser), with
// a guard that records every network request and every console error of the pages it opens.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Starts Chromium with an empty user-data-dir. Returns `{ context, userDataDir, close }`.
 * `viewport` defaults to 1280×800.
 */
export async function launch({ viewport = { width: 1280, height: 800 }, args = [] } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'koffer-viewer-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    viewport,
    acceptDownloads: true,
    locale: 'en-US',
  });
  return {
    context,
    userDataDir,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether a request is allowed: the page's own file:// URL (and its fragment/query forms),
 * data: and blob: URLs. Everything else — http(s), ws(s), other files — is a network request.
 */
export function allowedUrl(url, pageUrl) {
  if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return true;
  const strip = (u) => u.replace(/[?#].*$/, '');
  return strip(url) === strip(pageUrl);
}

/**
 * Watches a page: every request (Playwright's events and CDP Network events, so service workers,
 * WebSockets, beacons and preloads count too), console errors, uncaught exceptions, crashes.
 * `pageUrl` is the file:// URL the page is opened at (or a list of them).
 */
export async function watch(page, pageUrls) {
  const allowed = [].concat(pageUrls);
  const w = { requests: [], consoleErrors: [], pageErrors: [], crashed: false, cspViolations: [] };
  const note = (how, url) => {
    if (!allowed.some((p) => allowedUrl(url, p))) w.requests.push(`${how} ${url}`);
  };
  page.on('request', (r) => note('request', r.url()));
  page.on('websocket', (ws) => note('websocket', ws.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') w.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => w.pageErrors.push(String(e && e.stack ? e.stack : e)));
  page.on('crash', () => {
    w.crashed = true;
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (e) => note('cdp', e.request.url));
  cdp.on('Network.webSocketCreated', (e) => note('cdp-websocket', e.url));
  w.cdp = cdp;
  return w;
}

export function fileUrl(path) {
  return pathToFileURL(path).href;
}
