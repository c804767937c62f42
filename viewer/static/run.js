// One run: summary, violations, diagram, scrubber with node state, slot
// map, client panels and events, all sharing one scrubbed time and the
// diagram's time window.
import { getJson, latest } from './api.js';
import { el, fmtNum, fmtTime, copyButton } from './format.js';
import { Diagram } from './diagram.js';
import { Scrubber } from './scrubber.js';
import { SlotMap } from './slotmap.js';
import { ClientCharts } from './charts.js';
import { EventTable } from './events.js';

// `summaryRequest`, if given, is the /api/runs/ID request already on its way.
export async function renderRun(root, runId, query, summaryRequest = null) {
  const t0 = performance.now();
  const summary = await (summaryRequest || getJson(`/api/runs/${runId}`));
  const run = { summary, time: 0 };
  root.append(summaryPanel(summary));
  const violations = el('section', { class: 'panel', id: 'violations' });
  root.append(violations);
  const diagram = new Diagram(root, run);
  const grid = el('div', { class: 'grid' });
  root.append(grid);
  const left = el('div'), right = el('div');
  grid.append(left, right);
  const scrubber = new Scrubber(left, run);
  const slotmap = new SlotMap(right, run);
  const charts = new ClientCharts(root, run);
  const events = new EventTable(root, run);

  const loadState = latest(async (t) => {
    const state = await getJson(`/api/runs/${runId}/state`, { t_us: t });
    if (run.time !== t) return;  // a newer time is on its way
    scrubber.show(state);
    slotmap.show(state);
  });
  run.setTime = (t) => {
    t = Math.max(0, Math.min(summary.end_us, Math.round(t)));
    run.time = t;
    scrubber.setTime(t);
    diagram.setCursor(t);
    charts.setCursor(t);
    history.replaceState(null, '', `#/run/${runId}?t=${t}`);
    return loadState(t);
  };
  run.onWindow = (w) => charts.fetch(w);
  run.jumpToViolation = async (v) => {
    const target = v.causes.length ? v.causes[0] : v.seq;
    const page = await getJson(`/api/runs/${runId}/events`, { around_seq: target, limit: 1 });
    const rec = page.events.find((e) => e.seq === target);
    await events.jumpTo(target);
    if (rec) run.setTime(rec.time_us);
    events.root.scrollIntoView({ block: 'start' });
  };

  violations.append(el('h2', {}, `Violations (${summary.violation_list.length})`),
    summary.violation_list.length
      ? el('ul', { class: 'violations' }, summary.violation_list.map((v) => el('li', {},
        el('button', { class: 'jump', dataset: { seq: v.seq }, onclick: () => run.jumpToViolation(v) },
          v.causes.length ? `jump to cause (seq ${v.causes[0]})` : `jump (seq ${v.seq})`),
        ' ', el('b', {}, v.id), ` at ${fmtTime(v.time_us)}: ${v.message}`)))
      : el('p', { class: 'muted' }, 'none'));

  const start = query.has('t') ? Number(query.get('t')) : firstInterestingTime(summary);
  const seq = query.has('seq') ? Number(query.get('seq')) : null;
  // First render: the diagram of the whole run (or the window asked for).
  if (query.has('from') && query.has('to')) diagram.window = { from: Number(query.get('from')), to: Number(query.get('to')) };
  await Promise.all([
    diagram.load(),
    charts.fetch(diagram.window),
    scrubber.loadTimeline(),
    run.setTime(start),
    seq !== null ? events.jumpTo(seq) : events.load({}),
  ]);
  // Every panel drawn and every control live: time to interactive, from
  // navigation start (bench/viewer_bench.mjs) and from the route change.
  document.body.dataset.interactiveMs = Math.round(performance.now());
  document.body.dataset.renderMs = Math.round(performance.now() - t0);
}

function firstInterestingTime(summary) {
  const band = summary.faults.bands[0];
  return band ? band.start_us : 0;
}

function summaryPanel(s) {
  const settings = Object.entries(s.settings || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return el('section', { class: 'panel', id: 'summary' },
    el('h1', {}, `Run #${s.id}: ${s.scenario} `, el('span', { class: `outcome ${s.outcome}` }, s.outcome)),
    el('dl', { class: 'facts' },
      el('dt', {}, 'seed'), el('dd', {}, s.seed),
      el('dt', {}, 'violations'), el('dd', { id: 'summary-violations' }, s.violation_list.length),
      el('dt', {}, 'simulated'), el('dd', {}, fmtTime(s.end_us)),
      el('dt', {}, 'records'), el('dd', {}, fmtNum(s.last_seq + 1)),
      el('dt', {}, 'client ops'), el('dd', {}, `${fmtNum(s.ops)} (${fmtNum(s.ops_ok)} ok)`),
      el('dt', {}, 'converged'), el('dd', {}, s.converged_ms === null || s.converged_ms < 0 ? 'no' : `${s.converged_ms} ms`),
      el('dt', {}, 'lost writes allowed'), el('dd', {}, s.lost_writes_allowed ?? '–'),
      el('dt', {}, 'build'), el('dd', {}, s.build),
      el('dt', {}, 'trace hash'), el('dd', {}, s.trace_hash),
      el('dt', {}, 'settings'), el('dd', {}, settings || '–')),
    el('div', { class: 'repro' }, el('code', { id: 'repro' }, s.repro), copyButton(s.repro)),
    el('details', {}, el('summary', {}, 'scenario file'), el('pre', {}, s.scenario_text || '(not stored: schema 1 run)')));
}
