// Speed benchmark of viewer/koffer-viewer.html (issue 13) in Debian's headless Chromium; not a
// test (nothing asserted, not run by CI). Its figures go into BENCHMARKS.md, "Viewer".
//
//   node viewer/tests/bench.mjs [--days N] [--huge] [--dir DIR]
//
// - Generates a ≈100 MB container (examples/wearable.rs --days 2431: 3.5 million records) in DIR
//   (default: a temporary directory; an existing file of the right size is reused).
// - Opens the shipped page from file://, chooses the file through its file input and measures:
//   time until the summary (status word) is shown; then the Plot tab (its default fields, all
//   records); then one more field ticked; memory (JS heap, WebAssembly memory, the renderer's
//   resident set) against the file size.
// - --huge: a ≈1 GB generated container (--days 24310) and a 1.5 GB sparse file (above the
//   page's limit): the page must refuse or handle each, and its tab must stay alive.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_ARGS, fileUrl } from './lib/browser.mjs';
import { PAGE, ROOT, TARGET } from './lib/fixtures.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const DAYS = Number(opt('--days', 2431));
const HUGE = args.includes('--huge');
const DIR = opt('--dir', null) || mkdtempSync(join(tmpdir(), 'koffer-viewer-bench-'));
const TIMEOUT = 300_000;

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Builds the wearable example once and writes `days` days to `path` (unless already there). */
function generate(days, path) {
  if (existsSync(path) && statSync(path).size > days * 30_000) return;
  execFileSync('cargo', ['build', '-q', '--release', '--features', 'derive', '--example', 'wearable'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const t = Date.now();
  execFileSync(join(TARGET, 'release/examples/wearable'), ['--days', String(days), path], { stdio: 'inherit' });
  console.error(`generated ${path} in ${s(Date.now() - t)}`);
}

/** Resident set of Chromium's renderer processes, from /proc: { rss, peak } in bytes. */
async function rendererMemory(cdp) {
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  let rss = 0;
  let peak = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const status = readFileSync(`/proc/${p.id}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
      peak += Number(/VmHWM:\s+(\d+)/.exec(status)[1]) * 1024;
    } catch (_) {
      /* gone */
    }
  }
  return { rss, peak };
}

/** JS heap in use (CDP Performance.getMetrics) and the size of every WebAssembly.Memory. */
async function pageMemory(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
  const proto = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
  const { result } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { return this.reduce((a, m) => a + m.buffer.byteLength, 0); }',
    returnByValue: true,
  });
  await cdp.detach();
  return { heap, wasm: result.value };
}

/** Clicks `selector` (or runs `act`) and waits, polling each frame, until `done` holds; ms. */
async function timed(page, act, done, arg) {
  const t0 = performance.now();
  await act();
  await page.waitForFunction(done, arg, { timeout: TIMEOUT, polling: 'raf' });
  // One more frame: what was drawn is on screen.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return performance.now() - t0;
}

async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && !r.url().startsWith('blob:') && r.url() !== fileUrl(PAGE)) requests.push(r.url());
  });
  let crashed = false;
  page.on('crash', () => {
    crashed = true;
  });
  await page.goto(fileUrl(PAGE));
  await page.waitForFunction(() => window.kofferViewer && window.kofferViewer.ready);
  return { context, page, requests, crashed: () => crashed };
}

/** Chooses a file and waits until a status is shown or the page refused it; ms and state. */
async function choose(page, path) {
  // In the page: the moment the input's change event fires, and the moment the status shows.
  await page.evaluate(() => {
    const input = document.querySelector('[data-testid="file-input"]');
    window.__bench = { changed: null, shown: null };
    input.addEventListener('change', () => { window.__bench.changed = performance.now(); }, { capture: true, once: true });
    const st = document.querySelector('[data-testid="status"]');
    new MutationObserver((_, obs) => {
      if (st.querySelector('[data-testid="status-word"]')) {
        window.__bench.shown = performance.now();
        obs.disconnect();
      }
    }).observe(st, { childList: true, subtree: true });
  });
  const name = path.split('/').pop();
  const ms = await timed(
    page,
    () => page.setInputFiles('[data-testid="file-input"]', path),
    (n) => {
      const s = window.kofferViewer;
      return s.file && s.file.name === n && !s.loading && (s.status !== null || s.errors.length > 0);
    },
    name,
  );
  const state = await page.evaluate(() => ({
    status: window.kofferViewer.status,
    totals: window.kofferViewer.totals,
    message: window.kofferViewer.message,
    errors: window.kofferViewer.errors,
    inPage: window.__bench.shown && window.__bench.changed ? window.__bench.shown - window.__bench.changed : null,
  }));
  return { ms, ...state };
}

async function alive(page) {
  return Promise.race([
    page.evaluate(() => 1 + 1).then((v) => v === 2),
    new Promise((r) => setTimeout(() => r(false), 10_000)),
  ]).catch(() => false);
}

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const bcdp = await browser.newBrowserCDPSession();
  console.log(`chromium ${browser.version()}, page ${PAGE} (${statSync(PAGE).size} bytes)`);
  const rows = [];

  const big = join(DIR, `wearable-${DAYS}d.koffer`);
  generate(DAYS, big);
  const size = statSync(big).size;
  {
    const { context, page, requests, crashed } = await openPage(browser);
    const base = await rendererMemory(bcdp);
    const load = await choose(page, big);
    rows.push(['file', `${mb(size)}, ${load.totals ? load.totals.records.toLocaleString('en-US') : '?'} records (${DAYS} days of examples/wearable.rs)`, '']);
    rows.push(['summary shown after the file is chosen', `${s(load.ms)} (in the page, change event to status: ${load.inPage != null ? s(load.inPage) : '?'})`, '≤ 2 s']);
    rows.push(['status', `${load.status}`, '']);
    const afterLoad = await pageMemory(page);
    // The Plot tab of the first record type (the samples): the page's default fields.
    const plotMs = await timed(
      page,
      () => page.click('[data-testid="tab-plot"]'),
      () => window.kofferViewer.plotted.length > 0 && window.kofferViewer.plotPoints > 0,
    );
    const plotted = await page.evaluate(() => window.kofferViewer.plotted);
    rows.push([`Plot tab: ${plotted.length} field(s) of all records (${plotted.join(', ')})`, s(plotMs), '≤ 1 s (one field)']);
    // One field more, not plotted yet (its column decoded from all records now).
    const next = page.locator('[data-testid="plot-fields"] input[type="checkbox"]:not(:checked)').first();
    const nextName = await next.getAttribute('data-testid');
    const oneMs = await timed(
      page,
      () => next.check(),
      (n) => window.kofferViewer.plotted.length === n + 1 && window.kofferViewer.plotPoints > 0,
      plotted.length,
    );
    rows.push([`one more field ticked (${nextName.replace('plot-field-', '')}), all records`, s(oneMs), '≤ 1 s']);
    const afterPlot = await pageMemory(page);
    const rm = await rendererMemory(bcdp);
    const total = afterPlot.heap + afterPlot.wasm;
    rows.push(['memory after loading: JS heap + WebAssembly memory', `${mb(afterLoad.heap)} + ${mb(afterLoad.wasm)} = ${(((afterLoad.heap + afterLoad.wasm) / size)).toFixed(2)}× the file`, '≤ 2×']);
    rows.push(['memory after plotting: JS heap + WebAssembly memory', `${mb(afterPlot.heap)} + ${mb(afterPlot.wasm)} = ${(total / size).toFixed(2)}× the file`, '≤ 2×']);
    rows.push([
      'renderer resident set (empty page → now, peak)',
      `${mb(base.rss)} → ${mb(rm.rss)}, peak ${mb(rm.peak)}: grew by ${mb(rm.peak - base.rss)} = ${((rm.peak - base.rss) / size).toFixed(2)}× the file`,
      '',
    ]);
    // The page's own User Timing measures (viewer/README.md): open, column T:C, refresh plots.
    const measures = await page.evaluate(() =>
      performance.getEntriesByType('measure').map((m) => `${m.name} ${(m.duration / 1000).toFixed(2)} s`),
    );
    if (measures.length) rows.push(["the page's User Timing measures", measures.join('; '), '']);
    rows.push(['network requests', String(requests.length), '0']);
    rows.push(['tab alive afterwards', String((await alive(page)) && !crashed()), 'true']);
    await context.close();
  }

  if (HUGE) {
    const huge = join(DIR, 'wearable-24310d.koffer');
    generate(24_310, huge);
    const sparse = join(DIR, 'sparse-1.5GB.koffer');
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, 1_500_000_000);
    closeSync(fd);
    for (const f of [huge, sparse]) {
      const { context, page, crashed } = await openPage(browser);
      let load;
      try {
        load = await choose(page, f);
      } catch (e) {
        load = { ms: NaN, status: null, message: `no status: ${e.message.split('\n')[0]}` };
      }
      const rm = await rendererMemory(bcdp);
      const ok = (await alive(page)) && !crashed();
      rows.push([
        `${f.split('/').pop()} (${mb(statSync(f).size)})`,
        `${load.status ? `status ${load.status}, ${load.totals.records.toLocaleString('en-US')} records` : `refused: “${load.message}”`} after ${s(load.ms)}; renderer peak ${mb(rm.peak)}; tab alive: ${ok}`,
        'works or refused; tab alive',
      ]);
      await context.close();
    }
  }
  await browser.close();

  console.log('\n| measured | figure | target |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
