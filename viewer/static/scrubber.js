// The time scrubber and what each node believed at the scrubbed moment:
// role, epochs, cluster state, failure marks, cut links, open slots. Under
// the slider, each node's currentEpoch over the run, so epoch changes are
// visible before you scrub to them.
import { getJson } from './api.js';
import { el, fitCanvas, fmtTime, nodeColor } from './format.js';

export class Scrubber {
  constructor(container, run) {
    this.run = run;
    this.summary = run.summary;
    this.end = Math.max(1, this.summary.end_us);
    this.timeline = [];
    this.root = el('section', { class: 'panel', id: 'scrubber' });
    this.range = el('input', { type: 'range', min: 0, max: this.end, step: 1000, value: 0, 'aria-label': 'time',
      oninput: (e) => run.setTime(Number(e.target.value)) });
    this.timeText = el('input', { type: 'text', id: 'scrubber-time', size: 12, title: 'Time in seconds; Enter to go',
      onchange: (e) => { const s = Number(e.target.value.replace(/s$/, '')); if (Number.isFinite(s)) run.setTime(Math.round(s * 1e6)); } });
    this.epochs = el('canvas', { class: 'epochs', 'aria-label': 'epochs over time' });
    this.epochs.addEventListener('click', (e) => {
      run.setTime(Math.round((e.offsetX / this.epochs.clientWidth) * this.end));
    });
    this.table = el('table', { id: 'state-table', class: 'state' });
    this.root.append(el('h2', {}, 'Time scrubber: node state'),
      el('div', { class: 'toolbar' },
        el('button', { id: 'prev-change', title: 'Previous state change of any node', onclick: () => this.step(-1) }, '◀ change'),
        el('button', { onclick: () => run.setTime(Math.max(0, run.time - 1e6)) }, '−1 s'),
        this.range,
        el('button', { onclick: () => run.setTime(Math.min(this.end, run.time + 1e6)) }, '+1 s'),
        el('button', { id: 'next-change', title: 'Next state change of any node', onclick: () => this.step(1) }, 'change ▶'),
        this.timeText),
      this.epochs, this.table);
    container.append(this.root);
    new ResizeObserver(() => this.drawEpochs()).observe(this.epochs);
  }

  async loadTimeline() {
    const t = await getJson(`/api/runs/${this.summary.id}/timeline`);
    this.timeline = t.rows;  // [seq, time_us, node, role, current_epoch, config_epoch, state]
    this.drawEpochs();
  }

  step(dir) {
    const now = this.run.time;
    let best = null;
    for (const r of this.timeline) {
      if (dir > 0 && r[1] > now && (best === null || r[1] < best)) best = r[1];
      if (dir < 0 && r[1] < now && (best === null || r[1] > best)) best = r[1];
    }
    if (best !== null) this.run.setTime(best);
  }

  setTime(t) {
    this.range.value = t;
    this.timeText.value = `${(t / 1e6).toFixed(3)}s`;
    this.drawEpochs();
  }

  drawEpochs() {
    const nodes = this.summary.nodes.filter((n) => n.kind === 'cluster');
    const lane = 10;
    const { ctx, width, height } = fitCanvas(this.epochs, Math.max(lane, nodes.length * lane) + 4);
    ctx.clearRect(0, 0, width, height);
    const maxEpoch = Math.max(1, ...this.timeline.map((r) => r[4]));
    const x = (t) => (t / this.end) * width;
    nodes.forEach((n, i) => {
      const rows = this.timeline.filter((r) => r[2] === n.node);
      rows.forEach((r, j) => {
        const x0 = x(r[1]), x1 = j + 1 < rows.length ? x(rows[j + 1][1]) : width;
        ctx.fillStyle = nodeColor(n.node);
        ctx.globalAlpha = 0.2 + 0.8 * (r[4] / maxEpoch);
        ctx.fillRect(x0, 2 + i * lane, Math.max(1, x1 - x0), r[3] === 'primary' ? lane - 1 : lane / 2);
      });
    });
    ctx.globalAlpha = 1;
    ctx.strokeStyle = '#111';
    ctx.beginPath(); ctx.moveTo(x(this.run.time), 0); ctx.lineTo(x(this.run.time), height); ctx.stroke();
  }

  show(state) {
    const name = (n) => (typeof n === 'number' ? this.summary.nodes.find((x) => x.node === n)?.name ?? `#${n}` : String(n).slice(0, 8));
    const head = el('tr', {}, ['node', 'role', 'primary', 'currentEpoch', 'configEpoch', 'lastVoteEpoch',
      'cluster', 'slots', 'open slots', 'marks', 'links cut', 'since'].map((h) => el('th', {}, h)));
    const rows = state.nodes.map((n) => el('tr', { dataset: { node: n.node }, class: n.down ? 'down' : n.paused ? 'paused' : '' },
      el('td', {}, el('span', { class: 'dot', dataset: { node: n.node } }), name(n.node), n.down ? ' (down)' : n.paused ? ' (paused)' : ''),
      el('td', { class: 'role' }, n.role ?? '–'),
      el('td', {}, n.primary === null || n.primary === undefined ? '' : name(n.primary)),
      el('td', { class: 'num current-epoch' }, n.current_epoch ?? '–'),
      el('td', { class: 'num config-epoch' }, n.config_epoch ?? '–'),
      el('td', { class: 'num' }, n.last_vote_epoch ?? '–'),
      el('td', { class: `cluster-state ${n.cluster_state}` }, n.cluster_state ?? '–'),
      el('td', { class: 'slots' }, n.slots || ''),
      el('td', { class: 'open' }, n.open_slots || ''),
      el('td', {}, n.marks.map((m) => `${name(m.peer)} ${m.flag}`).join(', ')),
      el('td', {}, n.cut_to.length ? `to ${n.cut_to.map(name).join(', ')}` : ''),
      el('td', { class: 'num' }, n.since_us === undefined ? '' : fmtTime(n.since_us))));
    this.table.replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
    this.table.querySelectorAll('.dot').forEach((d) => { d.style.background = nodeColor(Number(d.dataset.node)); });
    this.root.dataset.t = state.t_us;
  }
}
