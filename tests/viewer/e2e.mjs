// End-to-end test of `slotsim view` in Debian's Chromium (ctest viewer.e2e).
// Records two seeds of failover-during-migration.textproto, serves them and
// drives the pages: the diagram's partition band and failover messages,
// the scrubber across the promoted replica's epoch change, the slot map's
// owner change at the hand-off, a violation marker's jump, the runs list
// and the compare page. Screenshots go to OUT_DIR.
//
// usage: node e2e.mjs SLOTSIM_BINARY SOURCE_DIR OUT_DIR [README_SCREENSHOT]
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [bin, src, outDir, readmeShot] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'viewer-e2e-'));
const db = join(work, 'trace.db');
// Runs 1 and 2: seeds 1 and 2. Run 3: seed 1 again, with the network's
// randomness perturbed at 12 s, so that it equals run 1 up to there.
const scenario = join(src, 'tests/viewer/failover-during-migration.textproto');
for (const extra of [['--seed', '1'], ['--seed', '2'], ['--seed', '1', '--debug-perturb-at-ms', '12000']])
  execFileSync(bin, ['run', scenario, ...extra, '--db', db], { stdio: 'ignore' });

const failures = [];
function check(cond, what) {
  if (!cond) { failures.push(what); console.error(`FAIL: ${what}`); } else console.log(`ok: ${what}`);
}

const server = spawn(bin, ['view', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  server.stdout.on('data', (d) => { const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(String(d)); if (m) resolve(`http://127.0.0.1:${m[1]}`); });
  server.on('exit', (code) => reject(new Error(`slotsim view exited with ${code}`)));
});
const api = async (path) => (await fetch(base + path)).json();

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const ready = () => page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });

  // The runs list: both runs, filters, the repro command.
  await page.goto(`${base}/#/runs`);
  await ready();
  check(await page.locator('#runs-table tbody tr').count() === 3, 'runs list shows every run');
  check((await page.locator('#runs-table tbody tr').first().textContent()).includes('slotsim run '), 'each run shows its repro command');
  await page.fill('#filter-seed', '2');
  await page.press('#filter-seed', 'Enter');
  await page.waitForSelector('#runs-table tbody tr[data-run="2"]');
  await ready();
  check(await page.locator('#runs-table tbody tr').count() === 1, 'the seed filter leaves one run');
  await page.screenshot({ path: join(outDir, 'runs.png'), fullPage: true });

  // The run page.
  const summary = await api('/api/runs/1');
  await page.goto(`${base}/#/run/1`);
  await ready();
  await page.waitForSelector('#diagram[data-rendered="1"]');
  const diagram = await page.locator('#diagram').evaluate((e) => ({ ...e.dataset }));
  check(Number(diagram.partitionBands) >= 1, `the diagram shows the partition band (${diagram.partitionBands})`);
  check(/FAILOVER_AUTH_REQUEST:\d+/.test(diagram.drawnTypes) && /FAILOVER_AUTH_ACK:\d+/.test(diagram.drawnTypes),
    `the diagram draws the failover messages (${diagram.drawnTypes})`);
  await page.locator('#diagram').screenshot({ path: join(outDir, 'diagram.png') });
  // Zoom and pan change the window; double-click shows the whole run.
  const box = await page.locator('#diagram canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 60);
  await page.mouse.wheel(0, -400);
  const zoomed = await page.locator('#diagram').evaluate((e) => Number(e.dataset.to) - Number(e.dataset.from));
  check(zoomed < summary.end_us, `the wheel zooms in (${zoomed} < ${summary.end_us} µs)`);
  await page.mouse.dblclick(box.x + box.width / 2, box.y + 60);
  const whole = await page.locator('#diagram').evaluate((e) => Number(e.dataset.to) - Number(e.dataset.from));
  check(whole === summary.end_us, 'double-click shows the whole run again');

  // The scrubber across node 3's promotion.
  const done = summary.marks.find((m) => m.kind === 'FailoverDone' && m.node === 3);
  check(done !== undefined, 'node 3 fails over in this run');
  const scrubTo = async (us) => {
    await page.fill('#scrubber-time', `${(us / 1e6).toFixed(6)}`);
    await page.press('#scrubber-time', 'Enter');
    await page.waitForSelector(`#scrubber[data-t="${us}"]`);
  };
  const node3 = async () => page.locator('#state-table tr[data-node="3"]').evaluate((tr) => ({
    role: tr.querySelector('.role').textContent, config: Number(tr.querySelector('.config-epoch').textContent),
    current: Number(tr.querySelector('.current-epoch').textContent) }));
  await scrubTo(done.time_us - 1);
  const before = await node3();
  await scrubTo(done.time_us + 1000);
  const after = await node3();
  check(before.role === 'replica' && after.role === 'primary', `the scrubber shows node 3 promoted (${before.role} → ${after.role})`);
  check(after.config > before.config, `the scrubber shows node 3's configEpoch change (${before.config} → ${after.config})`);
  await page.locator('#scrubber').screenshot({ path: join(outDir, 'scrubber.png') });

  // The slot map across slot 0's hand-off from node 0 to node 1.
  const owner = async () => Number(await page.locator('#slot-probe-result li[data-node="1"]').getAttribute('data-owner'));
  await page.fill('#slot-probe', '0');
  await scrubTo(7000000);
  const ownerBefore = await owner();
  await page.selectOption('#slotmap-node', '1');
  await page.locator('#slotmap').screenshot({ path: join(outDir, 'slotmap-before.png') });
  await scrubTo(9400000);
  const ownerAfter = await owner();
  check(ownerBefore === 0 && ownerAfter === 1, `the slot map changes slot 0's owner at the hand-off (node${ownerBefore} → node${ownerAfter})`);
  await page.locator('#slotmap').screenshot({ path: join(outDir, 'slotmap-after.png') });

  // A violation marker jumps to the record behind it.
  const v = summary.violation_list.find((x) => x.id === 'no-open-slots');
  const target = v.causes.length ? v.causes[0] : v.seq;
  await page.locator(`#diagram .violation-marker[data-seq="${v.seq}"]`).click();
  await page.waitForSelector('#events tr.anchor');
  const anchor = Number(await page.locator('#events tr.anchor').getAttribute('data-seq'));
  check(anchor === target, `the violation marker jumps to its event (seq ${anchor}, expected ${target})`);
  check((await page.locator('#events tr.anchor').textContent()).includes('no-open-slots') || v.causes.length > 0,
    'the highlighted record is the violation');
  await page.locator('#events').screenshot({ path: join(outDir, 'events.png') });

  // Client panels drew something.
  check(Number(await page.locator('#client').getAttribute('data-ops')) === summary.ops, 'client panels count every op');

  // The README's screenshot: the run page at the failover.
  await scrubTo(done.time_us + 1000);
  await page.selectOption('#slotmap-node', 'diverge');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(outDir, 'run.png'), fullPage: true });
  if (readmeShot) await page.screenshot({ path: readmeShot, clip: { x: 0, y: 0, width: 1400, height: 1500 } });

  check(errors.length === 0, `no script errors (${errors.join('; ')})`);

  // Compare: two runs at their first difference.
  await page.goto(`${base}/#/compare/1/3`);
  await ready();
  const cmp = await api('/api/compare?a=1&b=3');
  check(cmp.first_time_us >= 12000000, `the perturbed run equals run 1 until 12 s (${cmp.first_time_us} µs)`);
  const text = await page.locator('#compare-result').textContent();
  check(text.includes(`seq ${cmp.first_seq}`), `the compare page names the first difference (seq ${cmp.first_seq})`);
  check(await page.locator('.compare-col').count() === 2, 'the two runs are side by side');
  check((await page.locator('#compare-fields').textContent()).length > 10, 'the compare page names the differing fields');
  check(await page.locator('.compare-col tr.anchor').count() === 2, 'each side highlights the differing record');
  await page.screenshot({ path: join(outDir, 'compare.png'), fullPage: true });

  // A missing run is an error message, not a blank page.
  await page.goto(`${base}/#/run/999`);
  await ready();
  check((await page.locator('.error').textContent()).includes('no run 999'), 'a missing run shows the server\'s message');

} finally {
  await browser.close();
  server.kill();
}
if (failures.length) {
  console.error(`viewer e2e: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log('viewer e2e: all checks passed');
