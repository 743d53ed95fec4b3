// Browser tests of viewer/koffer-viewer.html (issue 13), in Debian's headless Chromium:
// the shipped page opened from file://, files loaded through its file input, and what it shows
// compared with what the `koffer` command says of the same files. The page's test contract
// (ids, data-testid, window.kofferViewer) is in viewer/README.md.
//
//   bash viewer/tests/run.sh                      everything CI runs
//   cd viewer/tests && node --test viewer.test.mjs
//
// Screenshots go to a temporary directory (printed; KOFFER_VIEWER_SHOTS=DIR chooses it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { fileUrl, launch, watch } from './lib/browser.mjs';
import { exportCsv, exportJson, frames, inspect, makeFixtures, PAGE, ROOT, tools, verifyKey } from './lib/fixtures.mjs';
import { corrupt, Rng } from './lib/prng.mjs';

const PAGE_URL = fileUrl(PAGE);
/** The longest a file of these tests may take to show its status. */
const LOAD_TIMEOUT = 20_000;
const CORRUPTIONS = 50;
const CORRUPTION_SEED = 0x5eed_0013n;
const STATUS_WORDS = ['complete', 'incomplete', 'corrupt', 'unsupported', 'not_a_container'];

let fx; // { dir, files }
let expected; // name -> inspect()
let browser; // launch()
let shots; // screenshot directory

before(async () => {
  assert.ok(existsSync(PAGE), `${PAGE} is missing: bash viewer/build.sh`);
  tools();
  fx = makeFixtures();
  expected = {};
  for (const [name, path] of Object.entries(fx.files)) expected[name] = inspect(path);
  shots = process.env.KOFFER_VIEWER_SHOTS || mkdtempSync(join(tmpdir(), 'koffer-viewer-shots-'));
  mkdirSync(shots, { recursive: true });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  // The fixtures (screenshots are elsewhere); KOFFER_VIEWER_KEEP=1 keeps them to look at.
  if (fx && !process.env.KOFFER_VIEWER_KEEP) rmSync(fx.dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ helpers

/** A new tab with the shipped page, ready for a file; its watcher counts requests and errors. */
async function openViewer(url = PAGE_URL) {
  const page = await browser.context.newPage();
  const w = await watch(page, url);
  await page.goto(url);
  await page.waitForFunction(() => window.kofferViewer && window.kofferViewer.ready, null, {
    timeout: LOAD_TIMEOUT,
  });
  return { page, w };
}

/** No request left the page and nothing went wrong in it. */
function assertClean(w, what) {
  assert.deepEqual(w.requests, [], `${what}: network requests`);
  assert.deepEqual(w.consoleErrors, [], `${what}: console errors`);
  assert.deepEqual(w.pageErrors, [], `${what}: uncaught exceptions`);
  assert.equal(w.crashed, false, `${what}: the tab crashed`);
}

/**
 * Chooses a file in the page's file input (a path, or `{ name, buffer }`) and waits until the
 * page has read it: a status shown, or the file refused with a message.
 */
async function choose(page, file, timeout = LOAD_TIMEOUT) {
  const name = typeof file === 'string' ? file.split('/').pop() : file.name;
  const input =
    typeof file === 'string' ? file : { name, mimeType: 'application/octet-stream', buffer: file.buffer };
  const errorsBefore = await page.evaluate(() => window.kofferViewer.errors.length);
  await page.setInputFiles('[data-testid="file-input"]', input);
  await page.waitForFunction(
    ([n, e]) => {
      const s = window.kofferViewer;
      return s.file && s.file.name === n && !s.loading && (s.status !== null || s.errors.length > e);
    },
    [name, errorsBefore],
    { timeout },
  );
  return page.evaluate(() => {
    const s = window.kofferViewer;
    return { status: s.status, totals: s.totals, types: s.types, message: s.message, summary: s.summary };
  });
}

/** The digits of a number as the page prints it ("10,080", "10.080", "10 080"). */
function digits(text) {
  return Number(String(text).replace(/[^0-9]/g, ''));
}

/** Pixels of a canvas that are coloured (not grey, white or black): drawn data, not axes. */
async function colouredPixels(page, selector) {
  return page.$$eval(selector, (canvases) =>
    canvases.map((c) => {
      const ctx = c.getContext('2d');
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
      }
      return n;
    }),
  );
}

/** Clicks `selector` and returns the download it starts: `{ name, bytes }`. */
async function download(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: LOAD_TIMEOUT }), page.click(selector)]);
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

/** Where two JSON values differ: up to 8 lines `path: page value ≠ command value`, and a count. */
function jsonDiff(a, b, path = '$', out = []) {
  if (out.length > 8) return out;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) jsonDiff(a[k], b[k], `${path}.${k}`, out);
  } else if (!Object.is(a, b)) {
    out.push(`${path}: page ${JSON.stringify(a)} ≠ command ${JSON.stringify(b)}`);
  }
  return out;
}

/** The CSV header cells of `koffer export --format csv`: `[{ path, unit }]`. */
function csvColumns(csv) {
  // Headers are `path` or `path [unit]`; quoted only when they hold a comma or quote.
  return csvCells(csv.toString('utf8').split('\n')[0]).map((c) => {
    const m = /^(.*) \[(.*)\]$/.exec(c);
    return m ? { path: m[1], unit: m[2] } : { path: c, unit: null };
  });
}

/** The cells of one CSV line (RFC 4180 quoting; no line breaks inside cells). */
function csvCells(header) {
  const cells = [];
  let cur = '', q = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i];
    if (q) {
      if (ch === '"' && header[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { cells.push(cur); cur = ''; }
    else if (ch !== '\r') cur += ch;
  }
  cells.push(cur);
  return cells;
}

// ------------------------------------------------------------------ the page itself

describe('shipped page', () => {
  test('is one file with everything inlined and a CSP that forbids every connection', () => {
    const html = readFileSync(PAGE, 'utf8');
    const size = Buffer.byteLength(html);
    console.log(`# page: ${PAGE} ${size} bytes (target ≤ 1 MB: ${size <= 1 << 20 ? 'met' : 'missed'})`);
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
    assert.ok(meta, 'a Content-Security-Policy meta element');
    const csp = Object.fromEntries(
      meta[1]
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([k, ...v]) => [k.toLowerCase(), v]),
    );
    assert.deepEqual(csp['default-src'], ["'none'"], `default-src 'none' (CSP: ${meta[1]})`);
    // Directives that could reach the network: absent (so default-src 'none' holds) or 'none'.
    for (const d of ['connect-src', 'font-src', 'frame-src', 'child-src', 'worker-src', 'media-src',
      'object-src', 'manifest-src', 'prefetch-src', 'form-action', 'base-uri']) {
      if (csp[d]) assert.deepEqual(csp[d], ["'none'"], `${d} is 'none' (CSP: ${meta[1]})`);
    }
    // What remains may only name the page itself: no hosts, schemes or wildcards but data:/blob:.
    for (const [d, values] of Object.entries(csp)) {
      for (const v of values) {
        assert.ok(
          /^'[a-z0-9-]+'$/.test(v) || /^'(sha256|sha384|sha512|nonce)-[A-Za-z0-9+/=_-]+'$/.test(v) || v === 'data:' || v === 'blob:',
          `${d} allows ${v}`,
        );
        assert.notEqual(v, "'unsafe-eval'", `${d} allows 'unsafe-eval'`);
      }
    }
    assert.doesNotMatch(html, /<(script|img|iframe|link|audio|video|source|embed)\b[^>]*\s(src|href)\s*=\s*["']?(https?:|\/\/|ws)/i, 'no external resource');
    assert.doesNotMatch(html, /<script\b[^>]*\ssrc=/i, 'every script inline');
    assert.doesNotMatch(html, /<link\b[^>]*rel=["']?stylesheet/i, 'every style inline');
  });

  test('opens from file:// without a request or a console error', async () => {
    const { page, w } = await openViewer();
    const title = await page.title();
    assert.match(title, /koffer/i);
    await page.close();
    assertClean(w, 'empty page');
  });

  test('its CSP blocks fetch, XHR, WebSocket, beacon, image and script requests to a local server', async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      res.end('x');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}`;
    // Proof that the server answers when no CSP is in the way.
    const probe = await fetch(`${base}/probe`);
    assert.equal(await probe.text(), 'x');
    assert.equal(hits, 1);
    hits = 0;
    const { page } = await openViewer();
    const violations = await page.evaluate(async (base) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      const tries = [
        () => fetch(`${base}/fetch`),
        () => new Promise((res, rej) => {
          const x = new XMLHttpRequest();
          x.open('GET', `${base}/xhr`);
          x.onload = res;
          x.onerror = rej;
          x.send();
        }),
        () => new Promise((res) => {
          const ws = new WebSocket(base.replace('http', 'ws') + '/ws');
          ws.onerror = res;
          ws.onopen = res;
        }),
        () => navigator.sendBeacon(`${base}/beacon`, 'x'),
        () => new Promise((res) => {
          const i = new Image();
          i.onload = i.onerror = res;
          i.src = `${base}/img.png`;
        }),
        () => new Promise((res) => {
          const s = document.createElement('script');
          s.onload = s.onerror = res;
          s.src = `${base}/s.js`;
          document.head.append(s);
        }),
      ];
      for (const f of tries) {
        try { await f(); } catch (_) { /* blocked */ }
      }
      await new Promise((r) => setTimeout(r, 300));
      return seen;
    }, base);
    await page.close();
    await new Promise((r) => setTimeout(r, 200));
    server.close();
    assert.equal(hits, 0, 'requests that reached the local server');
    assert.ok(violations.length >= 5, `CSP violations reported: ${violations.join(', ')}`);
  });
});

// ------------------------------------------------------------------ named files

const NAMED = [
  'wearable.koffer', 'edge500.koffer', 'truncated.koffer', 'bitflip.koffer', 'empty.koffer', 'not-a-container.koffer',
  'sealed.koffer', 'sealed-cut.koffer', 'sealed-tampered.koffer',
];
/** Files with records: their CSV and JSON are compared with the command's. */
const WITH_RECORDS = ['wearable.koffer', 'edge500.koffer', 'truncated.koffer', 'bitflip.koffer'];

describe('files through the file input: status and totals equal koffer inspect --json', () => {
  for (const name of NAMED) {
    test(name, async () => {
      const exp = expected[name];
      const { page, w } = await openViewer();
      const got = await choose(page, fx.files[name]);
      assert.equal(got.status, exp.status, 'status');
      // What the page shows, not only its state.
      const word = await page.textContent('[data-testid="status-word"]');
      assert.equal(word.trim(), exp.status, 'status shown');
      assert.ok(await page.isVisible('[data-testid="status"]'), 'status visible');
      if (exp.json) {
        assert.equal(got.totals.records, exp.records, 'records');
        assert.equal(got.totals.blocks, exp.blocks, 'blocks');
        assert.equal(got.totals.frames, exp.json.frames.total, 'frames');
        assert.deepEqual(
          got.types.map((t) => ({ id: t.id, name: t.name, records: t.count })),
          exp.perType,
          'record types and their counts',
        );
        for (const t of exp.perType) {
          const shown = await page.textContent(`[data-testid="type-count-${t.id}"]`);
          assert.equal(digits(shown), t.records, `count shown for type ${t.id} (${shown})`);
        }
        const totals = await page.textContent('[data-testid="fact-totals"]');
        assert.ok(totals.replace(/[^0-9]/g, ' ').split(/\s+/).map(Number).includes(exp.records) ||
          digits(totals).toString().includes(String(exp.records)), `totals shown: ${totals}`);
        // The page's whole inspect report is the command's (but for the file's path).
        const diffs = jsonDiff({ ...got.summary.inspect, file: null }, { ...exp.json, file: null });
        assert.deepEqual(diffs, [], `summary.inspect differs from koffer inspect --json (${diffs.length} values)`);
      } else {
        assert.equal((got.totals ? got.totals.records : 0), 0, 'no records');
      }
      if (exp.status !== 'complete') {
        // Where and what was dropped (or why nothing could be read).
        const why = (await page.textContent('[data-testid="status"]')) + (got.message || '');
        assert.ok(why.length > exp.status.length + 10, `a clear message: ${why}`);
        if (exp.json && exp.json.incomplete) {
          assert.match(why.replace(/[^0-9]/g, ''), new RegExp(String(exp.json.incomplete.valid_len)), `valid length in: ${why}`);
        }
        if (exp.error && exp.json) {
          assert.match(why.replace(/[^0-9]/g, ''), new RegExp(String(exp.error.offset)), `error offset in: ${why}`);
        }
      }
      await page.close();
      assertClean(w, name);
    });
  }
});

describe('what the page shows of a file', () => {
  test('wearable.koffer: producer, export time, subject, time base', async () => {
    const { page, w } = await openViewer();
    await choose(page, fx.files['wearable.koffer']);
    const fact = (id) => page.textContent(`[data-testid="fact-${id}"]`);
    assert.match(await fact('producer'), /Acme Wearables/);
    assert.match(await fact('producer'), /Band 3/);
    assert.match(await fact('export-time'), /2026-09-21.07:42:10/);
    assert.match(await fact('subject'), /p-7f3a9c/);
    assert.match(await fact('time-base'), /unix/);
    await page.close();
    assertClean(w, 'facts');
  });

  for (const name of ['wearable.koffer', 'edge500.koffer']) {
    test(`${name}: every field with a unit shows it (the units of koffer export --format csv)`, async () => {
      const dir = join(fx.dir, `units-${name}`);
      const csv = exportCsv(fx.files[name], dir);
      const { page, w } = await openViewer();
      const got = await choose(page, fx.files[name]);
      let checked = 0;
      for (const t of got.types) {
        await page.click(`[data-testid="show-type-${t.id}"]`);
        await page.click('[data-testid="tab-fields"]');
        const csvName = Object.keys(csv.files).find((f) => f === `${t.name}.csv`) ??
          Object.keys(csv.files).find((f) => f.startsWith(`${t.name}`));
        assert.ok(csvName, `a CSV for type ${t.name}: ${Object.keys(csv.files)}`);
        for (const c of csvColumns(csv.files[csvName])) {
          if (!c.unit) continue;
          const row = page.locator(`[data-testid="fields-table"] [data-testid="field-${c.path}"]`);
          assert.equal(await row.count(), 1, `field row ${c.path} of ${t.name}`);
          const cells = await row.locator('td').allTextContents();
          assert.ok(cells.includes(c.unit), `unit ${c.unit} of ${t.name}.${c.path} in ${JSON.stringify(cells)}`);
          checked++;
        }
      }
      assert.ok(checked >= 5, `units checked: ${checked}`);
      await page.close();
      assertClean(w, `units ${name}`);
    });
  }

  for (const name of ['wearable.koffer', 'edge500.koffer']) {
    test(`${name}: a plot is drawn (coloured pixels on its canvas), titled with its unit`, async () => {
      const { page, w } = await openViewer();
      await choose(page, fx.files[name]);
      // The type with the most records.
      const types = await page.evaluate(() => window.kofferViewer.types);
      const big = types.reduce((a, b) => (b.count > a.count ? b : a));
      await page.click(`[data-testid="show-type-${big.id}"]`);
      await page.click('[data-testid="tab-plot"]');
      await page.waitForFunction(() => window.kofferViewer.plotted.length > 0 && window.kofferViewer.plotPoints > 0, null, { timeout: LOAD_TIMEOUT });
      const plotted = await page.evaluate(() => window.kofferViewer.plotted);
      const columns = await page.evaluate((id) => window.kofferViewer.summary.record_types.find((t) => t.id === id).columns, big.id);
      for (const path of plotted) {
        const c = columns.find((c) => c.path === path);
        const title = await page.textContent(`[data-testid="plot-${path}"] h3`);
        if (c && c.unit) assert.ok(title.includes(`[${c.unit}]`), `plot of ${path} titled with [${c.unit}]: ${title}`);
      }
      const counts = await colouredPixels(page, '[data-testid="plots"] canvas');
      assert.ok(counts.length >= plotted.length, `a canvas per plot: ${counts.length} for ${plotted}`);
      assert.ok(counts.every((n) => n > 200) && counts.length > 0, `coloured pixels per plot canvas: ${counts}`);
      // A second field ticked: one more plot.
      const boxes = page.locator('[data-testid="plot-fields"] input[type="checkbox"]:not(:checked)');
      if (await boxes.count()) {
        await boxes.first().check();
        await page.waitForFunction((n) => window.kofferViewer.plotted.length === n + 1, plotted.length);
        const again = await colouredPixels(page, '[data-testid="plots"] canvas');
        assert.ok(again.filter((n) => n > 200).length >= plotted.length + 1, `after ticking one more: ${again}`);
      }
      await page.screenshot({ path: join(shots, `plot-${name}.png`) });
      await page.close();
      assertClean(w, `plot ${name}`);
    });

    test(`${name}: the track is drawn from latitude and longitude`, async () => {
      const { page, w } = await openViewer();
      await choose(page, fx.files[name]);
      const types = await page.evaluate(() => window.kofferViewer.summary.record_types.filter((t) => t.track).map((t) => t.id));
      assert.ok(types.length > 0, 'a record type with a track');
      await page.click(`[data-testid="show-type-${types[0]}"]`);
      await page.click('[data-testid="tab-track"]');
      await page.waitForFunction(() => window.kofferViewer.trackPoints > 0, null, { timeout: LOAD_TIMEOUT });
      const [n] = await colouredPixels(page, '[data-testid="track-canvas"]');
      assert.ok(n > 200, `coloured pixels on the track: ${n}`);
      await page.close();
      assertClean(w, `track ${name}`);
    });
  }
});

describe('table', () => {
  test('wearable.koffer: the first and the last row of the table show the cells of the CSV', async () => {
    const csv = exportCsv(fx.files['wearable.koffer'], join(fx.dir, 'table-csv'));
    const lines = csv.files['sample.csv'].toString('utf8').trimEnd().split('\n');
    const { page, w } = await openViewer();
    const got = await choose(page, fx.files['wearable.koffer']);
    const sample = got.types.find((t) => t.name === 'sample');
    await page.click(`[data-testid="show-type-${sample.id}"]`);
    await page.click('[data-testid="tab-table"]');
    for (const n of [1, sample.count]) {
      await page.fill('[data-testid="goto-row"]', String(n));
      await page.press('[data-testid="goto-row"]', 'Enter');
      const row = page.locator(`[data-testid="grid"] tr[data-index="${n - 1}"]`);
      await row.waitFor({ timeout: LOAD_TIMEOUT });
      // Cells shown as the CSV has them; a time shown as a date keeps the raw value in its title.
      const cells = await row.locator('td').evaluateAll((tds) => tds.map((td) => ({ text: td.textContent, title: td.title })));
      assert.equal(cells[0].text, String(n), 'row number');
      const want = csvCells(lines[n]);
      assert.equal(cells.length - 1, want.length, `cells of row ${n}`);
      let compared = 0;
      want.forEach((v, k) => {
        const c = cells[k + 1];
        if (c.title && c.text !== v) return; // shown as a date or a quantity, raw in the title
        assert.equal(c.text, v, `row ${n}, column ${k}`);
        compared++;
      });
      assert.ok(compared >= want.length - 2, `cells compared in row ${n}: ${compared} of ${want.length}`);
    }
    await page.close();
    assertClean(w, 'table');
  });
});

describe('saving: the same bytes as the command', () => {
  for (const name of WITH_RECORDS) {
    test(`${name}: each type's CSV equals koffer export --format csv`, async () => {
      const dir = join(fx.dir, `csv-${name}`);
      const csv = exportCsv(fx.files[name], dir);
      assert.ok(Object.keys(csv.files).length > 0, 'the command wrote CSV files');
      const { page, w } = await openViewer();
      const got = await choose(page, fx.files[name]);
      const saved = {};
      for (const t of got.types) {
        await page.click(`[data-testid="show-type-${t.id}"]`);
        const d = await download(page, '[data-testid="save-csv"]');
        saved[d.name] = d.bytes;
      }
      assert.deepEqual(Object.keys(saved).sort(), Object.keys(csv.files).sort(), 'file names');
      for (const [f, bytes] of Object.entries(csv.files)) {
        assert.ok(saved[f].equals(bytes), `${f}: ${saved[f].length} bytes saved, ${bytes.length} from the command${
          saved[f].equals(bytes) ? '' : `; first difference at byte ${[...bytes].findIndex((b, i) => saved[f][i] !== b)}`}`);
      }
      await page.close();
      assertClean(w, `csv ${name}`);
    });

    test(`${name}: the saved JSON equals koffer export --format json`, async () => {
      const exp = exportJson(fx.files[name]);
      assert.ok(exp.bytes.length > 0);
      const { page, w } = await openViewer();
      await choose(page, fx.files[name]);
      const d = await download(page, '[data-testid="save-json"]');
      assert.match(d.name, /\.json$/);
      assert.ok(d.bytes.equals(exp.bytes), `${d.bytes.length} bytes saved, ${exp.bytes.length} from the command`);
      await page.close();
      assertClean(w, `json ${name}`);
    });
  }
});

// ------------------------------------------------------------------ damage

describe('random damage', () => {
  const mismatches = [];
  const failures = [];
  const statuses = {};

  test(`${CORRUPTIONS} seeded corruptions of the sample: the page stays alive and shows a status every time`, async () => {
    const sample = readFileSync(fx.files['wearable.koffer']);
    const rng = new Rng(CORRUPTION_SEED);
    const dir = join(fx.dir, 'corruptions');
    mkdirSync(dir, { recursive: true });
    let { page, w } = await openViewer();
    const watchers = [w];
    for (let i = 0; i < CORRUPTIONS; i++) {
      const c = corrupt(sample, rng);
      const name = `corrupt-${String(i).padStart(2, '0')}.koffer`;
      const path = join(dir, name);
      writeFileSync(path, c.bytes);
      const exp = inspect(path);
      const what = `${name} (${c.kind}: ${c.detail})`;
      let got = null;
      try {
        got = await choose(page, { name, buffer: c.bytes });
        // Alive: the page answers and shows the status.
        const word = await page.textContent('[data-testid="status-word"]', { timeout: 5000 });
        assert.ok(STATUS_WORDS.includes(word.trim()), `${what}: status shown: ${word}`);
        assert.equal(await page.isVisible('[data-testid="status"]'), true, `${what}: status visible`);
        statuses[word.trim()] = (statuses[word.trim()] || 0) + 1;
        if (got.status !== exp.status || (exp.json && got.totals.records !== exp.records)) {
          mismatches.push(`${what}: page ${got.status}/${got.totals && got.totals.records} records, koffer inspect ${exp.status}/${exp.records}`);
        }
      } catch (e) {
        failures.push(`${what}: ${e.message.split('\n')[0]}`);
        // A hung or dead tab: note it and go on in a fresh one.
        await page.close().catch(() => {});
        ({ page, w } = await openViewer());
        watchers.push(w);
      }
      if (w.crashed) failures.push(`${what}: the tab crashed`);
    }
    await page.close();
    console.log(`# corruptions: statuses shown ${JSON.stringify(statuses)}`);
    assert.deepEqual(failures, [], 'hung, dead or silent pages');
    for (const x of watchers) assertClean(x, 'corruptions');
  });

  test('a file above the page\'s limit (sparse, 1.1 GiB) is refused with a message; the tab lives', async () => {
    const path = join(fx.dir, 'huge.koffer');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 2 ** 30 + 100 * 2 ** 20);
    closeSync(fd);
    const { page, w } = await openViewer();
    const limit = await page.textContent('[data-testid="limit"]');
    const got = await choose(page, path);
    assert.equal(got.status, null, 'no status: not read');
    assert.match(got.message || '', /huge\.koffer/, `the message names the file: ${got.message}`);
    assert.ok(await page.isVisible('[data-testid="message"]'), 'the message is shown');
    assert.ok(limit.trim().length > 0, 'the limit is stated before choosing');
    assert.equal(await page.evaluate(() => 1 + 1), 2, 'the tab answers');
    // And the next file is read as usual.
    const next = await choose(page, fx.files['wearable.koffer']);
    assert.equal(next.status, 'complete');
    await page.close();
    assertClean(w, 'huge');
  });

  test('the corruptions: each status and record count equals koffer inspect', () => {
    assert.ok(Object.values(statuses).reduce((a, b) => a + b, 0) > 0, 'corruptions were loaded');
    assert.deepEqual(mismatches, []);
  });
});

// ------------------------------------------------------------------ koffer view

describe('koffer view', () => {
  test('koffer view --no-open writes a page that opens with the file loaded', async () => {
    const { koffer } = tools();
    const file = fx.files['wearable.koffer'];
    const r = spawnSync(koffer, ['view', '--no-open', file], { encoding: 'utf8', cwd: fx.dir, timeout: 60_000 });
    assert.equal(r.status, 0, `koffer view exit status; stderr: ${r.stderr}`);
    const out = `${r.stdout}\n${r.stderr}`;
    const path = (out.match(/(\/[^\s'"]+\.html)/) || [])[1];
    assert.ok(path && existsSync(path), `the page's path in the output: ${out}`);
    const url = fileUrl(path);
    const { page, w } = await openViewer(url);
    await page.waitForFunction(() => window.kofferViewer.status !== null, null, { timeout: LOAD_TIMEOUT });
    const got = await page.evaluate(() => ({ status: window.kofferViewer.status, totals: window.kofferViewer.totals, file: window.kofferViewer.file }));
    const exp = expected['wearable.koffer'];
    assert.equal(got.status, exp.status);
    assert.equal(got.totals.records, exp.records);
    assert.equal(got.file.name, 'wearable.koffer');
    assert.equal((await page.textContent('[data-testid="status-word"]')).trim(), exp.status);
    await page.close();
    assertClean(w, 'koffer view');
  });
});

// ------------------------------------------------------------------ language

describe('language', () => {
  test('English and German: the switch changes the words, the status word stays the command\'s', async () => {
    const { page, w } = await openViewer();
    await choose(page, fx.files['truncated.koffer']);
    const english = await page.textContent('[data-testid="status"]');
    await page.selectOption('[data-testid="lang"]', 'de');
    await page.waitForFunction(() => window.kofferViewer.lang === 'de');
    const german = await page.textContent('[data-testid="status"]');
    assert.notEqual(german, english, 'the status line is translated');
    assert.equal((await page.textContent('[data-testid="status-word"]')).trim(), 'incomplete');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
    await page.selectOption('[data-testid="lang"]', 'en');
    await page.waitForFunction(() => window.kofferViewer.lang === 'en');
    assert.equal(await page.textContent('[data-testid="status"]'), english, 'back to English');
    await page.close();
    assertClean(w, 'language');
  });
});

// ------------------------------------------------------------------ receipts

describe('disclosure receipts', () => {
  test('shared.koffer: who received what, when and why, in English and German; screenshots', async () => {
    const { page, w } = await openViewer();
    await page.setViewportSize({ width: 1280, height: 800 });
    const r = await choose(page, fx.files['shared.koffer']);
    assert.equal(r.status, 'complete');
    const receipts = expected['shared.koffer'].json.receipts;
    assert.equal(receipts.length, 1, 'koffer inspect --json lists the receipt');
    const cards = await page.$$('[data-testid="receipt"]');
    assert.equal(cards.length, 1);
    const text = (sel) => page.textContent(`[data-testid="${sel}"]`);
    const box = await text('summary-extra');
    assert.match(box, /Shared with others \(1\)/);
    assert.match(box, /Received by Sleep Lab Basel \(https:\/\/sleeplab\.example\/\) — on \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)? UTC/);
    assert.equal(await text('receipt-why'), 'sleep study (research and development)');
    assert.equal(await text('receipt-basis'), 'consent');
    const what = await page.$$eval('[data-testid="receipt-what-item"]', (li) => li.map((x) => x.textContent));
    assert.deepEqual(what, [
      '1,440 records of “sample”, from 2026-09-15 00:00 UTC until 2026-09-16 00:00 UTC; fields left out: lat, lon; heart_rate rounded to multiples of 5',
      '7 records of “event”, from 2026-09-15 00:00 UTC until 2026-09-16 00:00 UTC',
    ]);
    assert.equal(await text('receipt-keep'), 'until 2027-01-01 00:00 UTC');
    assert.equal(await text('receipt-by'), 'owner');
    assert.equal(await text('receipt-id'), receipts[0].id);
    await page.screenshot({ path: join(shots, 'receipts-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than the window`);
    await page.screenshot({ path: join(shots, 'receipts-390.png'), fullPage: true });
    console.log(`# screenshots: ${join(shots, 'receipts-1280.png')}, ${join(shots, 'receipts-390.png')}`);
    await page.selectOption('[data-testid="lang"]', 'de');
    await page.waitForFunction(() => window.kofferViewer.lang === 'de');
    assert.match(await text('summary-extra'), /Weitergegeben an andere \(1\)/);
    assert.equal(await text('receipt-basis'), 'Einwilligung');
    assert.equal(await text('receipt-why'), 'sleep study (Forschung und Entwicklung)');
    // A file without receipts shows none.
    await choose(page, fx.files['wearable.koffer']);
    assert.equal((await page.$$('[data-testid="receipt"]')).length, 0);
    assert.equal(await text('summary-extra'), '');
    await page.close();
    assertClean(w, 'receipts');
  });
});

// ------------------------------------------------------------------ seals

/** Chooses a public key file in the seal section; waits until the page has compared it. */
async function chooseKey(page, path) {
  const name = path.split('/').pop();
  await page.setInputFiles('[data-testid="seal-key-input"]', path);
  await page.waitForFunction((n) => window.kofferViewer.sealKey && window.kofferViewer.sealKey.name === n, name, {
    timeout: LOAD_TIMEOUT,
  });
  return page.evaluate(() => window.kofferViewer.sealKey);
}

/** `koffer verify --key`'s "authentic up to byte X (seal k)" or "at byte X: not authentic: KIND". */
function cliUpTo(out) {
  const m = /authentic up to byte (\d+) \(seal (\d+)\)/.exec(out);
  return m ? { len: Number(m[1]), seals: Number(m[2]) } : { len: 0, seals: 0 };
}

describe('seals', () => {
  // In English whatever language an earlier test left saved.
  const EN = `${PAGE_URL}#lang=en`;
  const text = (page, sel) => page.textContent(`[data-testid="${sel}"]`);

  test('sealed.koffer: sealed and unaltered to the end; the key id of koffer inspect; the vendor key matches, another does not; screenshots', async () => {
    const { page, w } = await openViewer(EN);
    await page.setViewportSize({ width: 1280, height: 800 });
    const r = await choose(page, fx.files['sealed.koffer']);
    assert.equal(r.status, 'complete');
    const seal = await page.evaluate(() => window.kofferViewer.seal);
    const exp = expected['sealed.koffer'].json.seals;
    assert.equal(seal.verdict, 'authentic');
    assert.equal(seal.key.key_id, exp.key.key_id, 'key id as koffer inspect --json');
    assert.equal(seal.seals, exp.count, 'every seal checked');
    assert.ok(seal.seals >= 3, `several seals (${seal.seals})`);
    assert.equal(seal.records_authentic, seal.records);
    const cli = verifyKey(fx.files['sealed.koffer'], fx.files['vendor.pub']);
    assert.equal(cli.exit, 0, cli.out);
    assert.match(cli.out, new RegExp(`key id ${exp.key.key_id} \\(EdDSA\\), ${seal.seals} seals; bytes 0\\.\\.${seal.authentic_len} sealed`));
    assert.ok(await page.isVisible('[data-testid="seal"]'));
    assert.equal(await page.getAttribute('[data-testid="seal"]', 'data-verdict'), 'authentic');
    assert.equal(await text(page, 'seal-word'), '✓ Sealed and unaltered');
    assert.match(await text(page, 'seal-text'), new RegExp(`covered by its ${seal.seals} seals`));
    assert.equal(await text(page, 'seal-key-id'), exp.key.key_id);
    assert.match(await text(page, 'seal-means'), /does not prove who/);
    assert.equal(await text(page, 'fact-seal'), '✓ Sealed and unaltered');
    // The vendor's key.
    let k = await chooseKey(page, fx.files['vendor.pub']);
    assert.deepEqual(k, { name: 'vendor.pub', valid: true, key_id: exp.key.key_id, matches: true });
    assert.equal(await page.getAttribute('[data-testid="seal-key-result"]', 'data-match'), 'true');
    assert.equal(await text(page, 'seal-key-result'), '✓ Matches the vendor\'s key you provided (vendor.pub).');
    await page.screenshot({ path: join(shots, 'seal-1280.png') });
    // Another key: the command refuses it too (UntrustedKey, status 6).
    k = await chooseKey(page, fx.files['other.pub']);
    assert.equal(k.valid, true);
    assert.equal(k.matches, false);
    assert.notEqual(k.key_id, exp.key.key_id);
    const other = verifyKey(fx.files['sealed.koffer'], fx.files['other.pub']);
    assert.equal(other.exit, 6, other.out);
    assert.match(other.out, /UntrustedKey/);
    assert.equal(await page.getAttribute('[data-testid="seal-key-result"]', 'data-match'), 'false');
    assert.match(await text(page, 'seal-key-result'), new RegExp(`^✗ Does not match the key you provided \\(other\\.pub, key id ${k.key_id}\\): this file was sealed with another key \\(${exp.key.key_id}\\)`));
    // A file that is not a key file.
    k = await chooseKey(page, fx.files['not-a-key.pub']);
    assert.equal(k.valid, false);
    assert.equal(await page.getAttribute('[data-testid="seal-key-result"]', 'data-match'), 'invalid');
    assert.match(await text(page, 'seal-key-result'), /not-a-key\.pub is not a koffer public key file/);
    // German.
    await page.selectOption('[data-testid="lang"]', 'de');
    await page.waitForFunction(() => window.kofferViewer.lang === 'de');
    assert.equal(await text(page, 'seal-word'), '✓ Versiegelt und unverändert');
    assert.match(await text(page, 'seal-key-result'), /keine öffentliche koffer-Schlüsseldatei/);
    await chooseKey(page, fx.files['vendor.pub']);
    assert.match(await text(page, 'seal-key-result'), /^✓ Passt zum Schlüssel des Herstellers/);
    await page.selectOption('[data-testid="lang"]', 'en');
    await page.waitForFunction(() => window.kofferViewer.lang === 'en');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than the window`);
    await page.screenshot({ path: join(shots, 'seal-390.png'), fullPage: true });
    // The next file starts without the key compared.
    await choose(page, fx.files['wearable.koffer']);
    assert.equal(await page.evaluate(() => window.kofferViewer.sealKey), null);
    const errors = await page.evaluate(() => window.kofferViewer.errors);
    assert.deepEqual(errors, [], 'nothing alarming');
    await page.close();
    assertClean(w, 'sealed');
  });

  test('wearable.koffer (not sealed): no seal section, the fact says so calmly', async () => {
    const { page, w } = await openViewer(EN);
    await choose(page, fx.files['wearable.koffer']);
    const seal = await page.evaluate(() => window.kofferViewer.seal);
    assert.equal(seal.verdict, 'unsealed');
    assert.equal(await page.isVisible('[data-testid="seal"]'), false);
    assert.equal(await text(page, 'fact-seal'), 'none (this file is not sealed)');
    assert.deepEqual(await page.evaluate(() => window.kofferViewer.errors), []);
    await page.close();
    assertClean(w, 'unsealed');
  });

  test('sealed-cut.koffer: authentic up to the last seal before the cut, as koffer verify --key says', async () => {
    const { page, w } = await openViewer(EN);
    const r = await choose(page, fx.files['sealed-cut.koffer']);
    assert.equal(r.status, 'incomplete');
    const seal = await page.evaluate(() => window.kofferViewer.seal);
    assert.equal(seal.verdict, 'prefix');
    const cli = verifyKey(fx.files['sealed-cut.koffer'], fx.files['vendor.pub']);
    assert.equal(cli.exit, 3, cli.out);
    assert.deepEqual({ len: seal.authentic_len, seals: seal.seals }, cliUpTo(cli.out));
    assert.ok(seal.seals > 0 && seal.records_authentic > 0 && seal.records_authentic < seal.records, JSON.stringify(seal));
    // Each sealed record lies before the last good seal; the ones after it do not.
    const full = expected['sealed.koffer'].json.records;
    assert.ok(seal.records_authentic < full);
    assert.equal(await page.getAttribute('[data-testid="seal"]', 'data-verdict'), 'prefix');
    assert.equal(await text(page, 'seal-word'), '◐ Sealed only in part');
    const said = await text(page, 'seal-text');
    assert.ok(said.includes(`The first ${seal.records_authentic.toLocaleString('en-US')} of ${seal.records.toLocaleString('en-US')} records`), said);
    assert.ok(said.includes(`bytes 0 to ${seal.authentic_len.toLocaleString('en-US')}`), said);
    assert.match(await text(page, 'seal-detail'), /cut short/);
    await page.screenshot({ path: join(shots, 'seal-cut-1280.png') });
    const k = await chooseKey(page, fx.files['vendor.pub']);
    assert.equal(k.matches, true);
    assert.equal(await text(page, 'seal-key-result'), 'The file names the vendor\'s key you provided (vendor.pub); how far its seals hold is said above.');
    await page.close();
    assertClean(w, 'sealed-cut');
  });

  test('sealed-tampered.koffer (one record byte changed, checksums rebuilt): NOT authentic, DigestMismatch, as koffer verify --key says', async () => {
    const { page, w } = await openViewer(EN);
    await page.setViewportSize({ width: 390, height: 844 });
    const r = await choose(page, fx.files['sealed-tampered.koffer']);
    // The container is intact: only the seals show the change.
    assert.equal(r.status, 'complete');
    assert.equal(expected['sealed-tampered.koffer'].status, 'complete');
    const seal = await page.evaluate(() => window.kofferViewer.seal);
    assert.equal(seal.verdict, 'not_authentic');
    assert.equal(seal.error.kind, 'DigestMismatch');
    const cli = verifyKey(fx.files['sealed-tampered.koffer'], fx.files['vendor.pub']);
    assert.equal(cli.exit, 6, cli.out);
    assert.match(cli.out, new RegExp(`at byte ${seal.error.offset}: not authentic: DigestMismatch: .* seal at byte ${seal.error.seal_at} `));
    assert.deepEqual({ len: seal.authentic_len, seals: seal.seals }, cliUpTo(cli.out));
    assert.equal(seal.error.offset, seal.authentic_len, 'altered after the last good seal');
    assert.equal(await page.getAttribute('[data-testid="seal"]', 'data-verdict'), 'not_authentic');
    assert.equal(await text(page, 'seal-word'), '✗ NOT authentic');
    assert.equal(
      await text(page, 'seal-text'),
      `The file was altered after it was sealed: the bytes between byte ${seal.error.offset.toLocaleString('en-US')} and the seal at byte ${seal.error.seal_at.toLocaleString('en-US')} are not the bytes that were sealed (a changed record, for example).`,
    );
    assert.match(await text(page, 'seal-detail'), new RegExp(`do not rely on anything after byte ${seal.authentic_len.toLocaleString('en-US')}\\. Its checksums are correct all the same`));
    assert.equal(await text(page, 'seal-tech'), `(koffer verify --key: DigestMismatch at byte ${seal.error.offset.toLocaleString('en-US')})`);
    await chooseKey(page, fx.files['vendor.pub']);
    await page.screenshot({ path: join(shots, 'seal-tampered-390.png'), fullPage: true });
    console.log(`# screenshots: ${['seal-1280.png', 'seal-390.png', 'seal-cut-1280.png', 'seal-tampered-390.png'].map((f) => join(shots, f)).join(', ')}`);
    const errors = await page.evaluate(() => window.kofferViewer.errors);
    assert.ok(errors.some((e) => /not authentic: DigestMismatch/.test(e)), errors.join('\n'));
    await page.close();
    assertClean(w, 'sealed-tampered');
  });

  test('spec/vectors/seal: each vector gives the report of its .json (with key.pub)', async () => {
    const dir = join(ROOT, 'spec/vectors/seal');
    const names = readdirSync(dir).filter((f) => f.endsWith('.koffer')).sort();
    assert.ok(names.length >= 20, `${names.length} vectors`);
    const { page, w } = await openViewer(EN);
    for (const name of names) {
      const want = JSON.parse(readFileSync(join(dir, name.replace('.koffer', '.json')), 'utf8'));
      await choose(page, join(dir, name));
      const seal = await page.evaluate(() => window.kofferViewer.seal);
      const shown = await page.isVisible('[data-testid="seal"]');
      const what = `${name}: ${JSON.stringify(seal)}`;
      if (want.verdict === 'authentic') {
        assert.equal(seal.verdict, 'authentic', what);
      } else if (want.verdict === 'prefix') {
        assert.equal(seal.verdict, 'prefix', what);
        assert.equal(seal.authentic_len, want.authentic_len, what);
        assert.equal(seal.seals, want.seals, what);
        // Cut inside its last block: every record shown is sealed, the torn rest is not.
        assert.equal(seal.records_authentic, seal.records, what);
        assert.equal(
          await text(page, 'seal-text'),
          `All ${seal.records} records are sealed and unaltered (bytes 0 to ${want.authentic_len} of ${seal.file_len}). The last ${seal.file_len - want.authentic_len} bytes carry no seal, but hold none of the records shown.`,
        );
      } else if (want.error === 'UntrustedKey') {
        // Sealed intact by its own key, which is not key.pub.
        assert.equal(seal.verdict, 'authentic', what);
        const k = await chooseKey(page, join(dir, want.key));
        assert.equal(k.matches, false, what);
        assert.match(await text(page, 'seal-key-result'), /^✗ Does not match/);
      } else if (want.error === 'Unsealed') {
        assert.equal(seal.verdict, 'unsealed', what);
        assert.equal(shown, false, what);
        assert.equal(await text(page, 'fact-seal'), 'none (this file is not sealed)');
        continue;
      } else {
        assert.equal(seal.verdict, 'not_authentic', what);
        assert.equal(seal.error.kind, want.error, what);
        assert.equal(seal.error.offset, want.offset, what);
        assert.equal(await text(page, 'seal-word'), '✗ NOT authentic', what);
        assert.ok((await text(page, 'seal-tech')).includes(`${want.error}`), what);
      }
      assert.equal(shown, true, what);
      if (seal.key && want.error !== 'UntrustedKey') {
        const k = await chooseKey(page, join(dir, want.key));
        assert.equal(k.matches, true, what);
      }
    }
    await page.close();
    assertClean(w, 'seal vectors');
  });
});

// ------------------------------------------------------------------ layout

describe('layout', () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    test(`${label} ${viewport.width}×${viewport.height}: screenshot, nothing wider than the window`, async () => {
      const { page, w } = await openViewer();
      await page.setViewportSize(viewport);
      await choose(page, fx.files['wearable.koffer']);
      await page.click('[data-testid="tab-plot"]');
      await page.waitForFunction(() => window.kofferViewer.plotPoints > 0, null, { timeout: LOAD_TIMEOUT });
      const path = join(shots, `koffer-viewer-${viewport.width}x${viewport.height}.png`);
      await page.screenshot({ path });
      await page.screenshot({ path: path.replace('.png', '-full.png'), fullPage: true });
      console.log(`# screenshot: ${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page is ${overflow} px wider than the window`);
      await page.close();
      assertClean(w, `layout ${label}`);
    });
  }
});
