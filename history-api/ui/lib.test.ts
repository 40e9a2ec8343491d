import { describe, expect, it } from 'vitest';
import {
  actorLabel, actorShort, aroundWindow, changeId, diffRows, errorMessage, failingAt, formatTime, fromMicros, justBefore,
  panelKinds, parseState, pointerLabel, refLabel, stateToSearch, timelineGroups, toMicros, valueText, DEFAULT_STATE,
  type Change, type Failure,
} from './lib.js';

const change = (ts: string, over: Partial<Change> = {}): Change => ({
  ts, op: 'MODIFIED', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'u1', resourceVersion: '7', source: 'watch+audit',
  verb: 'patch', actor: { username: 'alice' }, ...over,
});
const failure = (start: string, end: string | null, over: Partial<Failure['object']> = {}): Failure => ({
  object: { kind: 'Pod', namespace: 'shop', name: 'web-1', ...over }, reason: 'CrashLoopBackOff', start, end,
});

describe('URL state', () => {
  it('reads every field, trims, and keeps defaults for what is absent', () => {
    const s = parseState('?namespace=shop&kind=%20deploy%20&from=2026-01-10T10:00:00Z&sel=u1@7&system=false&events=false&bogus=1');
    expect(s).toEqual({ ...DEFAULT_STATE, namespace: 'shop', kind: 'deploy', from: '2026-01-10T10:00:00Z', sel: 'u1@7', system: false, events: false });
    expect(parseState('')).toEqual(DEFAULT_STATE);
  });

  it('writes only what differs from the defaults, and reads back what it wrote', () => {
    expect(stateToSearch(DEFAULT_STATE)).toBe('');
    const s = { ...DEFAULT_STATE, namespace: 'a b&c', name: 'web', at: '2026-01-10T10:00:00.5Z', system: false };
    const search = stateToSearch(s);
    expect(search).toBe('?namespace=a+b%26c&name=web&at=2026-01-10T10%3A00%3A00.5Z&system=false');
    expect(parseState(search)).toEqual(s);
  });
});

describe('times', () => {
  it('reads RFC 3339 with any offset and fraction to µs, and writes UTC back', () => {
    expect(toMicros('2026-01-10T10:00:05.1234567Z')).toBe(Date.UTC(2026, 0, 10, 10, 0, 5) * 1000 + 123456);
    expect(toMicros('2026-01-10T12:00:05+02:00')).toBe(toMicros('2026-01-10T10:00:05Z'));
    expect(toMicros('now-1h')).toBeUndefined();
    expect(fromMicros(toMicros('2026-01-10T10:00:05.120000Z')!)).toBe('2026-01-10T10:00:05.12Z');
    expect(fromMicros(toMicros('2026-01-10T10:00:05Z')!)).toBe('2026-01-10T10:00:05Z');
  });

  it('shows UTC to the millisecond, with all six fraction digits for the hover', () => {
    expect(formatTime('2026-01-10T12:00:05.000042+02:00')).toEqual({ short: '10:00:05.000', date: '2026-01-10', full: '2026-01-10T10:00:05.000042Z' });
    expect(formatTime('garbage').short).toBe('garbage');
  });

  it('makes the window around T and the instant just before T', () => {
    expect(aroundWindow('2026-01-10T10:00:00Z')).toEqual({ from: '2026-01-10T09:50:00Z', to: '2026-01-10T10:10:00Z' });
    expect(aroundWindow('2026-01-10T00:05:00.25Z', 10)).toEqual({ from: '2026-01-09T23:55:00.25Z', to: '2026-01-10T00:15:00.25Z' });
    expect(aroundWindow('yesterday')).toBeUndefined();
    expect(justBefore('2026-01-10T10:00:00Z')).toBe('2026-01-10T09:59:59.999999Z');
    expect(justBefore('2026-01-10T10:00:00.000001Z')).toBe('2026-01-10T10:00:00Z');
  });
});

describe('the timeline', () => {
  it('groups changes and failure starts by UTC minute, newest first, a failure before a change of the same instant', () => {
    const groups = timelineGroups(
      [change('2026-01-10T10:00:05Z', { resourceVersion: '1' }), change('2026-01-10T10:01:59.9Z', { resourceVersion: '2' }), change('2026-01-10T10:01:00Z', { resourceVersion: '3' })],
      [failure('2026-01-10T10:01:00Z', null)],
    );
    expect(groups.map((g) => g.minute)).toEqual(['2026-01-10T10:01:00Z', '2026-01-10T10:00:00Z']);
    expect(groups[0]!.entries.map((e) => (e.type === 'change' ? e.change.resourceVersion : 'failure'))).toEqual(['2', 'failure', '3']);
    expect(groups[1]!.entries).toHaveLength(1);
  });

  it('marks a change to an object while it was failing, and only then', () => {
    const spans = [failure('2026-01-10T10:00:00Z', '2026-01-10T10:05:00Z')];
    expect(failingAt(change('2026-01-10T10:02:00Z', { kind: 'Pod', name: 'web-1' }), spans)).toBe(true);
    expect(failingAt(change('2026-01-10T10:06:00Z', { kind: 'Pod', name: 'web-1' }), spans)).toBe(false);
    expect(failingAt(change('2026-01-10T10:02:00Z', { kind: 'Pod', name: 'web-2' }), spans)).toBe(false);
    expect(failingAt(change('2026-01-10T11:00:00Z', { kind: 'Pod', name: 'web-1' }), [failure('2026-01-10T10:00:00Z', null)])).toBe(true);
  });

  it('names changes, actors and objects', () => {
    expect(changeId(change('2026-01-10T10:00:00Z'))).toBe('u1@7');
    expect(actorLabel({ username: 'alice', impersonatedUser: 'bob' })).toBe('alice (as bob)');
    expect(actorLabel(undefined)).toBe('unknown');
    expect(actorShort({ username: 'system:serviceaccount:kube-system:deployment-controller' })).toBe('deployment-controller (sa kube-system)');
    expect(actorShort({ username: 'system:node:ip-10-0-32-4' })).toBe('node ip-10-0-32-4');
    expect(actorShort({ username: 'system:kube-scheduler' })).toBe('system:kube-scheduler');
    expect(refLabel({ kind: 'Deployment', namespace: 'shop', name: 'web' }, 'shop')).toBe('Deployment/web');
    expect(refLabel({ kind: 'Deployment', namespace: 'other', name: 'web' }, 'shop')).toBe('other/Deployment/web');
  });

  it('shows the state of the kind filtered on, else of the kinds changed most, Events left out', () => {
    const changes = [change('t', { kind: 'Pod' }), change('t', { kind: 'Event' }), change('t', { kind: 'Event' }), change('t', { kind: 'Event' }), change('t', { kind: 'Pod' }), change('t', { kind: 'ConfigMap' }), change('t')];
    expect(panelKinds({ ...DEFAULT_STATE }, changes)).toEqual(['Pod', 'ConfigMap', 'Deployment']);
    expect(panelKinds({ ...DEFAULT_STATE }, changes, 1)).toEqual(['Pod']);
    expect(panelKinds({ ...DEFAULT_STATE, kind: 'svc' }, changes)).toEqual(['svc']);
  });
});

describe('diff rows', () => {
  it('shows each changed path with its old and new value', () => {
    const { note, rows } = diffRows({ changes: [
      { path: '/spec/template/spec/containers/0/image', op: 'replace', old: 'web:1.0', new: 'web:1.1' },
      { path: '/metadata/labels/app.kubernetes.io~1name', op: 'add', new: 'web' },
      { path: '/spec/paused', op: 'remove', old: true },
    ] });
    expect(note).toBe('changed');
    expect(rows).toEqual([
      { path: 'spec.template.spec.containers[0].image', op: 'replace', old: 'web:1.0', new: 'web:1.1' },
      { path: "metadata.labels['app.kubernetes.io/name']", op: 'add', old: '—', new: 'web' },
      { path: 'spec.paused', op: 'remove', old: 'true', new: '—' },
    ]);
  });

  it('shows a created object field by field as new, a deleted one as old', () => {
    const created = diffRows({ created: true, before: null, after: { metadata: { name: 'x', labels: {} }, data: { k: 'v' } }, changes: [] });
    expect(created.note).toBe('created');
    expect(created.rows).toEqual([
      { path: 'metadata.name', op: 'add', old: '—', new: 'x' },
      { path: 'metadata.labels', op: 'add', old: '—', new: '{}' },
      { path: 'data.k', op: 'add', old: '—', new: 'v' },
    ]);
    const deleted = diffRows({ deleted: true, before: { spec: { replicas: 3 } }, after: null, changes: [] });
    expect(deleted).toEqual({ note: 'deleted', rows: [{ path: 'spec.replicas', op: 'remove', old: '3', new: '—' }] });
    expect(diffRows({ changes: [] }).note).toBe('unchanged');
  });

  it('keeps values as text, cut long ones saying so', () => {
    expect(valueText({ a: [1, '<b>'] })).toBe('{"a":[1,"<b>"]}');
    expect(valueText('x'.repeat(10), 4)).toBe('xxxx… (10 chars)');
    expect(pointerLabel('')).toBe('(whole object)');
  });
});

describe('error messages', () => {
  it('asks for a token on a 401 and names the refused read of a 403', () => {
    expect(errorMessage(401, { error: { code: 'UNAUTHENTICATED', message: 'Authorization: a bearer token is required', details: {} } }))
      .toEqual({ auth: true, text: 'Authorization: a bearer token is required' });
    const forbidden = { error: { code: 'FORBIDDEN', message: '…', details: { user: 'bob', cluster: 'sim', verb: 'list', group: 'apps', resource: 'deployments', namespace: 'kube-system' } } };
    expect(errorMessage(403, forbidden)).toEqual({ auth: false, text: 'Forbidden: bob may not list deployments.apps in namespace "kube-system" (cluster sim).' });
    expect(errorMessage(403, { error: { details: { verb: 'list', group: '', resource: 'nodes', namespace: '' } } }).text).toBe('Forbidden: You may not list nodes cluster-wide.');
    expect(errorMessage(400, { error: { code: 'INVALID_ARGUMENT', message: 'from: must be a time' } }).text).toBe('400 INVALID_ARGUMENT: from: must be a time');
    expect(errorMessage(502, 'not json').text).toBe('502 ERROR: the request failed');
  });
});
