// The web timeline's right-hand panels (docs/ui.md): one change's old and new values, and the
// namespace's objects as of a moment in kubectl-like tables. `ctx` is the page's state (cluster,
// namespace, kind).
import { $, api, el, timeEl } from './dom.js';
import { actorLabel, diffRows, justBefore, panelKinds, refLabel } from './lib.js';

// ---- one change's diff -------------------------------------------------------------------

export function renderDetailHint() {
  $('detail').replaceChildren(el('p', { class: 'muted', text: 'Click a change to see what it changed.' }));
}

function objectParams(ctx, c) {
  return { cluster: ctx.cluster, kind: c.kind, name: c.name, namespace: c.namespace || undefined };
}

function changeHead(c) {
  return el('div', { class: 'head' }, [
    el('span', { class: `op op-${c.op}`, text: c.op }), ' ', el('strong', { class: 'mono', text: refLabel(c) }), ' at ', timeEl(c.ts, true),
    el('div', {}, ['by ', el('span', { class: 'actor', text: actorLabel(c.actor) }),
      c.actor?.groups?.length ? el('span', { class: 'muted', text: ` (${c.actor.groups.join(', ')})` }) : null,
      c.verb ? ` · verb ${c.verb}` : '', ` · source ${c.source ?? '?'} · resourceVersion ${c.resourceVersion}`]),
    c.actor?.userAgent ? el('div', { class: 'muted', text: c.actor.userAgent }) : null,
  ]);
}

/** Shows change `c`: who, how, and each changed path, old → new (the object 1 µs before against it at the change). */
export async function showChange(ctx, c) {
  const head = changeHead(c);
  $('detail').replaceChildren(head, el('p', { class: 'muted', text: 'loading the diff…' }));
  try {
    const answer = await api('/v1/diff', { ...objectParams(ctx, c), from: justBefore(c.ts), to: c.ts, view: 'full' });
    let { note, rows } = diffRows(answer);
    if (note === 'unchanged') ({ note, rows } = await patchRows(ctx, c));
    $('detail').replaceChildren(head, diffTable(note, rows));
  } catch (err) {
    $('detail').replaceChildren(head, el('p', { class: 'error', text: err.message }));
  }
}

/** The revision's own patch (new values only), when the diff across its instant shows nothing (another revision at the same time). */
async function patchRows(ctx, c) {
  const { items } = await api('/v1/history', { ...objectParams(ctx, c), from: c.ts, to: c.ts });
  const rev = items.find((i) => i.resourceVersion === c.resourceVersion);
  if (!rev) return { note: 'unchanged', rows: [] };
  return diffRows({ changes: rev.patch.map((p) => ({ path: p.path, op: p.op, new: p.value })) });
}

const NOTES = {
  created: 'Created: every field is new.', deleted: 'Deleted: the last state it had.',
  changed: 'Changed paths, old → new (noise fields left out):', unchanged: 'No field changed (a status or noise-only revision).',
};

function diffTable(note, rows) {
  return el('div', { class: 'diff', 'data-note': note }, [
    el('p', { class: 'muted', text: NOTES[note] }),
    rows.length ? el('table', {}, [
      el('thead', {}, [el('tr', {}, ['path', 'op', 'old', 'new'].map((h) => el('th', { text: h })))]),
      el('tbody', {}, rows.map((r) => el('tr', {}, [
        el('td', { class: 'path', text: r.path }), el('td', { class: 'op', text: r.op }), el('td', { class: 'old', text: r.old }), el('td', { class: 'new', text: r.new }),
      ]))),
    ]) : null,
  ]);
}

// ---- the state as of T -------------------------------------------------------------------

let asOfRun = 0;

/** Shows the objects as of `at` of the kinds panelKinds picks, the `selected` change's object highlighted. */
export async function loadAsOf(ctx, changes, at, selected) {
  const run = ++asOfRun;
  $('asof-time').replaceChildren(timeEl(at, true));
  const kinds = panelKinds(ctx, selected ? [selected, ...changes] : changes);
  if (!kinds.length) {
    $('asof').replaceChildren(el('p', { class: 'muted', text: 'No kind to show: pick a kind, or a window with changes.' }));
    return;
  }
  const sections = await Promise.all(kinds.map((kind) => kindSection(ctx, kind, at, selected)));
  if (run === asOfRun) $('asof').replaceChildren(...sections.flat().filter(Boolean));
}

async function kindSection(ctx, kind, at, selected) {
  const title = el('h3', { text: `${kind}${ctx.namespace ? ` in ${ctx.namespace}` : ''}` });
  try {
    const answer = await api('/v1/objects', { cluster: ctx.cluster, namespace: ctx.namespace, kind, at, view: 'summary', limit: 200 });
    if (!answer.items.length) return [title, el('p', { class: 'muted', text: 'none' })];
    const nameCol = answer.columns.indexOf('NAME');
    const nsCol = answer.columns.indexOf('NAMESPACE');
    // The kind filtered on is spelled as typed (`deploy`): every change then is of it.
    const sameKind = selected && (ctx.kind ? true : selected.kind === kind);
    const hit = (row) => sameKind && row[nameCol] === selected.name && (nsCol < 0 || row[nsCol] === selected.namespace);
    return [title, el('table', { 'data-kind': kind }, [
      el('thead', {}, [el('tr', {}, answer.columns.map((h) => el('th', { text: h })))]),
      el('tbody', {}, answer.items.map((row) => el('tr', { class: hit(row) ? 'hit' : '' }, row.map((cell) => el('td', { text: cell }))))),
    ]), answer.continue ? el('p', { class: 'muted', text: 'The first 200 are shown; narrow with name or use /v1/objects for the rest.' }) : null];
  } catch (err) {
    return [title, el('p', { class: 'error', text: err.message })];
  }
}
