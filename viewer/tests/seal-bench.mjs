// Time of the seal check in the page (not a test; figures for BENCHMARKS.md, "Viewer: seals"):
//   node viewer/tests/seal-bench.mjs FILE [FILE...]
// Opens the shipped page in headless Chromium, chooses each file through the file input and
// prints the page's User Timing measures `read`, `open` and `seals` (wall time), the renderer's
// CPU time for the whole load (SystemInfo.getProcessInfo), and the verdict.
import { readdirSync, readFileSync } from 'node:fs';

import { launch, fileUrl } from './lib/browser.mjs';
import { PAGE } from './lib/fixtures.mjs';

const b = await launch();
for (const path of process.argv.slice(2)) {
  for (let run = 0; run < 3; run++) {
    const page = await b.context.newPage();
    await page.goto(`${fileUrl(PAGE)}#lang=en`);
    await page.waitForFunction(() => window.kofferViewer.ready, null, { timeout: 60_000 });
    // CPU seconds (user + system) of this browser's renderer processes, from /proc.
    const cpu = async () => {
      let ticks = 0;
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (!cmd.includes('--type=renderer') || !cmd.includes(b.userDataDir)) continue;
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          ticks += Number(f[11]) + Number(f[12]);
        } catch (_) { /* gone */ }
      }
      return ticks / 100;
    };
    const cpu0 = await cpu();
    await page.setInputFiles('[data-testid="file-input"]', path);
    await page.waitForFunction(() => !window.kofferViewer.loading && window.kofferViewer.seal, null, { timeout: 300_000 });
    const r = await page.evaluate(() => ({
      m: Object.fromEntries(performance.getEntriesByType('measure').map((e) => [e.name, Math.round(e.duration)])),
      v: window.kofferViewer.seal.verdict,
      seals: window.kofferViewer.seal.seals,
    }));
    const cpuMs = (await cpu()) - cpu0;
    console.log(`${path.split('/').pop()} run ${run + 1}: read ${r.m.read} ms, open ${r.m.open} ms, seals ${r.m.seals} ms; renderer CPU ${(cpuMs).toFixed(2)} s (${r.v}, ${r.seals} seals)`);
    await page.close();
  }
}
await b.close();
