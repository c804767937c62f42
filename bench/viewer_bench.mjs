// Measures the run page of `slotsim view` in headless Chromium: first
// render (the diagram drawn with data) and interactive (every panel drawn,
// every control live), from navigation start, as the page records them in
// body[data-first-render-ms] and body[data-interactive-ms]. "cold" is the
// first visit after the server started (nothing cached), "warm" a second
// visit. Then the latency of a scrub and a zoom on the big run.
//   node bench/viewer_bench.mjs SLOTSIM DB REPEATS
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'tests/viewer/package.json'));
const { chromium } = require('playwright-core');
const [bin, db, repeatsArg] = process.argv.slice(2);
const repeats = Number(repeatsArg || 3);

async function startServer() {
  const server = spawn(bin, ['view', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => { const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(String(d)); if (m) resolve(`http://127.0.0.1:${m[1]}`); });
    server.on('exit', (code) => reject(new Error(`slotsim view exited with ${code}`)));
  });
  return { server, base };
}

async function visit(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  const t = await page.locator('body').evaluate((b) => ({ first: Number(b.dataset.firstRenderMs), interactive: Number(b.dataset.interactiveMs) }));
  return { page, ...t };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const { base: probe, server: probeServer } = await startServer();
const runs = (await (await fetch(`${probe}/api/runs?sort=events`)).json()).runs;
probeServer.kill();
const [small, big] = runs;
const results = {};
for (const r of [small, big]) results[r.id] = { cold: [], warm: [], scrub: [], zoom: [] };
for (let i = 0; i < repeats; i++) {
  const { server, base } = await startServer();
  for (const r of [small, big]) {
    const cold = await visit(browser, `${base}/#/run/${r.id}`);
    results[r.id].cold.push(cold);
    await cold.page.close();
    const warm = await visit(browser, `${base}/#/run/${r.id}`);
    results[r.id].warm.push(warm);
    // A scrub to the middle of the run: until the state table shows it.
    const mid = Math.round(r.sim_seconds * 5e5 / 1000) * 1000 + 1;
    let t0 = Date.now();
    await warm.page.fill('#scrubber-time', (mid / 1e6).toFixed(6));
    await warm.page.press('#scrubber-time', 'Enter');
    await warm.page.waitForSelector(`#scrubber[data-t="${mid}"]`, { timeout: 60000 });
    results[r.id].scrub.push(Date.now() - t0);
    // A zoom: until the diagram has drawn the new window's messages.
    const box = await warm.page.locator('#diagram canvas').boundingBox();
    await warm.page.mouse.move(box.x + box.width / 2, box.y + 60);
    const before = await warm.page.locator('#diagram-status').textContent();
    t0 = Date.now();
    await warm.page.mouse.wheel(0, -400);
    await warm.page.locator('#diagram-status').filter({ hasNotText: before }).filter({ hasNotText: 'loading' }).waitFor({ timeout: 60000 });
    results[r.id].zoom.push(Date.now() - t0);
    await warm.page.close();
  }
  server.kill();
}
await browser.close();

console.log(`| run | records | first render, cold (ms) | interactive, cold (ms) | first render, warm (ms) | interactive, warm (ms) | scrub (ms) | zoom (ms) |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of [small, big]) {
  const x = results[r.id];
  console.log(`| ${r.scenario} | ${r.events.toLocaleString('en-US')} | ${median(x.cold.map((v) => v.first))} | ${median(x.cold.map((v) => v.interactive))} | ` +
    `${median(x.warm.map((v) => v.first))} | ${median(x.warm.map((v) => v.interactive))} | ${median(x.scrub)} | ${median(x.zoom)} |`);
}
const ratio = (k, f) => (median(results[big.id][k].map(f)) / median(results[small.id][k].map(f))).toFixed(2);
console.log(`\nmedians of ${repeats}; the 1M-record run against the baseline: interactive cold ${ratio('cold', (v) => v.interactive)}x, ` +
  `warm ${ratio('warm', (v) => v.interactive)}x, scrub ${ratio('scrub', (v) => v)}x, zoom ${ratio('zoom', (v) => v)}x`);
