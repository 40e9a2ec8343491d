// The web timeline's pure helpers: URL state, times, the timeline's grouping, diff rows and error
// messages. No DOM and no fetch here, so that vitest tests them as they are (lib.test.ts);
// app.js draws what these return. Types: lib.d.ts.

/** The state a link carries, with its defaults (a window of the last hour). */
export const DEFAULT_STATE = Object.freeze({
  cluster: '', namespace: '', kind: '', name: '', from: 'now-1h', to: 'now', at: '', sel: '', system: true, events: true,
});
const KEYS = ['cluster', 'namespace', 'kind', 'name', 'from', 'to', 'at', 'sel'];

/** The page's state from a query string (`?namespace=shop&from=…`); unknown keys are ignored. */
export function parseState(search) {
  const q = new URLSearchParams(search);
  const state = { ...DEFAULT_STATE };
  for (const k of KEYS) {
    const v = q.get(k);
    if (v !== null && v.trim() !== '') state[k] = v.trim();
  }
  state.system = q.get('system') !== 'false';
  state.events = q.get('events') !== 'false';
  return state;
}

/** The query string of a state, defaults left out, in a stable order. */
export function stateToSearch(state) {
  const q = new URLSearchParams();
  for (const k of KEYS) {
    const v = state[k] ?? '';
    if (v !== '' && v !== DEFAULT_STATE[k]) q.set(k, v);
  }
  if (state.system === false) q.set('system', 'false');
  if (state.events === false) q.set('events', 'false');
  const s = q.toString();
  return s ? `?${s}` : '';
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/;

/** µs since the epoch of an RFC 3339 time (any offset, any fraction), or undefined. */
export function toMicros(text) {
  const m = RFC3339.exec(String(text ?? '').trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(ms)) return undefined;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (+zone.slice(1, 3) * 60 + +zone.slice(4, 6)) * 60_000;
  }
  return ms * 1000 + Number((frac + '000000').slice(0, 6));
}

/** RFC 3339 UTC of µs, with the fraction's trailing zeros left out (`2026-01-10T10:00:05.1234Z`). */
export function fromMicros(us) {
  const ms = Math.floor(us / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = String(us - Math.floor(us / 1e6) * 1e6).padStart(6, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/**
 * How a time is shown: `short` (HH:MM:SS.mmm UTC, for the list), `date` (YYYY-MM-DD), and
 * `full` (RFC 3339 UTC with all six fraction digits, for the hover). An unreadable time is shown as given.
 */
export function formatTime(text) {
  const us = toMicros(text);
  if (us === undefined) return { short: String(text ?? ''), date: '', full: String(text ?? '') };
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const micros = String(us - Math.floor(us / 1e6) * 1e6).padStart(6, '0');
  return { short: `${iso.slice(11, 19)}.${micros.slice(0, 3)}`, date: iso.slice(0, 10), full: `${iso.slice(0, 19)}.${micros}Z` };
}

/** The window `minutes` either side of a time T (RFC 3339 UTC), or undefined when T is unreadable. */
export function aroundWindow(t, minutes = 10) {
  const us = toMicros(t);
  if (us === undefined) return undefined;
  return { from: fromMicros(us - minutes * 60e6), to: fromMicros(us + minutes * 60e6) };
}

/** The time just before T (1 µs earlier): the state at it is the state before a change made at T. */
export function justBefore(t) {
  const us = toMicros(t);
  return us === undefined ? undefined : fromMicros(us - 1);
}

/** A stable id of one change of the feed (an object's uid and the revision's resourceVersion). */
export function changeId(change) {
  return `${change.uid ?? `${change.kind}/${change.namespace}/${change.name}`}@${change.resourceVersion}`;
}

/** Who made a change, as one line: the user (and whom they impersonated), or "unknown". */
export function actorLabel(actor) {
  if (!actor || !actor.username) return 'unknown';
  return actor.impersonatedUser ? `${actor.username} (as ${actor.impersonatedUser})` : String(actor.username);
}

/**
 * The actor in a narrow column: a ServiceAccount as `name (sa namespace)`, a node as `node name`,
 * anyone else as actorLabel says (the full name goes in the hover).
 */
export function actorShort(actor) {
  const full = actorLabel(actor);
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(full);
  if (sa) return `${sa[2]} (sa ${sa[1]})`;
  const node = /^system:node:(.+)$/.exec(full);
  return node ? `node ${node[1]}` : full;
}

/** `Kind/name`, with the namespace first when it is not the one looked at. */
export function refLabel(ref, namespace = '') {
  const ns = ref.namespace && ref.namespace !== namespace ? `${ref.namespace}/` : '';
  return `${ns}${ref.kind}/${ref.name}`;
}

/**
 * The timeline's entries, newest first, grouped by UTC minute: each change of the feed, and each
 * failure span at its start (`type: 'failure'`). Entries of the same time keep failures first.
 */
export function timelineGroups(changes, failures) {
  const entries = [
    ...failures.map((f) => ({ type: 'failure', ts: f.start, us: toMicros(f.start) ?? 0, failure: f })),
    ...changes.map((c) => ({ type: 'change', ts: c.ts, us: toMicros(c.ts) ?? 0, change: c })),
  ];
  entries.sort((a, b) => b.us - a.us || (a.type === b.type ? 0 : a.type === 'failure' ? -1 : 1));
  const groups = [];
  for (const e of entries) {
    const minute = `${formatTime(e.ts).full.slice(0, 16)}:00Z`;
    const last = groups[groups.length - 1];
    if (last && last.minute === minute) last.entries.push(e);
    else groups.push({ minute, entries: [e] });
  }
  return groups;
}

/** Whether a change touched an object that was failing at that moment (its row is marked). */
export function failingAt(change, failures) {
  const t = toMicros(change.ts) ?? 0;
  return failures.some((f) => {
    const o = f.object;
    if (o.kind !== change.kind || o.name !== change.name || (o.namespace ?? '') !== (change.namespace ?? '')) return false;
    const start = toMicros(f.start) ?? 0;
    const end = f.end ? toMicros(f.end) ?? Infinity : Infinity;
    return t >= start && t <= end;
  });
}

/** A JSON pointer shown as a path: `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
export function pointerLabel(pointer) {
  if (!pointer) return '(whole object)';
  return pointer.split('/').slice(1).map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~')).reduce((acc, key) => {
    if (/^\d+$/.test(key)) return `${acc}[${key}]`;
    if (/^[A-Za-z_$][\w$-]*$/.test(key)) return acc ? `${acc}.${key}` : key;
    return `${acc}['${key}']`;
  }, '');
}

/** A value as one cell of text: strings as they are, the rest as compact JSON, absent as "—". */
export function valueText(value, max = 400) {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Every leaf of a JSON value as [pointer, value] (empty objects and arrays are leaves). */
function leaves(value, pointer = '', out = []) {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, `${pointer}/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  } else {
    out.push([pointer, value]);
  }
  return out;
}

/**
 * A `/v1/diff` answer for one object as rows `{path, op, old, new}` of text: each changed path
 * (with `changes`), or every field of the object when it was created (new) or deleted (old)
 * within the window. `note` says which.
 */
export function diffRows(answer, max = 400) {
  if (answer.created || answer.deleted) {
    const created = !!answer.created;
    const obj = created ? answer.after : answer.before;
    const rows = leaves(obj ?? {}).map(([p, v]) => ({
      path: pointerLabel(p), op: created ? 'add' : 'remove',
      old: created ? '—' : valueText(v, max), new: created ? valueText(v, max) : '—',
    }));
    return { note: created ? 'created' : 'deleted', rows };
  }
  const rows = (answer.changes ?? []).map((c) => ({ path: pointerLabel(c.path), op: c.op, old: valueText(c.old, max), new: valueText(c.new, max) }));
  return { note: rows.length ? 'changed' : 'unchanged', rows };
}

/**
 * What an error answer means to the reader: `auth` (ask for a token) for a 401, and for a 403
 * which read was refused (verb, resource, namespace, for whom), from the body's `details`.
 */
export function errorMessage(status, body) {
  const err = (body && body.error) || {};
  const d = err.details || {};
  if (status === 401) return { auth: true, text: err.message || 'a bearer token is required' };
  if (status === 403) {
    const resource = d.resource ? `${d.resource}${d.group ? `.${d.group}` : ''}` : 'this';
    const where = d.namespace ? `in namespace "${d.namespace}"` : 'cluster-wide';
    const who = d.user ? `${d.user} may not` : 'You may not';
    return { auth: false, text: `Forbidden: ${who} ${d.verb || 'read'} ${resource}${d.name ? ` "${d.name}"` : ''} ${where}${d.cluster ? ` (cluster ${d.cluster})` : ''}.` };
  }
  return { auth: false, text: `${status} ${err.code || 'ERROR'}: ${err.message || 'the request failed'}` };
}

/** The kinds whose state as of T is shown: the one filtered on, else those the window's changes touched (most changed first, Events left out). */
export function panelKinds(state, changes, max = 6) {
  if (state.kind) return [state.kind];
  const counts = new Map();
  // Events are a log, not state: their table as of T would bury the objects (the feed shows them).
  for (const c of changes) if (c.kind !== 'Event') counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, max).map(([k]) => k);
}
