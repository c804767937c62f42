// Two runs side by side at their first differing record: the shared
// records before it, then each run's diagram and events from there.
import { getJson } from './api.js';
import { el, fmtNum, fmtTime } from './format.js';
import { Diagram } from './diagram.js';
import { EventTable } from './events.js';

export async function renderCompare(root, a, b) {
  const [cmp, sa, sb] = await Promise.all([
    getJson('/api/compare', { a, b, context: 5 }),
    getJson(`/api/runs/${a}`), getJson(`/api/runs/${b}`)]);
  root.append(el('h1', {}, `Compare run #${a} with run #${b}`));
  if (!cmp.differ) {
    root.append(el('p', { id: 'compare-result' }, `No difference: both runs have the same ${fmtNum(cmp.equal_records)} records.`));
    return;
  }
  const t = cmp.first_time_us;
  root.append(el('p', { id: 'compare-result' },
    `First difference after ${fmtNum(cmp.equal_records)} equal records, at seq ${cmp.first_seq} (${fmtTime(t)}). `,
    el('a', { href: `#/run/${a}?t=${t}&seq=${cmp.first_seq}` }, `open #${a} there`), ' · ',
    el('a', { href: `#/run/${b}?t=${t}&seq=${cmp.first_seq}` }, `open #${b} there`)));
  // Which fields of the first records differ, exactly (times to the µs).
  const ea = cmp.a_events[0], eb = cmp.b_events[0];
  if (ea && eb) {
    const fields = ['time_us', 'node', 'kind', 'peer', 'msg_type', 'details'].filter((f) => ea[f] !== eb[f]);
    root.append(el('ul', { id: 'compare-fields' }, fields.map((f) => el('li', {},
      el('b', {}, f), `: #${a} has `, el('code', {}, JSON.stringify(ea[f])), `, #${b} has `, el('code', {}, JSON.stringify(eb[f]))))));
  } else {
    root.append(el('p', { id: 'compare-fields' }, `Run #${ea ? b : a} ends there; the other goes on.`));
  }
  if (cmp.before.length) {
    root.append(el('section', { class: 'panel' }, el('h2', {}, 'Last equal records'),
      el('table', { class: 'events-table' }, el('tbody', {}, cmp.before.map((e) => el('tr', {},
        el('td', { class: 'num' }, e.seq), el('td', {}, fmtTime(e.time_us)), el('td', {}, e.node), el('td', {}, e.kind),
        el('td', {}, e.msg_type), el('td', { class: 'details' }, e.details)))))));
  }
  const side = el('div', { class: 'side-by-side' });
  root.append(side);
  const columns = [];
  for (const s of [sa, sb]) {
    const col = el('div', { class: 'compare-col', dataset: { run: s.id } });
    side.append(col);
    col.append(el('h2', {}, el('a', { href: `#/run/${s.id}` }, `#${s.id}`), ` ${s.scenario} seed ${s.seed} `,
      el('span', { class: `outcome ${s.outcome}` }, s.outcome)));
    const run = { summary: s, time: t, setTime: () => {}, jumpToViolation: () => {} };
    const diagram = new Diagram(col, run);
    diagram.window = { from: Math.max(0, t - 500000), to: Math.min(Math.max(1, s.end_us), t + 500000) };
    diagram.cursor = t;
    const events = new EventTable(col, run, { title: 'From the first difference', compact: true });
    columns.push(diagram.load(), events.jumpTo(cmp.first_seq));
  }
  await Promise.all(columns);
}
