// The slot map: 16384 slots in a 128 x 128 grid, coloured by owner as one
// node sees them at the scrubbed time, or, in divergence mode, every slot
// on which the nodes that are up disagree shown in red. A slot probe
// lists every node's view of one slot.
import { el, fitCanvas, nodeColor } from './format.js';

const SLOTS = 16384, COLS = 128, CELL = 3;

export class SlotMap {
  constructor(container, run) {
    this.run = run;
    this.summary = run.summary;
    this.state = null;
    this.viewer = 'diverge';
    this.root = el('section', { class: 'panel', id: 'slotmap' });
    this.select = el('select', { id: 'slotmap-node', onchange: (e) => { this.viewer = e.target.value; this.draw(); } },
      el('option', { value: 'diverge' }, 'divergence between nodes'),
      this.summary.nodes.filter((n) => n.kind === 'cluster').map((n) => el('option', { value: n.node }, `as ${n.name} sees it`)));
    this.probe = el('input', { id: 'slot-probe', type: 'number', min: 0, max: SLOTS - 1, value: 0,
      oninput: () => this.showProbe() });
    this.probeResult = el('div', { id: 'slot-probe-result', class: 'probe' });
    this.canvas = el('canvas', { 'aria-label': 'slot map' });
    this.canvas.addEventListener('click', (e) => {
      const slot = Math.floor(e.offsetY / CELL) * COLS + Math.floor(e.offsetX / CELL);
      if (slot >= 0 && slot < SLOTS) { this.probe.value = slot; this.showProbe(); }
    });
    this.legend = el('div', { class: 'legend' });
    this.root.append(el('h2', {}, 'Slot map'),
      el('div', { class: 'toolbar' }, this.select, el('label', {}, 'slot ', this.probe)),
      el('div', { class: 'slotmap-body' }, this.canvas, el('div', {}, this.probeResult, this.legend)));
    container.append(this.root);
  }

  // Each node's view as an Int16Array of owners (-1: unassigned, -2: a
  // stranger's id).
  owners() {
    const views = new Map();
    for (const n of this.state.nodes) {
      const a = new Int16Array(SLOTS).fill(-1);
      for (const [lo, hi, owner] of n.slot_view) a.fill(owner < 0 ? -2 : owner, lo, hi + 1);
      views.set(n.node, a);
    }
    return views;
  }

  show(state) {
    this.state = state;
    this.views = this.owners();
    this.draw();
    this.showProbe();
  }

  draw() {
    if (!this.state) return;
    const { ctx } = fitCanvas(this.canvas, (SLOTS / COLS) * CELL);
    this.canvas.style.width = `${COLS * CELL}px`;
    const up = this.state.nodes.filter((n) => !n.down).map((n) => this.views.get(n.node));
    const counts = new Map();
    let diverging = 0;
    for (let s = 0; s < SLOTS; s++) {
      let color, owner;
      if (this.viewer === 'diverge') {
        owner = up.length ? up[0][s] : -1;
        const differs = up.some((v) => v[s] !== owner);
        if (differs) diverging++;
        color = differs ? '#d62728' : owner === -1 ? '#eee' : mute(nodeColor(owner));
      } else {
        owner = this.views.get(Number(this.viewer))[s];
        color = owner === -1 ? '#eee' : owner === -2 ? '#000' : nodeColor(owner);
      }
      counts.set(owner, (counts.get(owner) || 0) + 1);
      ctx.fillStyle = color;
      ctx.fillRect((s % COLS) * CELL, Math.floor(s / COLS) * CELL, CELL, CELL);
    }
    const name = (o) => (o === -1 ? 'unassigned' : o === -2 ? 'unknown node' : this.summary.nodes.find((x) => x.node === o)?.name ?? o);
    this.legend.replaceChildren(
      this.viewer === 'diverge' ? el('div', { id: 'slotmap-diverging' }, `${diverging} slot(s) where the nodes that are up disagree`) : '',
      ...[...counts.entries()].sort((a, b) => a[0] - b[0]).map(([o, c]) => {
        const sw = el('span', { class: 'swatch' });
        sw.style.background = o === -1 ? '#eee' : o === -2 ? '#000' : nodeColor(o);
        return el('div', {}, sw, `${name(o)}: ${c}`);
      }));
    this.root.dataset.diverging = diverging;
  }

  showProbe() {
    if (!this.state) return;
    const slot = Number(this.probe.value);
    if (!(slot >= 0 && slot < SLOTS)) { this.probeResult.textContent = 'slot must be 0–16383'; return; }
    const name = (o) => (o === -1 ? 'unassigned' : o === -2 ? 'unknown node' : this.summary.nodes.find((x) => x.node === o)?.name ?? o);
    this.probeResult.replaceChildren(el('div', { class: 'muted' }, `slot ${slot}, owner in each node's view:`),
      el('ul', {}, this.state.nodes.map((n) => el('li', { dataset: { node: n.node, owner: this.views.get(n.node)[slot] } },
        `${name(n.node)}${n.down ? ' (down)' : ''}: `, el('b', {}, name(this.views.get(n.node)[slot]))))));
  }
}

function mute(hex) {
  return `${hex}88`;
}
