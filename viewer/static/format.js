// Small formatting and DOM helpers shared by the pages.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function fmtTime(us) {
  if (us === null || us === undefined) return '–';
  const s = us / 1e6;
  return s >= 100 ? `${s.toFixed(2)} s` : `${s.toFixed(3)} s`;
}

export function fmtUs(us) {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(1)} ms`;
  return `${us} µs`;
}

export function fmtNum(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

// One colour per node index, stable across pages.
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948',
  '#ff9da7', '#9c755f', '#bab0ac', '#e15759', '#86bcb6', '#d37295'];
export function nodeColor(i) {
  if (i === null || i === undefined || i < 0) return '#bbbbbb';
  return PALETTE[i % PALETTE.length];
}

// Message types drawn in strong colours: the ones people look for.
const TYPE_COLORS = {
  FAILOVER_AUTH_REQUEST: '#d62728', FAILOVER_AUTH_ACK: '#2ca02c', FAIL: '#9467bd',
  UPDATE: '#ff7f0e', MEET: '#17becf', PING: '#9aa7b8', PONG: '#c3ccd8', MIGRATE: '#8c564b',
  PUBLISH: '#e377c2', MFSTART: '#bcbd22',
};
export function typeColor(t) {
  if (TYPE_COLORS[t]) return TYPE_COLORS[t];
  let h = 0;
  for (const c of t) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 45% 55%)`;
}

export function copyButton(text) {
  return el('button', {
    class: 'copy', title: 'Copy to the clipboard',
    onclick: async (ev) => {
      try { await navigator.clipboard.writeText(text); ev.target.textContent = 'copied'; } catch {
        ev.target.textContent = 'select and copy';
      }
      setTimeout(() => { ev.target.textContent = 'copy'; }, 1500);
    },
  }, 'copy');
}

export function errorBox(err) {
  return el('div', { class: 'error', role: 'alert' }, String(err.message || err));
}

// The canvas' drawing context scaled for the screen's pixel ratio, with
// the canvas sized to its CSS box.
export function fitCanvas(canvas, height) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.parentElement.clientWidth || 800;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width, height };
}
