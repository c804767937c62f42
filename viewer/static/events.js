// The event table: trace records a page at a time, filtered by kind, node
// and text. Jumps (a violation, the scrubber's time) centre the page on
// one record and highlight it.
import { getJson } from './api.js';
import { el, fmtTime } from './format.js';

// Typed records escape '%', ' ', '=' and control bytes in values as %XX
// (engine/trace_records.h); the table shows them as written.
const readable = (details) => details.replace(/%([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));

export class EventTable {
  constructor(container, run, { title = 'Events', compact = false } = {}) {
    this.run = run;
    this.summary = run.summary;
    this.page = null;
    this.anchor = null;
    this.root = el('section', { class: 'panel events' });
    if (!compact) this.root.id = 'events';
    this.kinds = el('input', { type: 'text', class: 'f-kinds', placeholder: 'kinds, e.g. Send,FailoverDone', size: 28 });
    this.nodes = el('input', { type: 'text', class: 'f-nodes', placeholder: 'nodes, e.g. 0,3', size: 10 });
    this.q = el('input', { type: 'search', class: 'f-q', placeholder: 'text in the record', size: 20 });
    for (const i of [this.kinds, this.nodes, this.q]) i.addEventListener('change', () => this.load({}));
    this.error = el('div');
    this.table = el('table', { class: 'events-table' });
    this.root.append(el('h2', {}, title),
      el('div', { class: 'toolbar' }, this.kinds, this.nodes, this.q,
        el('button', { class: 'prev', onclick: () => this.page?.prev_before_seq != null && this.load({ before_seq: this.page.prev_before_seq }) }, '‹ earlier'),
        el('button', { class: 'next', onclick: () => this.page?.next_after_seq != null && this.load({ after_seq: this.page.next_after_seq }) }, 'later ›'),
        el('button', { class: 'at-time', onclick: () => this.load({ t_us: run.time }) }, 'at scrubber time'),
        el('button', { class: 'clear', onclick: () => { this.kinds.value = this.nodes.value = this.q.value = ''; this.load({}); } }, 'clear filters')),
      this.error, el('div', { class: 'table-wrap' }, this.table));
    container.append(this.root);
  }

  filters() {
    return { kinds: this.kinds.value.replace(/\s+/g, ''), nodes: this.nodes.value.replace(/\s+/g, ''), q: this.q.value };
  }

  async jumpTo(seq) {
    this.kinds.value = this.nodes.value = this.q.value = '';
    await this.load({ around_seq: seq }, seq);
  }

  async load(anchorParams, highlight = null) {
    this.anchor = highlight;
    try {
      this.page = await getJson(`/api/runs/${this.summary.id}/events`, { ...this.filters(), ...anchorParams, limit: 60 });
      this.error.replaceChildren();
    } catch (err) {
      this.error.replaceChildren(el('div', { class: 'error' }, err.message));
      return;
    }
    const name = (n) => this.summary.nodes.find((x) => x.node === n)?.name ?? (n < 0 ? '' : n);
    const rows = this.page.events.map((e) => el('tr', {
      class: e.seq === this.anchor ? 'anchor' : (e.kind === 'Violation' ? 'violation' : ''), dataset: { seq: e.seq },
      onclick: () => this.run.setTime(e.time_us),
    }, el('td', { class: 'num' }, e.seq), el('td', { class: 'num' }, fmtTime(e.time_us)), el('td', {}, name(e.node)),
    el('td', {}, e.kind), el('td', {}, e.peer < 0 ? '' : name(e.peer)), el('td', {}, e.msg_type), el('td', { class: 'details' }, readable(e.details))));
    this.table.replaceChildren(el('thead', {}, el('tr', {}, ['seq', 'time', 'node', 'kind', 'peer', 'type', 'details'].map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'no records match here; try earlier/later'))));
    this.table.querySelector('tr.anchor')?.scrollIntoView({ block: 'center' });
  }
}
