// The space-time diagram: one lane per node, time to the right, a line per
// message from its send to its delivery. Faults are bands (partition, clog,
// crash, pause), elections and failovers are marks, violations are markers
// that jump to their records. Wheel zooms, drag pans, a click moves the
// scrubber, double-click shows the whole run. The server sends the rare
// message types one by one and the frequent ones as counts per bucket,
// drawn as density strips under the lanes.
import { getJson, latest } from './api.js';
import { el, fitCanvas, fmtTime, fmtNum, nodeColor, typeColor } from './format.js';

const LEFT = 72, RIGHT = 12, TOP = 22, LANE = 34, AXIS = 22, STRIP = 12;
const MIN_SPAN_US = 200;  // the deepest zoom: 0.2 ms across the canvas

export class Diagram {
  constructor(container, run) {
    this.run = run;
    this.summary = run.summary;
    this.window = { from: 0, to: Math.max(1, this.summary.end_us) };
    this.data = null;
    this.cursor = 0;
    this.nodesShown = new Set(this.summary.nodes.filter((n) => n.kind === 'cluster').map((n) => n.node));
    this.typesHidden = new Set();
    this.root = el('section', { class: 'panel', id: 'diagram' });
    this.toolbar = el('div', { class: 'toolbar' });
    this.canvas = el('canvas', { 'aria-label': 'space-time diagram' });
    this.overlay = el('div', { class: 'overlay' });
    this.tip = el('div', { class: 'tip', hidden: true });
    this.legend = el('div', { class: 'legend', id: 'diagram-legend' });
    this.status = el('span', { class: 'muted', id: 'diagram-status' });
    this.root.append(el('h2', {}, 'Messages and faults'), this.toolbar,
      el('div', { class: 'canvas-wrap' }, this.canvas, this.overlay, this.tip), this.legend);
    container.append(this.root);
    this.buildToolbar();
    this.attachMouse();
    this.fetch = latest(() => this.load());
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  buildToolbar() {
    const nodeBoxes = this.summary.nodes.map((n) => el('label', { class: 'chip' },
      el('input', { type: 'checkbox', checked: this.nodesShown.has(n.node), dataset: { node: n.node },
        onchange: (e) => { e.target.checked ? this.nodesShown.add(n.node) : this.nodesShown.delete(n.node); this.fetch(); } }),
      el('span', { class: 'swatch', dataset: { color: nodeColor(n.node) } }), n.name));
    for (const s of nodeBoxes) s.querySelector('.swatch').style.background = nodeColor(Number(s.querySelector('input').dataset.node));
    const zoom = (f) => this.zoomAt(f, (this.window.from + this.window.to) / 2);
    this.toolbar.append(
      el('span', { class: 'muted' }, 'nodes:'), ...nodeBoxes,
      el('span', { class: 'sep' }),
      el('button', { onclick: () => zoom(0.5), title: 'Zoom in (or mouse wheel)' }, '+'),
      el('button', { onclick: () => zoom(2), title: 'Zoom out' }, '−'),
      el('button', { id: 'diagram-reset', onclick: () => this.setWindow(0, this.summary.end_us), title: 'Whole run (double-click)' }, 'whole run'),
      el('button', { onclick: () => this.setWindow(this.cursor - 1e6, this.cursor + 1e6), title: 'Two seconds around the scrubber' }, '±1 s at scrubber'),
      this.status);
  }

  lanes() {
    return this.summary.nodes.filter((n) => this.nodesShown.has(n.node));
  }

  x(t) {
    const w = this.width - LEFT - RIGHT;
    return LEFT + ((t - this.window.from) / (this.window.to - this.window.from)) * w;
  }

  timeAt(px) {
    const w = this.width - LEFT - RIGHT;
    return this.window.from + ((px - LEFT) / w) * (this.window.to - this.window.from);
  }

  setWindow(from, to) {
    const end = Math.max(1, this.summary.end_us);
    let span = Math.max(MIN_SPAN_US, Math.min(end, to - from));
    from = Math.max(0, Math.min(from, end - span));
    this.window = { from: Math.round(from), to: Math.round(from + span) };
    this.draw();
    this.fetch();
    this.run.onWindow?.(this.window);
  }

  zoomAt(factor, t) {
    const { from, to } = this.window;
    this.setWindow(t - (t - from) * factor, t + (to - t) * factor);
  }

  setCursor(t) {
    this.cursor = t;
    this.draw();
  }

  async load() {
    const nodes = [...this.nodesShown];
    const types = this.summary.message_types.filter((t) => !this.typesHidden.has(t));
    this.status.textContent = 'loading…';
    try {
      this.data = await getJson(`/api/runs/${this.summary.id}/messages`, {
        from_us: this.window.from, to_us: this.window.to, nodes: nodes.length ? nodes : [-1],
        types: types.length ? types : ['-'], buckets: 300,
      });
      this.status.textContent = `${fmtNum(this.data.messages.length)} message(s) drawn · ${fmtTime(this.window.from)} – ${fmtTime(this.window.to)}`;
    } catch (err) {
      this.status.textContent = `error: ${err.message}`;
    }
    this.draw();
    this.drawLegend();
  }

  drawLegend() {
    if (!this.data) return;
    const counts = this.data.type_counts;
    const shown = new Set(this.data.shown_types);
    this.legend.replaceChildren(el('span', { class: 'muted' }, 'types:'),
      ...this.summary.message_types.map((t) => {
        const box = el('label', { class: 'chip', dataset: { type: t } },
          el('input', { type: 'checkbox', checked: !this.typesHidden.has(t),
            onchange: (e) => { e.target.checked ? this.typesHidden.delete(t) : this.typesHidden.add(t); this.fetch(); } }),
          el('span', { class: 'swatch' }), t,
          el('span', { class: 'muted' }, ` ${fmtNum(counts[t] ?? 0)}${shown.has(t) || !(counts[t] > 0) ? '' : ' (density)'}`));
        box.querySelector('.swatch').style.background = typeColor(t);
        return box;
      }));
  }

  laneIndex() {
    const idx = new Map();
    this.lanes().forEach((n, i) => idx.set(n.node, i));
    return idx;
  }

  draw() {
    const lanes = this.lanes();
    const aggregated = this.data ? Object.keys(this.data.aggregated) : [];
    const height = TOP + Math.max(1, lanes.length) * LANE + aggregated.length * STRIP + AXIS + 8;
    const { ctx, width } = fitCanvas(this.canvas, height);
    this.width = width;
    const idx = this.laneIndex();
    const y = (node) => TOP + idx.get(node) * LANE + LANE / 2;
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    // Fault bands first, under everything.
    const stats = { partitionBands: 0, crashBands: 0, pauseBands: 0 };
    for (const b of this.summary.faults.bands) {
      if (b.end_us < this.window.from || b.start_us > this.window.to) continue;
      const x0 = Math.max(LEFT, this.x(b.start_us)), x1 = Math.min(width - RIGHT, this.x(b.end_us));
      if (b.kind === 'partition' || b.kind === 'clog') {
        const involved = new Map();
        for (const [a, c] of b.links) { involved.set(a, (involved.get(a) || 0) + 1); involved.set(c, (involved.get(c) || 0) + 1); }
        const shown = [...involved.keys()].filter((n) => idx.has(n));
        if (!shown.length) continue;
        const most = Math.max(...involved.values());
        ctx.fillStyle = b.kind === 'partition' ? 'rgba(214, 39, 40, 0.08)' : 'rgba(255, 127, 14, 0.08)';
        ctx.fillRect(x0, TOP, x1 - x0, lanes.length * LANE);
        // The cut-off side (the nodes with the most cut links) in a
        // stronger colour.
        ctx.fillStyle = b.kind === 'partition' ? 'rgba(214, 39, 40, 0.25)' : 'rgba(255, 127, 14, 0.25)';
        for (const n of shown) if (involved.get(n) === most) ctx.fillRect(x0, y(n) - LANE / 2 + 3, x1 - x0, LANE - 6);
        ctx.fillStyle = b.kind === 'partition' ? '#b22222' : '#c05a00';
        ctx.fillText(b.kind, x0 + 3, TOP - 8);
        if (b.kind === 'partition') stats.partitionBands++;
      } else if (idx.has(b.node)) {
        ctx.fillStyle = b.kind === 'crash' ? 'rgba(60, 60, 60, 0.35)' : 'rgba(237, 201, 72, 0.45)';
        ctx.fillRect(x0, y(b.node) - LANE / 2 + 3, x1 - x0, LANE - 6);
        ctx.fillStyle = '#333';
        ctx.fillText(b.kind === 'crash' ? 'crashed' : 'paused', x0 + 3, y(b.node) - 6);
        stats[b.kind === 'crash' ? 'crashBands' : 'pauseBands']++;
      }
    }
    // Lanes.
    lanes.forEach((n) => {
      ctx.strokeStyle = nodeColor(n.node);
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(LEFT, y(n.node)); ctx.lineTo(width - RIGHT, y(n.node)); ctx.stroke();
      ctx.fillStyle = '#222';
      ctx.fillText(n.name, 6, y(n.node) + 4);
    });
    // Messages.
    const drawn = {};
    this.hits = [];
    if (this.data) {
      for (const m of this.data.messages) {
        const [, type, from, to, sendUs, deliverUs] = m;
        if (!idx.has(from) || !idx.has(to)) continue;
        drawn[type] = (drawn[type] || 0) + 1;
        const x0 = this.x(sendUs), y0 = y(from);
        const lost = deliverUs === null;
        const x1 = lost ? x0 + 8 : this.x(deliverUs), y1 = lost ? (y0 + y(to)) / 2 : y(to);
        ctx.strokeStyle = typeColor(type);
        ctx.lineWidth = type.startsWith('FAILOVER') || type === 'FAIL' || type === 'UPDATE' ? 2 : 1;
        ctx.setLineDash(lost ? [3, 3] : []);
        ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
        ctx.setLineDash([]);
        if (lost) { ctx.fillStyle = '#d62728'; ctx.fillText('×', x1 - 3, y1 + 4); }
        this.hits.push([x0, y0, x1, y1, m]);
      }
      // Density strips for the types sent as counts.
      let sy = TOP + lanes.length * LANE + 4;
      const bw = (width - LEFT - RIGHT) / 300;
      for (const [type, counts] of Object.entries(this.data.aggregated)) {
        const max = Math.max(1, ...counts);
        ctx.fillStyle = '#555';
        ctx.fillText(type, 6, sy + STRIP - 2);
        counts.forEach((c, i) => {
          if (!c) return;
          ctx.globalAlpha = 0.15 + 0.85 * (c / max);
          ctx.fillStyle = typeColor(type);
          const t0 = this.data.from_us + i * this.data.bucket_us;
          ctx.fillRect(this.x(t0), sy, Math.max(1, bw), STRIP - 2);
        });
        ctx.globalAlpha = 1;
        sy += STRIP;
      }
    }
    // Failover and election marks.
    for (const m of this.summary.marks) {
      if (!idx.has(m.node) || m.time_us < this.window.from || m.time_us > this.window.to) continue;
      if (!['ElectionWon', 'FailoverDone', 'FailSet', 'ConfigEpochBumped'].includes(m.kind)) continue;
      const mx = this.x(m.time_us), my = y(m.node);
      ctx.fillStyle = m.kind === 'FailSet' ? '#9467bd' : '#2ca02c';
      ctx.beginPath(); ctx.moveTo(mx, my - 7); ctx.lineTo(mx + 6, my); ctx.lineTo(mx, my + 7); ctx.lineTo(mx - 6, my); ctx.fill();
      if (m.kind !== 'FailSet') { ctx.fillStyle = '#1b5e20'; ctx.fillText(m.kind === 'ElectionWon' ? 'elected' : m.kind === 'FailoverDone' ? 'promoted' : 'epoch+', mx + 7, my + 14); }
    }
    for (const p of this.summary.faults.points) {
      if (!idx.has(p.node) || p.time_us < this.window.from || p.time_us > this.window.to) continue;
      ctx.fillStyle = '#8c564b';
      ctx.fillText('⏱', this.x(p.time_us) - 6, y(p.node) - 6);
    }
    // Time axis.
    const axisY = height - AXIS;
    ctx.strokeStyle = '#999'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(LEFT, axisY); ctx.lineTo(width - RIGHT, axisY); ctx.stroke();
    const span = this.window.to - this.window.from;
    const step = niceStep(span / 8);
    ctx.fillStyle = '#555';
    for (let t = Math.ceil(this.window.from / step) * step; t <= this.window.to; t += step) {
      const tx = this.x(t);
      ctx.beginPath(); ctx.moveTo(tx, axisY); ctx.lineTo(tx, axisY + 4); ctx.stroke();
      ctx.fillText(fmtTime(t), tx - 18, axisY + 16);
    }
    // The scrubber's time.
    if (this.cursor >= this.window.from && this.cursor <= this.window.to) {
      ctx.strokeStyle = '#111'; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(this.x(this.cursor), 4); ctx.lineTo(this.x(this.cursor), axisY); ctx.stroke();
    }
    this.placeViolationMarkers(axisY);
    Object.assign(this.root.dataset, {
      partitionBands: stats.partitionBands, crashBands: stats.crashBands, pauseBands: stats.pauseBands,
      drawnTypes: Object.entries(drawn).map(([t, n]) => `${t}:${n}`).sort().join(','),
      from: this.window.from, to: this.window.to, rendered: this.data ? '1' : '',
    });
    // Time to first render, from navigation start (bench/viewer_bench.mjs).
    if (this.data && !document.body.dataset.firstRenderMs) document.body.dataset.firstRenderMs = Math.round(performance.now());
  }

  placeViolationMarkers(axisY) {
    this.overlay.replaceChildren();
    // Violations found at the same moment (often the end of the run) stack
    // upwards, so that each marker stays clickable.
    let lastX = -Infinity, stack = 0;
    this.summary.violation_list.forEach((v, i) => {
      if (v.time_us < this.window.from) return;
      const x = this.x(Math.min(v.time_us, this.window.to)) - 7;
      stack = x - lastX < 14 ? stack + 1 : 0;
      lastX = x;
      const b = el('button', {
        class: 'violation-marker', title: `${v.id}: ${v.message}`, dataset: { seq: v.seq, index: i },
        onclick: () => this.run.jumpToViolation(v),
      }, '▲');
      b.style.left = `${x}px`;
      b.style.top = `${axisY - 16 - stack * 15}px`;
      this.overlay.append(b);
    });
  }

  attachMouse() {
    let drag = null;
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.zoomAt(e.deltaY > 0 ? 1.25 : 0.8, this.timeAt(e.offsetX));
    }, { passive: false });
    this.canvas.addEventListener('mousedown', (e) => { drag = { x: e.offsetX, window: { ...this.window }, moved: false }; });
    window.addEventListener('mouseup', (e) => {
      if (drag && !drag.moved && e.target === this.canvas) this.run.setTime(Math.max(0, Math.round(this.timeAt(e.offsetX))));
      drag = null;
    });
    this.canvas.addEventListener('mousemove', (e) => {
      if (drag) {
        const dx = e.offsetX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          const perPx = (drag.window.to - drag.window.from) / (this.width - LEFT - RIGHT);
          this.setWindow(drag.window.from - dx * perPx, drag.window.to - dx * perPx);
        }
        return;
      }
      this.showTip(e.offsetX, e.offsetY);
    });
    this.canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    this.canvas.addEventListener('dblclick', () => this.setWindow(0, this.summary.end_us));
  }

  showTip(px, py) {
    let best = null, bestD = 5;
    for (const h of this.hits || []) {
      const d = distToSegment(px, py, h[0], h[1], h[2], h[3]);
      if (d < bestD) { bestD = d; best = h[4]; }
    }
    if (!best) { this.tip.hidden = true; return; }
    const [msg, type, from, to, sendUs, deliverUs, sendSeq, deliverSeq, bytes] = best;
    const name = (n) => this.summary.nodes.find((x) => x.node === n)?.name ?? n;
    this.tip.textContent = `${type} #${msg}: ${name(from)} → ${name(to)}, sent ${fmtTime(sendUs)} (seq ${sendSeq}), ` +
      (deliverUs === null ? 'never delivered' : `delivered ${fmtTime(deliverUs)} (seq ${deliverSeq})`) + `, ${bytes} bytes`;
    this.tip.style.left = `${Math.min(px + 12, this.width - 260)}px`;
    this.tip.style.top = `${py + 12}px`;
    this.tip.hidden = false;
  }
}

function distToSegment(px, py, x0, y0, x1, y1) {
  const dx = x1 - x0, dy = y1 - y0;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len)) : 0;
  return Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

export function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
