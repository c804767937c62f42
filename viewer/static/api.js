// Talking to the viewer's JSON API (viewer/API.md). Every call goes through
// getJson, which turns an error body into an Error with the server's
// sentence, so pages can show it.
export async function getJson(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const url = q.toString() ? `${path}?${q}` : path;
  const res = await fetch(url);
  let body;
  try { body = await res.json(); } catch { body = { error: `${res.status} ${res.statusText}` }; }
  if (!res.ok) throw new Error(body.error || `${res.status} ${res.statusText}`);
  return body;
}

// Runs `fn` at most once per `ms`, with the latest arguments; calls made
// while one is in flight collapse into one more call after it.
export function latest(fn) {
  let running = false, pending = null;
  return async function run(...args) {
    if (running) { pending = args; return; }
    running = true;
    try { await fn(...args); } finally {
      running = false;
      if (pending) { const a = pending; pending = null; run(...a); }
    }
  };
}
