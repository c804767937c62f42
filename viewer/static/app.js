// The viewer's router: #/runs (the list), #/run/ID (one run, optionally
// ?t=…&seq=…), #/compare/A/B (two runs at their first difference).
import { getJson } from './api.js';
import { el, errorBox, fmtNum, copyButton } from './format.js';
// The run and compare pages load on demand: a run page's first request
// starts before their code has arrived (index.html preloads it).

const app = document.getElementById('app');

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, query: new URLSearchParams(query) };
}

async function route() {
  const { parts, query } = parseHash();
  document.body.dataset.ready = '';
  app.replaceChildren();
  try {
    if (parts[0] === 'run' && parts[1]) {
      const summary = getJson(`/api/runs/${encodeURIComponent(parts[1])}`);
      summary.catch(() => {});  // reported by renderRun
      const { renderRun } = await import('./run.js');
      await renderRun(app, Number(parts[1]), query, summary);
    } else if (parts[0] === 'compare' && parts[1] && parts[2]) {
      const { renderCompare } = await import('./compare.js');
      await renderCompare(app, Number(parts[1]), Number(parts[2]));
    }
    else await renderRuns(app, query);
  } catch (err) {
    app.append(errorBox(err));
  }
  document.body.dataset.ready = '1';
}

const COLUMNS = [
  ['id', 'run'], ['scenario', 'scenario'], ['seed', 'seed'], ['outcome', 'outcome'],
  ['violation_count', 'violations'], ['events', 'events'], ['sim_seconds', 'sim s'],
  ['converged_ms', 'converged ms'], ['ops', 'ops'], ['wall_seconds', 'wall s'],
];

async function renderRuns(root, query) {
  const state = {
    scenario: query.get('scenario') || '', outcome: query.get('outcome') || '',
    seed: query.get('seed') || '', sort: query.get('sort') || 'id',
    order: query.get('order') || 'asc', offset: Number(query.get('offset') || 0),
  };
  const pageSize = 100;
  const data = await getJson('/api/runs', { ...state, limit: pageSize });
  const setQuery = (changes) => {
    const next = { ...state, ...changes };
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(next)) if (v !== '' && v !== 0) q.set(k, v);
    location.hash = `#/runs?${q}`;
  };
  const scenarioSel = el('select', { id: 'filter-scenario', onchange: (e) => setQuery({ scenario: e.target.value, offset: 0 }) },
    el('option', { value: '' }, 'all scenarios'),
    data.scenarios.map((s) => el('option', { value: s, selected: s === state.scenario }, s)));
  const outcomeSel = el('select', { id: 'filter-outcome', onchange: (e) => setQuery({ outcome: e.target.value, offset: 0 }) },
    el('option', { value: '' }, 'all outcomes'),
    ['pass', 'expected', 'violation', 'crashed', 'running'].map((o) => el('option', { value: o, selected: o === state.outcome }, o)));
  const seedInput = el('input', { id: 'filter-seed', type: 'number', min: 0, placeholder: 'seed', value: state.seed,
    onchange: (e) => setQuery({ seed: e.target.value, offset: 0 }) });
  const compareBox = { a: null };
  const head = el('tr', {}, COLUMNS.map(([key, label]) => el('th', {},
    el('button', { class: 'sort', onclick: () => setQuery({ sort: key, order: state.sort === key && state.order === 'asc' ? 'desc' : 'asc' }) },
      label, state.sort === key ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''))), el('th', {}, 'repro'), el('th', {}, ''));
  const rows = data.runs.map((r) => el('tr', { dataset: { run: r.id } },
    el('td', {}, el('a', { href: `#/run/${r.id}` }, `#${r.id}`)),
    el('td', {}, r.scenario),
    el('td', { class: 'num' }, r.seed),
    el('td', {}, el('span', { class: `outcome ${r.outcome}` }, r.outcome)),
    el('td', { class: 'num' }, r.violation_count),
    el('td', { class: 'num' }, fmtNum(r.events)),
    el('td', { class: 'num' }, r.sim_seconds === null ? '–' : r.sim_seconds.toFixed(1)),
    el('td', { class: 'num' }, r.converged_ms === null ? '–' : r.converged_ms),
    el('td', { class: 'num' }, fmtNum(r.ops)),
    el('td', { class: 'num' }, r.wall_seconds === null ? '–' : r.wall_seconds.toFixed(2)),
    el('td', { class: 'repro' }, el('code', {}, r.repro), copyButton(r.repro)),
    el('td', {}, el('button', { class: 'compare-pick', onclick: (e) => {
      if (compareBox.a === null) { compareBox.a = r.id; e.target.textContent = 'compare with…'; return; }
      location.hash = `#/compare/${compareBox.a}/${r.id}`;
    } }, 'compare'))));
  const last = Math.min(state.offset + pageSize, data.total);
  root.append(
    el('h1', {}, 'Runs'),
    el('div', { class: 'filters' }, scenarioSel, outcomeSel, seedInput,
      el('span', { class: 'muted', id: 'runs-count' }, `${data.total} run(s)`)),
    el('table', { class: 'runs', id: 'runs-table' }, el('thead', {}, head), el('tbody', {}, rows)),
    el('div', { class: 'pager' },
      el('button', { disabled: state.offset === 0, onclick: () => setQuery({ offset: Math.max(0, state.offset - pageSize) }) }, '‹ previous'),
      el('span', {}, data.total ? ` ${state.offset + 1}–${last} of ${data.total} ` : ' no runs match '),
      el('button', { disabled: last >= data.total, onclick: () => setQuery({ offset: state.offset + pageSize }) }, 'next ›')));
}

getJson('/api/meta').then((m) => {
  document.getElementById('db-name').textContent = `${m.db} · ${m.runs} run(s)`;
}).catch(() => {});
window.addEventListener('hashchange', route);
route();
