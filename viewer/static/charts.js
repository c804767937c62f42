// Client panels: throughput, latency percentiles and error replies by kind
// over the diagram's time window, with the scrubber's time as a line.
import { getJson, latest } from './api.js';
import { el, fitCanvas, fmtNum, fmtTime, fmtUs } from './format.js';

const ERROR_KINDS = [['moved', 'MOVED', '#4e79a7'], ['ask', 'ASK', '#76b7b2'], ['tryagain', 'TRYAGAIN', '#edc948'],
  ['clusterdown', 'CLUSTERDOWN', '#e15759'], ['other_errors', 'other errors', '#9c755f']];
const PAD = 40, H = 110;

export class ClientCharts {
  constructor(container, run) {
    this.run = run;
    this.summary = run.summary;
    this.data = null;
    this.cursor = 0;
    this.root = el('section', { class: 'panel', id: 'client' });
    this.canvases = {
      throughput: el('canvas', { 'aria-label': 'throughput' }),
      latency: el('canvas', { 'aria-label': 'latency' }),
      errors: el('canvas', { 'aria-label': 'errors by kind' }),
    };
    this.totals = el('div', { id: 'client-totals', class: 'muted' });
    const legend = el('div', { class: 'legend' }, ERROR_KINDS.map(([, label, color]) => {
      const s = el('span', { class: 'swatch' }); s.style.background = color; return el('span', { class: 'chip' }, s, label);
    }));
    this.root.append(el('h2', {}, 'Clients'), this.totals,
      el('h3', {}, 'Throughput (ops/s; failed in red)'), this.canvases.throughput,
      el('h3', {}, 'Latency of successful ops (p50, p99)'), this.canvases.latency,
      el('h3', {}, 'Error replies by kind'), legend, this.canvases.errors);
    container.append(this.root);
    for (const c of Object.values(this.canvases)) {
      c.addEventListener('click', (e) => {
        if (!this.data) return;
        const w = c.clientWidth - PAD;
        run.setTime(Math.round(this.data.from_us + ((e.offsetX - PAD) / w) * (this.data.to_us - this.data.from_us)));
      });
    }
    this.fetch = latest((w) => this.load(w));
    new ResizeObserver(() => this.draw()).observe(this.canvases.throughput);
  }

  async load(window) {
    this.data = await getJson(`/api/runs/${this.summary.id}/client`, { from_us: window.from, to_us: window.to, buckets: 150 });
    const col = Object.fromEntries(this.data.columns.map((c, i) => [c, i]));
    const sum = (k) => this.data.buckets.reduce((a, b) => a + b[col[k]], 0);
    this.totals.textContent = `${fmtNum(this.data.ops)} op(s) in ${fmtTime(this.data.from_us)} – ${fmtTime(this.data.to_us)}: ` +
      `${fmtNum(sum('ok'))} ok, ${fmtNum(sum('failed'))} failed, ${fmtNum(sum('unknown'))} unknown; ` +
      ERROR_KINDS.map(([k, label]) => `${label} ${fmtNum(sum(k))}`).join(', ');
    this.root.dataset.ops = this.data.ops;
    this.draw();
  }

  setCursor(t) { this.cursor = t; this.draw(); }

  draw() {
    if (!this.data) return;
    const col = Object.fromEntries(this.data.columns.map((c, i) => [c, i]));
    const rows = this.data.buckets, secs = this.data.bucket_us / 1e6;
    this.chart(this.canvases.throughput, [
      { values: rows.map((r) => r[col.ops] / secs), color: '#4e79a7', kind: 'line' },
      { values: rows.map((r) => r[col.failed] / secs), color: '#d62728', kind: 'bar' },
    ], (v) => `${Math.round(v)}/s`);
    this.chart(this.canvases.latency, [
      { values: rows.map((r) => r[col.p99_us]), color: '#e15759', kind: 'line' },
      { values: rows.map((r) => r[col.p50_us]), color: '#59a14f', kind: 'line' },
    ], fmtUs);
    this.chart(this.canvases.errors, ERROR_KINDS.map(([k, , color]) => ({ values: rows.map((r) => r[col[k]]), color, kind: 'stack' })),
      (v) => fmtNum(Math.round(v)));
  }

  chart(canvas, series, label) {
    const { ctx, width, height } = fitCanvas(canvas, H);
    ctx.clearRect(0, 0, width, height);
    const n = this.data.buckets.length, w = width - PAD, bh = height - 16;
    const stacked = series.filter((s) => s.kind === 'stack');
    const stackMax = stacked.length ? Math.max(1, ...this.data.buckets.map((_, i) => stacked.reduce((a, s) => a + s.values[i], 0))) : 0;
    const max = Math.max(1, stackMax, ...series.filter((s) => s.kind !== 'stack').flatMap((s) => s.values));
    const y = (v) => bh - (v / max) * (bh - 4);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#666';
    ctx.fillText(label(max), 2, 10);
    ctx.fillText('0', 2, bh);
    ctx.strokeStyle = '#ccc';
    ctx.beginPath(); ctx.moveTo(PAD, bh); ctx.lineTo(width, bh); ctx.stroke();
    const base = new Array(n).fill(0);
    for (const s of series) {
      ctx.fillStyle = s.color; ctx.strokeStyle = s.color; ctx.lineWidth = 1.5;
      if (s.kind === 'line') {
        ctx.beginPath();
        s.values.forEach((v, i) => { const px = PAD + ((i + 0.5) / n) * w; i ? ctx.lineTo(px, y(v)) : ctx.moveTo(px, y(v)); });
        ctx.stroke();
      } else {
        s.values.forEach((v, i) => {
          if (!v) return;
          const b = s.kind === 'stack' ? base[i] : 0;
          ctx.fillRect(PAD + (i / n) * w, y(b + v), Math.max(1, w / n - 1), y(b) - y(b + v));
          if (s.kind === 'stack') base[i] += v;
        });
      }
    }
    const { from_us: from, to_us: to } = this.data;
    if (this.cursor >= from && this.cursor <= to) {
      const cx = PAD + ((this.cursor - from) / (to - from)) * w;
      ctx.strokeStyle = '#111'; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(cx, 0); ctx.lineTo(cx, bh); ctx.stroke();
    }
    ctx.fillStyle = '#666';
    ctx.fillText(fmtTime(from), PAD, height - 2);
    ctx.fillText(fmtTime(to), width - 60, height - 2);
  }
}
