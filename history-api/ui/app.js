// The web timeline (docs/ui.md): a pure client of kubetime's /v1 API. The URL's query string
// holds the state, so a link shows the same view. Every string from the API is drawn with
// textContent (dom.js el()), never as HTML: object names and actors may be anyone's.
import { $, api, el, showTokenState, timeEl, token } from './dom.js';
import {
  actorLabel, actorShort, aroundWindow, changeId, failingAt, formatTime, parseState, refLabel, stateToSearch, timelineGroups,
} from './lib.js';
import { loadAsOf, renderDetailHint, showChange } from './panels.js';

const PAGE = 500;

let state = parseState(location.search);
let view = { changes: [], failures: [], answer: undefined, cont: undefined, params: {} };
let loadRun = 0;

function scope() {
  return { cluster: state.cluster, namespace: state.namespace };
}

// ---- the form and the URL ---------------------------------------------------------------

function fillForm() {
  for (const k of ['namespace', 'kind', 'name', 'from', 'to']) $(`f-${k}`).value = state[k];
  $('f-cluster').value = state.cluster;
  $('f-system').checked = state.system;
  $('f-events').checked = state.events;
  $('f-around').value = state.at;
}

function readForm() {
  const next = { ...state };
  for (const k of ['cluster', 'namespace', 'kind', 'name', 'from', 'to']) next[k] = $(`f-${k}`).value.trim();
  next.system = $('f-system').checked;
  next.events = $('f-events').checked;
  return next;
}

/** Makes `next` the state, in the URL too (a new history entry), and shows it. */
function go(next, { reload = true } = {}) {
  state = { ...next };
  history.pushState(null, '', `${location.pathname}${stateToSearch(state)}`);
  if (reload) void load();
}

function showError(err) {
  $('error').hidden = !err;
  $('error').textContent = err ? err.message : '';
}

// ---- clusters ----------------------------------------------------------------------------

async function loadClusters() {
  try {
    const { items } = await api('/v1/clusters', {});
    const select = $('f-cluster');
    select.replaceChildren(el('option', { value: '', text: items.length === 1 ? `${items[0].name} (the only one)` : '(choose)' }));
    for (const c of items) select.append(el('option', { value: c.name, text: c.name }));
    select.value = state.cluster;
  } catch {
    // the cluster list is a convenience; the timeline's own query says what is wrong
  }
}

/** Namespace names for the namespace field (as of now); a reader who may not list them types one. */
async function loadNamespaces() {
  try {
    const { columns, items } = await api('/v1/objects', { cluster: state.cluster, kind: 'namespaces', at: 'now', view: 'summary', limit: 1000 });
    const name = columns.indexOf('NAME');
    $('namespaces').replaceChildren(...items.map((row) => el('option', { value: row[name] })));
  } catch {
    // a suggestion list only
  }
}

// ---- the timeline ------------------------------------------------------------------------

/** The window's failures; a failure to get them is said in their strip and does not hide the changes. */
async function loadFailures(answer) {
  const params = { ...scope(), from: answer.from, to: answer.to, kind: state.kind, name: state.name };
  try {
    try {
      return { items: (await api('/v1/failures', params)).items };
    } catch (err) {
      // /v1/failures judges a few kinds only: for another, the window's failures of any kind
      if (err.status === 400 && state.kind) return { items: (await api('/v1/failures', { ...params, kind: undefined })).items };
      throw err;
    }
  } catch (err) {
    return { items: [], error: err };
  }
}

async function load() {
  fillForm();
  showError(undefined);
  $('status').textContent = 'loading…';
  // The next pages repeat these filters: a continue token is tied to them (docs/api.md "Paging").
  const params = {
    ...scope(), from: state.from, to: state.to, kind: state.kind, name: state.name,
    excludeSystem: state.system ? undefined : 'true', limit: PAGE,
  };
  const run = ++loadRun;
  try {
    const answer = await api('/v1/changes', params);
    const failures = await loadFailures(answer);
    if (run !== loadRun) return; // a newer load (another click, Back) owns the page now
    $('auth').hidden = true;
    showTokenState();
    view = { answer, changes: answer.items, cont: answer.continue, params, failures: failures.items, failuresError: failures.error };
    renderTimeline();
    const selected = view.changes.find((c) => changeId(c) === state.sel);
    if (selected) void showChange(state, selected);
    else renderDetailHint();
    void loadAsOf(state, view.changes, state.at || answer.to, selected);
  } catch (err) {
    if (run !== loadRun) return;
    // Nothing of the previous window stays on screen under the new filters.
    view = { changes: [], failures: [], answer: undefined, cont: undefined, params };
    for (const id of ['timeline', 'failures', 'window', 'asof']) $(id).replaceChildren();
    $('more').hidden = true;
    $('status').textContent = '';
    showError(err.auth ? undefined : err);
  }
}

async function loadMore() {
  if (!view.cont) return;
  const answer = await api('/v1/changes', { ...view.params, continue: view.cont }).catch((err) => (showError(err), undefined));
  if (!answer) return;
  view.changes = view.changes.concat(answer.items);
  view.cont = answer.continue;
  renderTimeline();
}

function renderTimeline() {
  const { answer, failures } = view;
  const changes = state.events ? view.changes : view.changes.filter((c) => c.kind !== 'Event');
  const hidden = view.changes.length - changes.length;
  $('window').replaceChildren(timeEl(answer.from, true), ' → ', timeEl(answer.to, true));
  $('status').textContent = `${changes.length} change${changes.length === 1 ? '' : 's'}${hidden ? ` (${hidden} Events hidden)` : ''}${view.cont ? ' (more below)' : ''}, ${failures.length} failure${failures.length === 1 ? '' : 's'} in cluster ${answer.cluster}`;
  $('failures').replaceChildren(...failures.map(failureLine));
  if (view.failuresError) $('failures').append(el('p', { class: 'error', text: `Failures: ${view.failuresError.message}` }));
  $('timeline').replaceChildren(...timelineGroups(changes, failures).map((g) => el('li', { class: 'minute' }, [
    el('div', { class: 'label' }, [minuteEl(g.minute)]),
    el('ol', {}, g.entries.map((e) => (e.type === 'failure' ? failureEl(e.failure, 'li') : changeEl(e.change)))),
  ])));
  if (!changes.length && !failures.length) $('timeline').append(el('li', { class: 'muted', text: 'No change in this window that your token may read. Widen the window, or clear the filters.' }));
  $('more').hidden = !view.cont;
}

/** One line of the failures strip above the timeline: what broke, and from when to when. */
function failureLine(f) {
  return el('div', { class: 'failure line', 'data-reason': f.reason, ...failureClick(f) }, [
    el('span', { class: 'reason', text: `⚠ ${f.reason} ` }), el('span', { class: 'mono', text: refLabel(f.object, state.namespace) }),
    ' ', timeEl(f.start), ' → ', f.end ? timeEl(f.end) : el('span', { text: 'ongoing' }), f.ended ? el('span', { class: 'muted', text: ` (${f.ended})` }) : null,
  ]);
}

/** A minute of the timeline: its date and HH:MM, UTC. */
function minuteEl(minute) {
  const t = formatTime(minute);
  return el('time', { datetime: t.full, title: t.full, text: `${t.date} ${t.short.slice(0, 5)} UTC` });
}

/** A failure in the timeline, at its start: the span, and its most likely cause. */
function failureEl(f, tag) {
  const top = f.suspects && f.suspects[0];
  return el(tag, { class: 'failure', 'data-reason': f.reason, ...failureClick(f) }, [
    el('span', { class: 'reason', text: `⚠ ${f.reason} ` }),
    el('span', { class: 'mono', text: refLabel(f.object, state.namespace) }),
    ' from ', timeEl(f.start), ' to ', f.end ? timeEl(f.end, formatTime(f.end).date !== formatTime(f.start).date) : el('span', { text: 'ongoing at the window\'s end' }),
    f.ended ? el('span', { class: 'muted', text: ` (${f.ended})` }) : null,
    top ? el('div', { class: 'muted' }, [
      'suspect: ', el('span', { class: 'mono', text: `${refLabel(top.ref, state.namespace)} ${top.diff ?? ''}` }),
      ' by ', el('span', { class: 'actor', text: actorLabel(top.actor) }), ' at ', timeEl(top.ts),
    ]) : null,
  ]);
}

function changeEl(c) {
  const id = changeId(c);
  const classes = ['change', id === state.sel ? 'selected' : '', failingAt(c, view.failures) ? 'failing' : ''].filter(Boolean).join(' ');
  return el('li', { class: classes, 'data-id': id, tabindex: 0, on: { click: () => select(c), keydown: (e) => e.key === 'Enter' && select(c) } }, [
    timeEl(c.ts),
    el('span', { class: `op op-${c.op}`, text: c.op }),
    el('span', { class: 'ref', title: refLabel(c), text: refLabel(c, state.namespace) }),
    el('span', { class: 'actor', title: [actorLabel(c.actor), c.actor?.userAgent].filter(Boolean).join(' · '), text: actorShort(c.actor) }),
    el('span', { class: 'verb', text: c.verb ?? '' }),
    el('span', { class: 'source', text: c.source ?? '' }),
  ]);
}

function select(c) {
  go({ ...state, sel: changeId(c), at: c.ts }, { reload: false });
  for (const row of document.querySelectorAll('.change.selected')) row.classList.remove('selected');
  document.querySelector(`.change[data-id="${CSS.escape(changeId(c))}"]`)?.classList.add('selected');
  $('f-around').value = c.ts;
  void showChange(state, c);
  void loadAsOf(state, view.changes, c.ts, c);
}

/** A failure is clicked (or Enter pressed on it): the namespace as of its start, its object highlighted. */
function failureClick(f) {
  return { tabindex: 0, title: 'show the state as of its start', on: { click: () => atFailure(f), keydown: (e) => e.key === 'Enter' && atFailure(f) } };
}

function atFailure(f) {
  go({ ...state, sel: '', at: f.start }, { reload: false });
  for (const row of document.querySelectorAll('.change.selected')) row.classList.remove('selected');
  $('f-around').value = f.start;
  renderDetailHint();
  void loadAsOf(state, view.changes, f.start, f.object);
}

// ---- wiring ------------------------------------------------------------------------------

function wire() {
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); go({ ...readForm(), sel: '', at: '' }); });
  $('f-around-go').addEventListener('click', () => {
    const at = $('f-around').value.trim();
    const w = aroundWindow(at);
    if (!w) return showError(new Error(`around: "${at}" is not an RFC 3339 time (2026-01-10T14:03:00Z)`));
    go({ ...readForm(), ...w, at, sel: '' });
  });
  $('f-last-hour').addEventListener('click', () => go({ ...readForm(), from: 'now-1h', to: 'now', at: '', sel: '' }));
  $('f-pin').addEventListener('click', () => view.answer && go({ ...state, from: view.answer.from, to: view.answer.to }, { reload: false }));
  $('more').addEventListener('click', () => void loadMore());
  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('auth-token').value.trim();
    if (!value) return;
    token.set(value);
    $('auth-token').value = '';
    void start();
  });
  $('f-cluster').addEventListener('change', () => go({ ...readForm(), sel: '', at: '' }));
  $('f-events').addEventListener('change', () => { state = readForm(); history.replaceState(null, '', `${location.pathname}${stateToSearch(state)}`); if (view.answer) renderTimeline(); });
  $('forget').addEventListener('click', () => { token.forget(); location.reload(); });
  window.addEventListener('popstate', () => { state = parseState(location.search); void load(); });
}

/** The cluster list and namespace names (suggestions), then the timeline. */
async function start() {
  await loadClusters();
  void loadNamespaces();
  await load();
}

wire();
showTokenState();
void start();
